package inspect

import (
	"debug/elf"
	"fmt"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// The differential tests of ReadPLT. What ReadPLT says is compared with
// three sources that do not use elfx:
//
//   - objdump's disassembly of .plt, .plt.sec and .plt.got: the stubs,
//     PLT0 and the slot each stub jumps through (objdump_test.go);
//   - the file's bytes, read with debug/elf: each slot's initial value,
//     DT_PLTGOT and the bind-now flags;
//   - the dynamic relocations, read with debug/elf: the relocation at each
//     slot, its type and its symbol.

// dtTLSDescPLT is DT_TLSDESC_PLT, the lazy TLS descriptor trampoline
// that GNU ld puts in .plt; debug/elf has no name for it.
const dtTLSDescPLT = elf.DynTag(0x6ffffef6)

// dynReloc is one dynamic relocation as debug/elf reads it.
type dynReloc struct {
	offset          uint64
	typ             string // debug/elf's name of the type
	jumpSlot        bool
	symbol, version string
	jmprel          bool // in DT_JMPREL
}

func (r dynReloc) String() string {
	s := r.typ
	if r.symbol != "" {
		s += " " + r.symbol
	}
	if r.version != "" {
		s += "@" + r.version
	}
	return s
}

// pltOracle is what objdump and debug/elf say about a file's PLT.
type pltOracle struct {
	path       string
	machine    elf.Machine
	word       uint64
	bindNow    bool
	bindNowWhy string // the dynamic entries bindNow comes from
	got        uint64 // DT_PLTGOT
	relro      bool   // the file has PT_GNU_RELRO
	plt0       dumpedStub
	stubs      []dumpedStub // objdump's stubs but PLT0 and those excluded
	excluded   []string     // stubs that are no symbol's, and why
	// calls maps the slots that x86-64 code outside the PLT sections
	// calls or jumps through (call *slot(%rip), as -fno-plt and crt1.o's
	// call of __libc_start_main compile) to a line of objdump that does.
	calls  map[uint64]string
	relocs map[uint64][]dynReloc
	jmprel []dynReloc
	ef     *elf.File
}

// readPLTOracle reads the file at path with debug/elf and its PLT
// sections with objdump; with calls, and for x86-64, it also
// disassembles the rest of the code for the slots it calls through.
func readPLTOracle(path string, calls bool) (*pltOracle, error) {
	ef, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	o := &pltOracle{path: path, machine: ef.Machine, word: 4, ef: ef, relocs: map[uint64][]dynReloc{}}
	if ef.Class == elf.ELFCLASS64 {
		o.word = 8
	}
	first := func(tag elf.DynTag) (uint64, bool) {
		v, err := ef.DynValue(tag)
		if err != nil || len(v) == 0 {
			return 0, false
		}
		return v[0], true
	}
	o.got, _ = first(elf.DT_PLTGOT)
	flags, _ := first(elf.DT_FLAGS)
	flags1, _ := first(elf.DT_FLAGS_1)
	_, now := first(elf.DT_BIND_NOW)
	o.bindNow = now || elf.DynFlag(flags)&elf.DF_BIND_NOW != 0 || elf.DynFlag1(flags1)&elf.DF_1_NOW != 0
	o.bindNowWhy = fmt.Sprintf("DT_FLAGS %#x, DT_FLAGS_1 %#x, DT_BIND_NOW present %v", flags, flags1, now)
	for _, p := range ef.Progs {
		o.relro = o.relro || p.Type == elf.PT_GNU_RELRO
	}
	if err := o.readRelocs(); err != nil {
		ef.Close()
		return nil, err
	}

	tool, err := objdumpFor(ef.Machine)
	if err != nil {
		ef.Close()
		return nil, err
	}
	var sections []string
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		if s := ef.Section(name); s != nil && s.Type == elf.SHT_PROGBITS && s.Size > 0 {
			sections = append(sections, name)
		}
	}
	stubs, err := objdumpStubs(tool, path, ef.Machine, sections, o.got)
	if err != nil {
		ef.Close()
		return nil, err
	}
	if calls && ef.Machine == elf.EM_X86_64 {
		if o.calls, err = objdumpCallSlots(tool, path); err != nil {
			ef.Close()
			return nil, err
		}
	}
	tlsdesc, _ := first(dtTLSDescPLT)
	for _, s := range stubs {
		switch {
		case o.plt0.addr == 0 && o.got != 0 && s.section == ".plt" && s.slot == o.got+2*o.word:
			o.plt0 = s
		case tlsdesc != 0 && s.addr == tlsdesc:
			o.excluded = append(o.excluded, fmt.Sprintf("%s: %#x (%s) is DT_TLSDESC_PLT, the lazy TLS descriptor trampoline", path, s.addr, s.code))
		case len(o.relocs[s.slot]) == 0:
			// GNU ld 2.40 leaves prog-static-pie a .plt.got stub for
			// __cxa_finalize, weak and undefined, which the program
			// tests for 0 at 0xaff50 before calling the stub; the stub
			// jumps through 0xaff51, which no relocation fills.
			o.excluded = append(o.excluded, fmt.Sprintf("%s: %#x (%s) jumps through %#x, which no dynamic relocation fills", path, s.addr, s.code, s.slot))
		default:
			o.stubs = append(o.stubs, s)
		}
	}
	return o, nil
}

func (o *pltOracle) Close() error { return o.ef.Close() }

// relocName is debug/elf's name for relocation type t, and whether it is
// the machine's JUMP_SLOT.
func relocName(m elf.Machine, t uint32) (string, bool) {
	switch m {
	case elf.EM_X86_64:
		return elf.R_X86_64(t).String(), elf.R_X86_64(t) == elf.R_X86_64_JMP_SLOT
	case elf.EM_386:
		return elf.R_386(t).String(), elf.R_386(t) == elf.R_386_JMP_SLOT
	case elf.EM_AARCH64:
		return elf.R_AARCH64(t).String(), elf.R_AARCH64(t) == elf.R_AARCH64_JUMP_SLOT
	}
	return fmt.Sprintf("%v type %d", m, t), false
}

// readRelocs reads every relocation section that refers to .dynsym.
func (o *pltOracle) readRelocs() error {
	ef := o.ef
	dynsym := slices.IndexFunc(ef.Sections, func(s *elf.Section) bool { return s.Type == elf.SHT_DYNSYM })
	if dynsym < 0 {
		return nil
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("debug/elf: %v", err)
	}
	jmprel, _ := ef.DynValue(elf.DT_JMPREL)
	pltrelsz, _ := ef.DynValue(elf.DT_PLTRELSZ)
	inJmprel := func(addr uint64) bool {
		return len(jmprel) > 0 && len(pltrelsz) > 0 && addr >= jmprel[0] && addr-jmprel[0] < pltrelsz[0]
	}
	for _, s := range ef.Sections {
		if (s.Type != elf.SHT_RELA && s.Type != elf.SHT_REL) || s.Link != uint32(dynsym) {
			continue
		}
		data, err := s.Data()
		if err != nil {
			return fmt.Errorf("debug/elf: %s: %v", s.Name, err)
		}
		size := map[bool]map[elf.SectionType]int{true: {elf.SHT_RELA: 24, elf.SHT_REL: 16}, false: {elf.SHT_RELA: 12, elf.SHT_REL: 8}}[o.word == 8][s.Type]
		for i := 0; i+size <= len(data); i += size {
			var off, sym uint64
			var typ uint32
			if o.word == 8 {
				off, sym, typ = ef.ByteOrder.Uint64(data[i:]), uint64(ef.ByteOrder.Uint32(data[i+12:])), ef.ByteOrder.Uint32(data[i+8:])
			} else {
				info := ef.ByteOrder.Uint32(data[i+4:])
				off, sym, typ = uint64(ef.ByteOrder.Uint32(data[i:])), uint64(info>>8), info&0xff
			}
			r := dynReloc{offset: off, jmprel: inJmprel(s.Addr + uint64(i))}
			r.typ, r.jumpSlot = relocName(ef.Machine, typ)
			if sym > 0 && sym <= uint64(len(syms)) {
				r.symbol, r.version = syms[sym-1].Name, syms[sym-1].Version
			}
			o.relocs[off] = append(o.relocs[off], r)
			if r.jmprel {
				o.jmprel = append(o.jmprel, r)
			}
		}
	}
	return nil
}

// readSlot returns the value the file holds at slot, read from the
// section that contains it.
func (o *pltOracle) readSlot(slot uint64) (uint64, error) {
	for _, s := range o.ef.Sections {
		if s.Type == elf.SHT_NOBITS || s.Flags&elf.SHF_ALLOC == 0 || slot < s.Addr || slot-s.Addr+o.word > s.Size {
			continue
		}
		b := make([]byte, o.word)
		if _, err := s.ReadAt(b, int64(slot-s.Addr)); err != nil {
			return 0, fmt.Errorf("debug/elf: %s: %v", s.Name, err)
		}
		if o.word == 8 {
			return o.ef.ByteOrder.Uint64(b), nil
		}
		return uint64(o.ef.ByteOrder.Uint32(b)), nil
	}
	return 0, fmt.Errorf("no section holds %#x", slot)
}

// pltCounts is the agreement of ReadPLT with the oracle.
type pltCounts struct {
	files     int
	stubs     int            // objdump stubs found in ReadPLT with the same stub, slot and section
	sections  map[string]int // those stubs by section
	slots     int            // ReadPLT entries whose relocation and initial value agree with debug/elf
	jumpSlots int            // JUMP_SLOT relocations found as ReadPLT entries
	calls     int            // x86-64 slots that code calls through, found as ReadPLT entries
	plt0      int            // files with a PLT0, the same for both
	excluded  []string       // stubs that are no symbol's, and why
}

// summary reports the counts, the files being what they are.
func (c *pltCounts) summary(what string) string {
	s := fmt.Sprintf("%d files %s compared; in agreement: %d objdump stubs %v, %d slots (relocation and initial value), %d JUMP_SLOT relocations, %d slots called through outside the PLT (x86-64), %d PLT0s",
		c.files, what, c.stubs, c.sections, c.slots, c.jumpSlots, c.calls, c.plt0)
	if len(c.excluded) > 0 {
		s += fmt.Sprintf("; %d stubs left out:\n%s", len(c.excluded), strings.Join(c.excluded, "\n"))
	}
	return s
}

func fmtEntry(e PLTEntry) string {
	return fmt.Sprintf("{Symbol:%q Version:%q Reloc:%s Stub:%#x Section:%q Slot:%#x Initial:%#x}",
		e.Symbol, e.Version, e.Reloc, e.Stub, e.Section, e.Slot, e.Initial)
}

// comparePLT compares ReadPLT's p with the oracle o and returns the
// differences, each naming the file.
func comparePLT(o *pltOracle, p *PLT, c *pltCounts) []string {
	var diffs []string
	diff := func(format string, args ...any) {
		diffs = append(diffs, o.path+": "+fmt.Sprintf(format, args...))
	}
	c.files++
	c.excluded = append(c.excluded, o.excluded...)
	if p.Machine != o.machine {
		diff("Machine: debug/elf %v, ReadPLT %v", o.machine, p.Machine)
	}
	if p.BindNow != o.bindNow {
		diff("BindNow: debug/elf %v (%s), ReadPLT %v", o.bindNow, o.bindNowWhy, p.BindNow)
	}
	if p.GOT != o.got {
		diff("GOT: DT_PLTGOT %#x, ReadPLT %#x", o.got, p.GOT)
	}
	if !o.relro && p.RELRO != "none" {
		diff("RELRO: no PT_GNU_RELRO, ReadPLT %q", p.RELRO)
	}
	switch {
	case p.PLT0 != o.plt0.addr:
		diff("PLT0: objdump %#x (%q), ReadPLT %#x", o.plt0.addr, o.plt0.code, p.PLT0)
	case p.PLT0 != 0:
		c.plt0++
	}

	byStub := map[uint64]PLTEntry{}
	bySlot := map[uint64]PLTEntry{}
	for _, e := range p.Entries {
		if e.Stub != 0 {
			if prev, ok := byStub[e.Stub]; ok {
				diff("two ReadPLT entries with stub %#x: %s and %s", e.Stub, fmtEntry(prev), fmtEntry(e))
			}
			byStub[e.Stub] = e
		}
		if prev, ok := bySlot[e.Slot]; ok {
			diff("two ReadPLT entries with slot %#x: %s and %s", e.Slot, fmtEntry(prev), fmtEntry(e))
		}
		bySlot[e.Slot] = e
	}

	// Every stub objdump shows is an entry with the same stub and slot.
	dumped := map[uint64]dumpedStub{}
	for _, s := range o.stubs {
		dumped[s.addr] = s
		e, ok := byStub[s.addr]
		if !ok {
			why := "no relocation at that slot"
			if rs := o.relocs[s.slot]; len(rs) > 0 {
				why = fmt.Sprintf("the slot's relocation: %v", rs)
			}
			if e, ok := bySlot[s.slot]; ok {
				why += "; ReadPLT's entry for the slot: " + fmtEntry(e)
			}
			diff("stub %#x in %s: objdump %q jumps through %#x; ReadPLT has no entry with that stub (%s)", s.addr, s.section, s.code, s.slot, why)
			continue
		}
		if e.Slot != s.slot || e.Section != s.section {
			diff("stub %#x: objdump %q jumps through %#x in %s; ReadPLT %s", s.addr, s.code, s.slot, s.section, fmtEntry(e))
			continue
		}
		c.stubs++
		if c.sections == nil {
			c.sections = map[string]int{}
		}
		c.sections[s.section]++
	}

	for _, e := range p.Entries {
		// Every stub ReadPLT names is one objdump shows.
		if e.Stub != 0 {
			if _, ok := dumped[e.Stub]; !ok {
				diff("ReadPLT %s: objdump shows no stub at %#x", fmtEntry(e), e.Stub)
			}
		} else if e.Section != "" {
			diff("ReadPLT %s: a section without a stub", fmtEntry(e))
		}
		// The relocation at the slot is the one ReadPLT names.
		ok := true
		rs := o.relocs[e.Slot]
		if !slices.ContainsFunc(rs, func(r dynReloc) bool {
			return r.typ == e.Reloc && r.symbol == e.Symbol && r.version == e.Version
		}) {
			diff("slot %#x: ReadPLT %s, the relocations at that offset (debug/elf): %v", e.Slot, fmtEntry(e), rs)
			ok = false
		}
		// Initial is the file's bytes.
		v, err := o.readSlot(e.Slot)
		if err != nil {
			diff("slot %#x: ReadPLT %s, the file: %v", e.Slot, fmtEntry(e), err)
			ok = false
		} else if v != e.Initial {
			diff("slot %#x (%s): ReadPLT Initial %#x, the file holds %#x", e.Slot, e.Symbol, e.Initial, v)
			ok = false
		}
		if ok {
			c.slots++
		}
	}

	// Every JUMP_SLOT relocation is an entry.
	for _, r := range o.jmprel {
		if !r.jumpSlot {
			continue
		}
		if _, found := bySlot[r.offset]; !found {
			diff("relocation %v at %#x: no ReadPLT entry for that slot", r, r.offset)
			continue
		}
		c.jumpSlots++
	}

	// Every slot that code calls through, filled by a symbol's JUMP_SLOT
	// or GLOB_DAT, is an entry.
	for _, slot := range slices.Sorted(maps.Keys(o.calls)) {
		if !slices.ContainsFunc(o.relocs[slot], func(r dynReloc) bool {
			return r.symbol != "" && (r.jumpSlot || r.typ == elf.R_X86_64_GLOB_DAT.String())
		}) {
			continue
		}
		if _, found := bySlot[slot]; !found {
			diff("objdump %q calls through slot %#x (relocations %v); ReadPLT has no entry for it", o.calls[slot], slot, o.relocs[slot])
			continue
		}
		c.calls++
	}
	return diffs
}

// checkPLT runs ReadPLT on the file at path and compares it with the
// oracle (read with calls, see readPLTOracle); it returns ReadPLT's
// result and the oracle, which the caller closes.
func checkPLT(t *testing.T, path string, calls bool, c *pltCounts) (*PLT, *pltOracle) {
	t.Helper()
	o, err := readPLTOracle(path, calls)
	if err != nil {
		t.Errorf("%s: oracle: %v", path, err)
		return nil, nil
	}
	f, err := elfx.Open(path)
	if err != nil {
		o.Close()
		t.Errorf("%s: elfx.Open: %v", path, err)
		return nil, nil
	}
	defer f.Close()
	p, err := ReadPLT(f)
	if err != nil {
		o.Close()
		t.Errorf("%s: ReadPLT: %v", path, err)
		return nil, nil
	}
	for _, d := range comparePLT(o, p, c) {
		t.Error(d)
	}
	return p, o
}

var pltMachines = map[string]elf.Machine{"x86_64": elf.EM_X86_64, "aarch64": elf.EM_AARCH64, "i386": elf.EM_386}

// TestPLTFixtures compares ReadPLT with objdump and debug/elf on every
// x86-64, aarch64 and i386 fixture with a PT_DYNAMIC, and checks the
// -fno-plt program's stubless slots.
func TestPLTFixtures(t *testing.T) {
	set := fixtures.Build(t)

	t.Run("objdump", func(t *testing.T) {
		var c pltCounts
		noTool := map[string]bool{}
		for _, fx := range set.Fixtures {
			m, ok := pltMachines[fx.Machine]
			if !ok {
				continue
			}
			if fx.Has("static") {
				continue // no PT_DYNAMIC: nothing for the loader to bind, and ReadPLT says so
			}
			if _, err := objdumpFor(m); err != nil {
				if !noTool[fx.Machine] {
					t.Logf("%s fixtures skipped: %v", fx.Machine, err)
				}
				noTool[fx.Machine] = true
				continue
			}
			p, o := checkPLT(t, fx.Path, true, &c)
			if p == nil {
				continue
			}
			o.Close()
			for tag, want := range map[string]string{"relro-full": "full", "relro-partial": "partial", "no-relro": "none"} {
				if fx.Has(tag) && p.RELRO != want {
					t.Errorf("%s: tagged %s, ReadPLT RELRO %q", fx.Path, tag, p.RELRO)
				}
			}
			if fx.Has("ibt") && !slices.ContainsFunc(p.Entries, func(e PLTEntry) bool { return e.Section == ".plt.sec" }) {
				t.Errorf("%s: tagged ibt, no ReadPLT entry in .plt.sec", fx.Path)
			}
		}
		if c.files == 0 {
			t.Fatal("no fixture compared")
		}
		t.Log(c.summary("of the fixtures"))
	})

	t.Run("fno-plt", func(t *testing.T) {
		fx := set.Require(t, "prog-noplt")
		testNoPLT(t, fx.Path)
	})
}

// testNoPLT checks the program at path, built with -fno-plt: its calls
// go through GOT slots filled by GLOB_DAT, with no stub. Each slot that
// objdump shows a call or jump going through outside the PLT sections is
// an entry with no stub and a GLOB_DAT relocation, and each stubless
// entry is such a slot.
func testNoPLT(t *testing.T, path string) {
	var c pltCounts
	p, o := checkPLT(t, path, true, &c)
	if p == nil {
		return
	}
	defer o.Close()
	if o.machine != elf.EM_X86_64 {
		t.Fatalf("%s: %v, the -fno-plt check reads x86-64 code", path, o.machine)
	}
	for _, r := range o.jmprel {
		if r.jumpSlot {
			t.Errorf("%s: built with -fno-plt, has %v at %#x", path, r, r.offset)
		}
	}
	calls := o.calls
	if len(calls) == 0 {
		t.Fatalf("%s: objdump shows no call through a GOT slot", path)
	}
	bySlot := map[uint64]PLTEntry{}
	for _, e := range p.Entries {
		bySlot[e.Slot] = e
	}
	var agree int
	for _, slot := range slices.Sorted(maps.Keys(calls)) {
		line := calls[slot]
		e, ok := bySlot[slot]
		switch {
		case !ok:
			// checkPLT reported it
		case e.Stub != 0 || e.Section != "" || e.Reloc != elf.R_X86_64_GLOB_DAT.String():
			t.Errorf("%s: objdump %q calls through slot %#x directly; ReadPLT %s, want Stub 0 and %v", path, line, slot, fmtEntry(e), elf.R_X86_64_GLOB_DAT)
		default:
			agree++
		}
	}
	for _, e := range p.Entries {
		if _, ok := calls[e.Slot]; e.Stub == 0 && !ok {
			t.Errorf("%s: ReadPLT %s has no stub, and objdump shows no call through its slot", path, fmtEntry(e))
		}
	}
	t.Logf("%s: %d slots called through directly, all ReadPLT entries with Stub 0 and %v; %d stubs (%s)",
		path, agree, elf.R_X86_64_GLOB_DAT, c.stubs, strings.Join(stubSections(p), ", "))
}

func stubSections(p *PLT) []string {
	var s []string
	for _, e := range p.Entries {
		if e.Stub != 0 {
			s = append(s, e.Symbol+" in "+e.Section)
		}
	}
	return s
}

// dumpCallRE matches an x86-64 call or jump through a RIP-relative slot
// in objdump -d -w's output: the address of the slot is in the comment.
var dumpCallRE = regexp.MustCompile(`^\s*[0-9a-f]+:\t[0-9a-f ]+\t(?:call|jmp)\s+\*-?0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)`)

// objdumpCallSlots returns the slots that code outside the PLT sections
// calls or jumps through, each with a line of objdump that does.
func objdumpCallSlots(tool, path string) (map[uint64]string, error) {
	out, err := exec.Command(tool, "-d", "-w", path).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -d -w %s: %v\n%s", tool, path, err, out)
	}
	slots := map[uint64]string{}
	var section string
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\n")
		if s := dumpSectionRE.FindStringSubmatch(line); s != nil {
			section = s[1]
			continue
		}
		if strings.HasPrefix(section, ".plt") {
			continue
		}
		if s := dumpCallRE.FindStringSubmatch(line); s != nil {
			v, err := strconv.ParseUint(s[1], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("objdump line %q: %v", line, err)
			}
			if _, ok := slots[v]; !ok {
				slots[v] = strings.TrimSpace(line)
			}
		}
	}
	return slots, nil
}

// TestPLTSystem compares ReadPLT with objdump and debug/elf on every
// tenth dynamic ELF file of /usr/bin. It leaves out the slots code calls
// through outside the PLT, which take disassembling all the code of
// large programs.
func TestPLTSystem(t *testing.T) {
	paths := testelf.Dynamic(t, "/usr/bin")
	var c pltCounts
	var other []string // files of machines without an oracle
	for i := 0; i < len(paths); i += 10 {
		path := paths[i]
		ef, err := elf.Open(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		m := ef.Machine
		ef.Close()
		if _, err := objdumpFor(m); err != nil {
			other = append(other, fmt.Sprintf("%s (%v)", path, err))
			continue
		}
		if _, o := checkPLT(t, path, false, &c); o != nil {
			o.Close()
		}
	}
	if c.files == 0 {
		t.Skipf("no file of /usr/bin has a machine with an objdump oracle: %v", other)
	}
	if len(other) > 0 {
		t.Logf("left out, no objdump oracle: %v", other)
	}
	t.Log(c.summary(fmt.Sprintf("(every tenth of the %d dynamic ones of /usr/bin)", len(paths))))
}
