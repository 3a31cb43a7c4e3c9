package elfx

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// hostileX64 is the default good file the hostile cases corrupt.
func hostileX64() *synthELF {
	return synthLib(elf.ELFCLASS64, binary.LittleEndian, elf.EM_X86_64)
}

func hostileX32() *synthELF {
	return synthLib(elf.ELFCLASS32, binary.LittleEndian, elf.EM_386)
}

// TestHostileSynthRoundTrip checks that the builder's files read back as
// built, in every class, byte order and hash style, so that the hostile
// cases below corrupt a file that is otherwise good.
func TestHostileSynthRoundTrip(t *testing.T) {
	for _, tg := range synthTargets {
		for _, style := range []int{synthHashBoth, synthHashSysV, synthHashGNU} {
			for _, sections := range []bool{true, false} {
				name := fmt.Sprintf("%v-%v-%v-hash%d-sections%v", tg.class, tg.order, tg.machine, style, sections)
				t.Run(name, func(t *testing.T) {
					s := synthLib(tg.class, tg.order, tg.machine)
					s.hash, s.sections = style, sections
					if style == synthHashSysV {
						// A PLT relocation in REL form, for the other DT_PLTREL.
						s.jmprelRel = true
					}
					img := s.build()
					checkSynthLib(t, s, img)
				})
			}
		}
	}
}

func checkSynthLib(t *testing.T, s *synthELF, img *synthImage) {
	t.Helper()
	f, err := NewFile(bytes.NewReader(img.data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != s.class || f.Machine != s.machine || len(f.Progs) != len(img.progs) {
		t.Fatalf("header: class %v machine %v %d progs", f.Class, f.Machine, len(f.Progs))
	}
	d, err := f.Dynamic()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Needed, []string{"libc.so.6"}) || d.Soname != "libsynth.so.1" ||
		!slices.Equal(d.Runpath, []string{"$ORIGIN", "/opt/synth/lib"}) {
		t.Errorf("dynamic: needed %q soname %q runpath %q", d.Needed, d.Soname, d.Runpath)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	if len(syms) != 1+len(s.syms) {
		t.Fatalf("%d symbols, want %d", len(syms), 1+len(s.syms))
	}
	want := []struct{ name, version, library string }{
		{}, {"puts", "GLIBC_2.2.5", "libc.so.6"}, {"foo", "V1", ""}, {"foo", "V2", ""},
		{"bar", "V2", ""}, {"tlsvar", "V1", ""}, {"weakfn", "", ""},
	}
	for i, w := range want {
		if g := syms[i]; g.Name != w.name || g.Version != w.version || g.Library != w.library {
			t.Errorf("symbol %d = %s@%s from %q, want %s@%s from %q", i, g.Name, g.Version, g.Library, w.name, w.version, w.library)
		}
	}
	for _, l := range []struct {
		ref  SymbolRef
		want int
	}{
		{SymbolRef{Name: "foo", Version: "V2", VersionHash: SysVHash("V2")}, 3},
		{SymbolRef{Name: "foo", Version: "V1", VersionHash: SysVHash("V1"), VersionHidden: true}, 2},
		{SymbolRef{Name: "foo"}, 3},
		{SymbolRef{Name: "bar"}, 4},
		{SymbolRef{Name: "tlsvar"}, 5},
		{SymbolRef{Name: "weakfn"}, 6},
		{SymbolRef{Name: "puts"}, -1},
		{SymbolRef{Name: "nosuch"}, -1},
	} {
		got, _, err := f.Lookup(l.ref)
		if err != nil || got != l.want {
			t.Errorf("Lookup(%s@%s) = %d, %v; want %d", l.ref.Name, l.ref.Version, got, err, l.want)
		}
	}
	needs, err := f.VersionNeeds()
	if err != nil || len(needs) != 1 || needs[0].File != "libc.so.6" || len(needs[0].Needs) != 1 {
		t.Errorf("VersionNeeds = %+v, %v", needs, err)
	}
	defs, err := f.VersionDefs()
	if err != nil || len(defs) != 3 || defs[2].Name != "V2" || !slices.Equal(defs[2].Parents, []string{"V1"}) {
		t.Errorf("VersionDefs = %+v, %v", defs, err)
	}
	tables, err := f.RelocTables()
	if err != nil {
		t.Fatal(err)
	}
	var counts []int
	for _, tab := range tables {
		n := 0
		for range tab.All() {
			n++
		}
		counts = append(counts, n)
	}
	if !slices.Equal(counts, []int{4, 2, 1}) {
		t.Errorf("relocation counts %v, want [4 2 1]", counts)
	}
	id, err := f.BuildID()
	if err != nil || id != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("BuildID = %q, %v", id, err)
	}
	notes, err := f.Notes()
	if err != nil || len(notes) != 3 {
		t.Fatalf("Notes = %v, %v", notes, err)
	}
	if tag, err := f.ABITag(notes[1]); err != nil || tag.String() != "Linux 3.2.0" {
		t.Errorf("ABITag = %v, %v", tag, err)
	}
	props, err := f.Properties()
	if err != nil || len(props) != 2 {
		t.Errorf("Properties = %v, %v", props, err)
	}
	if _, err := f.Features(); err != nil {
		t.Error(err)
	}
	shs, err := f.SectionHeaders()
	if err != nil {
		t.Fatal(err)
	}
	if s.sections && (len(shs) != 4 || shs[2].Name != ".dynsym") || !s.sections && len(shs) != 0 {
		t.Errorf("SectionHeaders = %v", shs)
	}
	// debug/elf agrees on the symbols where it can read them (it cannot
	// without section headers, nor with PN_XNUM).
	if ef, err := elf.NewFile(bytes.NewReader(img.data)); err == nil && s.sections {
		esyms, err := ef.DynamicSymbols()
		if err != nil {
			t.Fatal(err)
		}
		for i, es := range esyms {
			if es.Name != syms[i+1].Name || es.Value != syms[i+1].Value {
				t.Errorf("debug/elf symbol %d = %s %#x, elfx %s %#x", i+1, es.Name, es.Value, syms[i+1].Name, syms[i+1].Value)
			}
		}
	}
}

// Operations that hostile cases run after NewFile.
var (
	opDynamic = func(f *File) error { _, err := f.Dynamic(); return err }
	opSymbols = func(f *File) error { _, err := f.DynamicSymbols(); return err }
	opNeeds   = func(f *File) error { _, err := f.VersionNeeds(); return err }
	opDefs    = func(f *File) error { _, err := f.VersionDefs(); return err }
	opRelocs  = func(f *File) error { _, err := f.RelocTables(); return err }
	opNotes   = func(f *File) error { _, err := f.Notes(); return err }
	opProps   = func(f *File) error { _, err := f.Properties(); return err }
	opSects   = func(f *File) error { _, err := f.SectionHeaders(); return err }
	opInterp  = func(f *File) error { _, err := f.Interpreter(); return err }
	opABITags = func(f *File) error {
		notes, err := f.Notes()
		if err != nil {
			return err
		}
		for _, n := range notes {
			if n.Owner == "GNU" && n.Type == NT_GNU_ABI_TAG {
				if _, err := f.ABITag(n); err != nil {
					return err
				}
			}
		}
		return nil
	}
)

func opLookup(name string) func(f *File) error {
	return func(f *File) error { _, _, err := f.Lookup(SymbolRef{Name: name}); return err }
}

// hostileCase is one malformed file and the error it must give.
type hostileCase struct {
	name string
	data []byte
	op   func(*File) error // what to call after NewFile; nil when NewFile itself must fail
	off  uint64            // the FormatError's Off
	msg  string            // a substring of its Msg
}

// sectionsOnly is the op of the cases that break only the section header
// table: the loader never reads it, so the file opens and its dynamic view
// works, and only SectionHeaders reports the damage.
func sectionsOnly(f *File) error {
	if _, err := f.Dynamic(); err != nil {
		return fmt.Errorf("the dynamic view failed too: %w", err)
	}
	_, err := f.SectionHeaders()
	return err
}

// sectionHeaders reads only the section header table.
func sectionHeaders(f *File) error {
	_, err := f.SectionHeaders()
	return err
}

// hostileCut returns the first n bytes of b, copied.
func hostileCut(b []byte, n uint64) []byte { return append([]byte(nil), b[:n]...) }

// hostileCases builds the table. Each case starts from a good synthetic
// file and breaks one thing.
func hostileCases() []hostileCase {
	var cs []hostileCase
	add := func(name string, data []byte, op func(*File) error, off uint64, msg string) {
		cs = append(cs, hostileCase{name, data, op, off, msg})
	}

	// Not ELF at all.
	add("empty", nil, nil, 0, "not an ELF file")
	add("3 bytes", []byte("\x7fEL"), nil, 0, "not an ELF file")
	add("shell script", []byte("#!/bin/sh\necho hello\n"), nil, 0, "not an ELF file")
	add("PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"), nil, 0, "not an ELF file")

	// The identification.
	good := hostileX64().build()
	add("ident truncated", hostileCut(good.data, 10), nil, 0, "ELF identification truncated at 10 bytes")
	for _, c := range []struct {
		name string
		at   int
		val  byte
		msg  string
	}{
		{"class none", elf.EI_CLASS, 0, "unknown ELF class"},
		{"class 3", elf.EI_CLASS, 3, "unknown ELF class"},
		{"data none", elf.EI_DATA, 0, "unknown ELF data encoding"},
		{"data 7", elf.EI_DATA, 7, "unknown ELF data encoding"},
		{"version 0", elf.EI_VERSION, 0, "unknown ELF version"},
		{"version 2", elf.EI_VERSION, 2, "unknown ELF version"},
	} {
		b := hostileCut(good.data, uint64(len(good.data)))
		b[c.at] = c.val
		add(c.name, b, nil, uint64(c.at), c.msg)
	}

	// Truncation at every header boundary, in both classes. Without
	// section headers, so that the program header table is what is cut.
	for _, s := range []*synthELF{hostileX64(), hostileX32()} {
		s.sections = false
		img := s.build()
		ehdr := uint64(img.lay.ehdr)
		cls := s.class.String()
		add(cls+" ident only", hostileCut(img.data, elf.EI_NIDENT), nil, 0,
			fmt.Sprintf("ELF header (%d bytes) extends past the end of the file (16 bytes)", ehdr))
		add(cls+" header short by one", hostileCut(img.data, ehdr-1), nil, 0,
			fmt.Sprintf("ELF header (%d bytes) extends past the end of the file", ehdr))
		n := len(img.progs)
		for i := range n {
			for _, at := range []uint64{img.phdrOff(i), img.phdrOff(i) + uint64(img.lay.phdr)/2, img.phdrOff(i) + uint64(img.lay.phdr) - 1} {
				add(fmt.Sprintf("%s cut at %d in program header %d", cls, at, i), hostileCut(img.data, at), nil, img.off["phdr"],
					fmt.Sprintf("program header table (%d entries) (%d bytes) extends past the end of the file (%d bytes)", n, n*img.lay.phdr, at))
			}
		}
	}
	{
		// With section headers, a cut file loses them first.
		at := good.off["dynamic"]
		add("cut before the section headers", hostileCut(good.data, at), sectionHeaders, good.off["shdr"], "4 section headers do not fit in the file")
	}

	// Header counts and sizes.
	{
		img := hostileX64().build()
		img.setEhdr("phentsize", 40)
		add("phentsize 40", img.data, nil, 0, "program header entry size 40, want 56")
	}
	{
		img := hostileX32().build()
		img.setEhdr("phentsize", 56)
		add("ELF32 phentsize 56", img.data, nil, 0, "program header entry size 56, want 32")
	}
	{
		img := hostileX64().build()
		img.setEhdr("phnum", 0xfffe)
		add("phnum 0xfffe", img.data, nil, img.off["phdr"], "program header table of 65534 entries (3669904 bytes) exceeds the 64 KiB the kernel loads")
	}
	{
		img := hostileX64().build()
		img.setEhdr("shnum", 0xfffe)
		add("shnum 0xfffe", img.data, sectionsOnly, img.off["shdr"], "65534 section headers do not fit in the file")
	}
	{
		img := hostileX64().build()
		img.setEhdr("shnum", 0)
		img.put(img.shdrOff(0)+32, 8, 1<<40) // sh_size of section 0 holds the count
		add("shnum escape huge", img.data, sectionsOnly, img.off["shdr"], fmt.Sprintf("%d section headers do not fit in the file", len(img.data)))
	}
	{
		img := hostileX64().build()
		img.setEhdr("shentsize", 40)
		add("shentsize 40", img.data, sectionsOnly, 0, "section header entry size 40, want 64")
	}
	{
		img := hostileX64().build()
		img.setEhdr("shoff", uint64(len(img.data))+8)
		add("shoff past the end", img.data, sectionsOnly, uint64(len(img.data))+8, "4 section headers do not fit in the file")
	}
	// PN_XNUM: the program header count in section header 0's sh_info.
	{
		img := hostileX64().build()
		img.setEhdr("phnum", 0xffff)
		img.put32(img.shdrOff(0)+44, 0x10000000)
		add("PN_XNUM huge", img.data, nil, img.off["phdr"], "program header table of 268435456 entries")
	}
	{
		img := hostileX32().build()
		img.setEhdr("phnum", 0xffff)
		img.put32(img.shdrOff(0)+28, 0xffffffff)
		add("ELF32 PN_XNUM 0xffffffff", img.data, nil, img.off["phdr"], "program header table of 4294967295 entries")
	}
	{
		s := hostileX64()
		s.sections = false
		img := s.build()
		img.setEhdr("phnum", 0xffff)
		add("PN_XNUM without section headers", img.data, nil, img.off["phdr"], "program header table of 65535 entries")
	}
	{
		img := hostileX64().build()
		img.setEhdr("phnum", 0xffff)
		img.setEhdr("shoff", uint64(len(img.data))-10)
		add("PN_XNUM with section header 0 past the end", img.data, nil, uint64(len(img.data))-10,
			"section header 0 (64 bytes) extends past the end of the file")
	}

	// PT_DYNAMIC.
	{
		img := hostileX64().build()
		i := img.progIndex(elf.PT_DYNAMIC)
		img.editProg(i, func(p *elf.ProgHeader) { p.Vaddr = 0x900000 })
		add("PT_DYNAMIC outside any PT_LOAD", img.data, opDynamic, img.off["phdr"],
			"PT_DYNAMIC at address 0x900000")
	}
	{
		img := hostileX64().build()
		size := uint64(len(img.data))
		img.editProg(0, func(p *elf.ProgHeader) { p.Filesz, p.Memsz = size+0x1000, size+0x1000 })
		img.editProg(img.progIndex(elf.PT_DYNAMIC), func(p *elf.ProgHeader) { p.Vaddr, p.Off = synthBase+size+16, size+16 })
		add("PT_DYNAMIC outside the file", img.data, opDynamic, img.off["phdr"],
			fmt.Sprintf("PT_DYNAMIC at address %#x", synthBase+size+16))
	}
	{
		img := hostileX64().build()
		img.editProg(img.progIndex(elf.PT_DYNAMIC), func(p *elf.ProgHeader) { p.Filesz = 1<<64 - 1 })
		add("PT_DYNAMIC filesz huge", img.data, opDynamic, img.off["phdr"], "is not in the file image of any PT_LOAD segment")
	}

	// DT_STRTAB and the strings.
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_STRTAB, 0x7fff0000)
		add("DT_STRTAB outside the file", img.data, opDynamic, img.off["dynamic"], "DT_STRTAB at address 0x7fff0000")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_STRSZ, 1<<62)
		add("DT_STRSZ huge", img.data, opDynamic, img.off["dynamic"], "DT_STRTAB at address")
	}
	{
		img := hostileX64().build()
		strsz := img.dynVal(elf.DT_STRSZ)
		img.setDyn(elf.DT_NEEDED, strsz+5)
		add("DT_NEEDED past DT_STRSZ", img.data, opDynamic, img.dynOff(elf.DT_NEEDED),
			fmt.Sprintf("DT_NEEDED string offset %#x outside DT_STRTAB (%d bytes)", strsz+5, strsz))
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_STRSZ, uint64(img.strOff["libc.so.6"])+3)
		add("DT_NEEDED cut by DT_STRSZ", img.data, opDynamic, img.dynOff(elf.DT_NEEDED), "DT_NEEDED string offset")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_SONAME, 1<<40)
		add("DT_SONAME huge", img.data, opDynamic, img.dynOff(elf.DT_SONAME), "DT_SONAME string offset 0x10000000000")
	}

	// DT_SYMTAB and its size.
	{
		s := hostileX64()
		s.sections, s.hash = false, synthHashSysV
		img := s.build()
		img.put32(img.off["hash"]+4, 0xffffffff)
		add("DT_HASH nchain 0xffffffff", img.data, opSymbols, img.off["dynamic"], "DT_HASH (3 buckets, 4294967295 chains)")
	}
	{
		s := hostileX64()
		s.sections, s.hash = false, synthHashSysV
		img := s.build()
		img.put32(img.off["hash"], 0xffffffff)
		add("DT_HASH nbucket 0xffffffff", img.data, opLookup("foo"), img.off["dynamic"], "DT_HASH (4294967295 buckets, 7 chains)")
	}
	{
		s := synthLib(elf.ELFCLASS64, binary.BigEndian, elf.EM_S390)
		s.sections, s.hash = false, synthHashSysV
		img := s.build()
		img.put(img.off["hash"]+8, 8, 0xffffffff)
		add("s390x DT_HASH nchain 0xffffffff", img.data, opSymbols, img.off["dynamic"], "DT_HASH (3 buckets, 4294967295 chains)")
	}
	{
		// Without hash tables the .dynsym section header sizes the table.
		s := hostileX64()
		s.hash = synthHashNone
		img := s.build()
		for i := 0; ; i++ {
			if binary.LittleEndian.Uint32(img.data[img.shdrOff(i)+4:]) == uint32(elf.SHT_DYNSYM) {
				img.put(img.shdrOff(i)+32, 8, 1<<60) // sh_size
				break
			}
		}
		add(".dynsym size huge", img.data, opSymbols, img.off["dynamic"],
			fmt.Sprintf("%d dynamic symbols do not fit in the file", uint64(1<<60)/24))
	}
	{
		s := hostileX64()
		s.sections, s.hash = false, synthHashNone
		img := s.build()
		add("no symbol count", img.data, opSymbols, 0, "neither DT_HASH, DT_GNU_HASH nor a .dynsym section header")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_SYMENT, 16)
		add("DT_SYMENT 16", img.data, opSymbols, img.off["dynamic"], "DT_SYMENT is 16, want 24")
	}
	{
		img := hostileX64().build()
		img.put32(img.symOff(2), 0xffffff)
		add("symbol name outside DT_STRTAB", img.data, opSymbols, img.symOff(2), "symbol 2 name offset 0xffffff outside DT_STRTAB")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_SYMTAB, synthBase+uint64(len(img.data))-8)
		add("DT_SYMTAB at the end", img.data, opSymbols, img.off["dynamic"], "DT_SYMTAB (7 symbols) at address")
	}

	// DT_GNU_HASH.
	gnuOnly := func(sections bool) *synthImage {
		s := hostileX64()
		s.sections, s.hash = sections, synthHashGNU
		return s.build()
	}
	{
		img := gnuOnly(false)
		img.put32(img.off["gnuhash"]+8, 3)
		add("GNU hash bloom size 3", img.data, opSymbols, img.off["gnuhash"], "DT_GNU_HASH bloom filter size 3 is not a power of two")
	}
	{
		img := gnuOnly(false)
		img.put32(img.off["gnuhash"]+8, 0)
		add("GNU hash bloom size 0", img.data, opSymbols, img.off["gnuhash"], "DT_GNU_HASH bloom filter size 0 is not a power of two")
	}
	{
		img := gnuOnly(false)
		img.put32(img.off["gnuhash"], 0x10000000)
		add("GNU hash nbuckets huge", img.data, opSymbols, img.off["gnuhash"],
			"DT_GNU_HASH with 1 bloom words and 268435456 buckets does not fit its segment")
	}
	{
		img := gnuOnly(false)
		img.put32(img.off["gnuhash"]+8, 0x80000000)
		add("GNU hash bloom huge", img.data, opSymbols, img.off["gnuhash"],
			"DT_GNU_HASH with 2147483648 bloom words and 1 buckets does not fit its segment")
	}
	{
		img := gnuOnly(false)
		img.editProg(0, func(p *elf.ProgHeader) { p.Filesz = img.off["gnuhash"] + 8 })
		add("GNU hash header truncated", img.data, opSymbols, img.off["gnuhash"], "DT_GNU_HASH header truncated")
	}
	{
		// The hash table is the last thing in the file: clear the end
		// bit of the last chain entry and the chain runs off the end.
		img := gnuOnly(false)
		last := img.off["gnuhash"] + img.size["gnuhash"] - 4
		img.put32(last, binary.LittleEndian.Uint32(img.data[last:])&^1)
		add("GNU hash chain runs off the end", img.data, opSymbols, img.off["gnuhash"],
			"DT_GNU_HASH chain of symbol 2 runs past the end of its segment")
	}
	{
		// The same through Lookup, with a bloom filter that passes
		// everything and the segment ending at the table: sizing the
		// symbol table walks the chain first and finds it.
		img := gnuOnly(true)
		last := img.off["gnuhash"] + img.size["gnuhash"] - 4
		img.put32(last, binary.LittleEndian.Uint32(img.data[last:])&^1)
		img.put(img.off["gnuhash"]+16, 8, 1<<64-1)
		img.editProg(0, func(p *elf.ProgHeader) { p.Filesz = img.off["gnuhash"] + img.size["gnuhash"] })
		add("GNU hash chain runs off the end in Lookup", img.data, opLookup("nosuch"), img.off["gnuhash"],
			"DT_GNU_HASH chain of symbol 2 runs past the end of its segment")
	}
	{
		img := gnuOnly(false)
		img.put32(img.off["gnuhash"]+24, 1)
		add("GNU hash bucket below symoffset", img.data, opSymbols, img.off["gnuhash"],
			"DT_GNU_HASH bucket names symbol 1 below symoffset 2")
	}

	// DT_HASH chains.
	sysvOnly := func() *synthImage {
		s := hostileX64()
		s.hash = synthHashSysV
		return s.build()
	}
	{
		img := sysvOnly()
		h := img.off["hash"]
		for b := range 3 {
			img.put32(h+8+uint64(4*b), 1)
		}
		img.put32(h+8+12+4, 1) // chain[1] = 1
		add("DT_HASH chain loops", img.data, opLookup("nosuch"), h,
			fmt.Sprintf("DT_HASH chain for hash %#x is broken at symbol 1 (nchain 7)", SysVHash("nosuch")))
	}
	{
		img := sysvOnly()
		h := img.off["hash"]
		for b := range 3 {
			img.put32(h+8+uint64(4*b), 99)
		}
		add("DT_HASH bucket past nchain", img.data, opLookup("foo"), h, "is broken at symbol 99 (nchain 7)")
	}

	// DT_VERNEED.
	{
		s := hostileX64()
		s.aliasLoad = 0x100000
		img := s.build()
		img.put32(img.off["verneed"]+12, 0x100000) // vn_next: the same entry, seen through the alias
		img.setDyn(elf.DT_VERNEEDNUM, 2)
		add("verneed loops", hostileCut(img.data, uint64(len(img.data))), opNeeds, img.off["verneed"], "DT_VERNEED chain loops back to entry 1")
		img.dropDyn(elf.DT_VERNEEDNUM)
		add("verneed loops without DT_VERNEEDNUM", img.data, opNeeds, img.off["verneed"], "DT_VERNEED chain loops back to entry 1")
	}
	{
		// In ELF32 a vn_next of -16 points back at the entry in the
		// loader's 32-bit arithmetic.
		img := hostileX32().build()
		img.put32(img.off["verneed"]+12, 0xfffffff0)
		img.dropDyn(elf.DT_VERNEEDNUM)
		add("ELF32 verneed points back", img.data, opNeeds, img.off["dynamic"], "DT_VERNEED entry 1 at address")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verneed"]+2, 0xffff)
		add("verneed vn_cnt huge", img.data, opNeeds, img.off["verneed"],
			"DT_VERNEED entry of libc.so.6 claims 65535 versions, more than the file can hold")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verneed"]+2, 3)
		add("verneed vn_cnt past the aux chain", img.data, opNeeds, img.off["verneed"]+16,
			"DT_VERNEED auxiliary chain of libc.so.6 ends after 1 of 3 entries")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["verneed"]+8, 0x7fffffff)
		add("verneed aux outside", img.data, opNeeds, img.off["verneed"], "DT_VERNEED auxiliary entry 0 of libc.so.6 is outside the file")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verneed"], 2)
		add("verneed version 2", img.data, opNeeds, img.off["verneed"], "DT_VERNEED entry has version 2, want 1")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["verneed"]+4, 0xfffff)
		add("verneed file outside DT_STRTAB", img.data, opNeeds, img.off["verneed"], "DT_VERNEED file name offset 0xfffff outside DT_STRTAB")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["verneed"]+16+8, 0xfffff)
		add("verneed name outside DT_STRTAB", img.data, opNeeds, img.off["verneed"]+16, "DT_VERNEED version name offset 0xfffff outside DT_STRTAB")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_VERNEEDNUM, 1<<40)
		add("DT_VERNEEDNUM huge", img.data, opNeeds, img.off["dynamic"], "DT_VERNEED count 1099511627776 exceeds what the file can hold")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_VERNEEDNUM, 2)
		add("DT_VERNEEDNUM past the chain", img.data, opNeeds, img.off["verneed"], "DT_VERNEED chain ends after 1 of 2 entries")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_VERNEED, 0x7fff0000)
		add("DT_VERNEED outside", img.data, opNeeds, img.off["dynamic"], "DT_VERNEED entry 0 at address 0x7fff0000 is not in the file image")
	}

	// DT_VERDEF.
	{
		s := hostileX64()
		s.aliasLoad = 0x100000
		img := s.build()
		img.put32(img.off["verdef"]+16, 0x100000) // vd_next of the base entry: itself
		add("verdef loops", img.data, opDefs, img.off["verdef"], "DT_VERDEF chain loops back to entry 1")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verdef"]+6, 0xffff)
		add("verdef vd_cnt huge", img.data, opDefs, img.off["verdef"],
			"DT_VERDEF entry for index 1 claims 65535 names, more than the file can hold")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verdef"]+6, 0)
		add("verdef vd_cnt 0", img.data, opDefs, img.off["verdef"], "DT_VERDEF entry for index 1 has no name")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["verdef"]+20, 0xfffff)
		add("verdef name outside DT_STRTAB", img.data, opDefs, img.off["verdef"]+20, "DT_VERDEF version name offset 0xfffff outside DT_STRTAB")
	}
	{
		img := hostileX64().build()
		img.put16(img.off["verdef"], 0)
		add("verdef version 0", img.data, opDefs, img.off["verdef"], "DT_VERDEF entry has version 0, want 1")
	}

	// DT_VERSYM.
	{
		img := hostileX64().build()
		img.put16(img.off["versym"]+2*2, 9)
		add("versym index with no definition", img.data, opSymbols, img.symOff(2),
			"symbol 2 (foo) has version index 9, which no DT_VERNEED or DT_VERDEF entry defines")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_VERSYM, synthBase+uint64(len(img.data))-4)
		add("DT_VERSYM runs off the end", img.data, opSymbols, img.off["dynamic"], "DT_VERSYM at address")
	}

	// Relocations.
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_RELASZ, 2*24+5)
		add("DT_RELASZ not a multiple", img.data, opRelocs, img.off["dynamic"], "DT_RELA size 53 is not a multiple of the entry size 24")
	}
	{
		img := hostileX32().build()
		img.setDyn(elf.DT_RELASZ, 13)
		add("ELF32 DT_RELASZ not a multiple", img.data, opRelocs, img.off["dynamic"], "DT_RELA size 13 is not a multiple of the entry size 12")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_RELAENT, 16)
		add("DT_RELAENT 16", img.data, opRelocs, img.off["dynamic"], "DT_RELAENT is 16, want 24")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_RELA, 0x7000000)
		add("DT_RELA outside the file", img.data, opRelocs, img.off["dynamic"], "DT_RELA at address 0x7000000 (48 bytes)")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_RELASZ, 24<<40)
		add("DT_RELASZ huge", img.data, opRelocs, img.off["dynamic"], "DT_RELA at address")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_PLTREL, 5)
		add("DT_PLTREL bogus", img.data, opRelocs, img.off["dynamic"], "DT_PLTREL is 5, want DT_REL (17) or DT_RELA (7)")
	}
	{
		img := hostileX64().build()
		img.dropDyn(elf.DT_PLTREL)
		add("DT_PLTREL missing", img.data, opRelocs, img.off["dynamic"], "DT_PLTREL is 0")
	}
	{
		img := hostileX64().build()
		img.setDyn(elf.DT_PLTRELSZ, 24<<40)
		add("DT_PLTRELSZ huge", img.data, opRelocs, img.off["dynamic"], "DT_JMPREL at address")
	}
	{
		img := hostileX64().build()
		img.putWord(img.off["relr"], 0x3001)
		add("RELR starts with a bitmap", img.data, opRelocs, img.off["relr"], "DT_RELR table starts with a bitmap, not an address")
	}
	{
		img := hostileX32().build()
		img.putWord(img.off["relr"], 0xffffffff)
		add("ELF32 RELR starts with a bitmap", img.data, opRelocs, img.off["relr"], "DT_RELR table starts with a bitmap")
	}
	{
		img := hostileX64().build()
		img.setDyn(DT_RELRENT, 4)
		// The message names the tag as debug/elf spells it, which does
		// not know DT_RELRENT: "DT_SYMTAB_SHNDX+3 is 4, want 8".
		add("DT_RELRENT 4", img.data, opRelocs, img.off["dynamic"], "is 4, want 8")
	}
	{
		img := hostileX64().build()
		img.setEhdr("machine", uint64(elf.EM_MIPS))
		add("RELR on an unknown machine", img.data, opRelocs, img.off["relr"], "DT_RELR on EM_MIPS")
	}

	// Notes and properties.
	{
		img := hostileX64().build()
		img.put32(img.off["notes"], 0x1000)
		add("note namesz overruns", img.data, opNotes, img.off["notes"], "note (name 4096 bytes, description 20 bytes) overruns its segment")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["notes"]+4, 0xffffffff)
		add("note descsz overruns", img.data, opNotes, img.off["notes"], "note (name 4 bytes, description 4294967295 bytes) overruns its segment")
	}
	{
		img := hostileX64().build()
		img.put32(img.off["notes"]+4, 0xfffffff0)
		img.put32(img.off["notes"], 0xfffffff0)
		add("note both sizes overflow", img.data, opNotes, img.off["notes"], "overruns its segment")
	}
	{
		img := hostileX64().build()
		img.editProg(img.progIndex(elf.PT_NOTE), func(p *elf.ProgHeader) { p.Filesz = 5 })
		add("note header truncated", img.data, opNotes, img.off["notes"], "note header truncated")
	}
	{
		img := hostileX64().build()
		at := uint64(len(img.data)) - 4
		img.editProg(img.progIndex(elf.PT_NOTE), func(p *elf.ProgHeader) { p.Off = at })
		add("PT_NOTE past the end", img.data, opBuildID, at, "PT_NOTE segment")
	}
	{
		img := hostileX64().build()
		off := hostileNoteOff(img, NT_GNU_PROPERTY_TYPE_0)
		img.put32(off+16+4, 0x100) // pr_datasz of the first property
		add("GNU property overruns", img.data, opProps, off, "GNU property 0xc0000002 of 256 bytes overruns its note")
	}
	{
		img := hostileX64().build()
		off := hostileNoteOff(img, NT_GNU_PROPERTY_TYPE_0)
		img.put32(off+16+4, 0xffffffff)
		add("GNU property size 0xffffffff", img.data, opFeatures, off, "of 4294967295 bytes overruns its note")
	}
	{
		img := hostileX64().build()
		off := hostileNoteOff(img, NT_GNU_PROPERTY_TYPE_0)
		img.put32(off+4, 20) // descsz: one property and half a header
		img.editProg(img.progIndex(elf.PT_NOTE), func(p *elf.ProgHeader) { p.Filesz -= 8 })
		add("GNU property header truncated", img.data, opProps, off, "GNU property header truncated")
	}
	{
		s := hostileX64()
		s.notes = []synthNote{{"GNU", NT_GNU_ABI_TAG, make([]byte, 8)}}
		img := s.build()
		add("ABI tag short", img.data, opABITags, img.off["notes"], "NT_GNU_ABI_TAG description is 8 bytes, want 16")
	}

	{
		// Four copies of a PT_NOTE segment that is half the file.
		s := hostileX64()
		s.notes = []synthNote{{"GNU", 0x99, make([]byte, 2048)}}
		s.spareProgs = 3
		img := s.build()
		note := img.prog(img.progIndex(elf.PT_NOTE))
		for i := len(img.progs) - 3; i < len(img.progs); i++ {
			img.setProg(i, note)
		}
		i := img.progIndex(elf.PT_NOTE) + int(uint64(len(img.data))/note.Filesz)
		add("overlapping PT_NOTE segments", img.data, opNotes, img.phdrOff(i), "PT_NOTE segments hold")
	}

	// Shared records, which would cost the product of two counts.
	{
		s := hostileX64()
		colons := strings.Repeat(":", 100)
		for range 10 {
			s.strs = append(s.strs, synthDynStr{elf.DT_RPATH, colons})
		}
		img := s.build()
		// The first entry whose paths, with those before, outnumber the
		// table's bytes and the array's entries.
		var at uint64
		for i, paths := 0, 0; ; i++ {
			if img.dyn[i] == elf.DT_RUNPATH {
				paths += 2
			} else if img.dyn[i] == elf.DT_RPATH {
				paths += 101
			}
			if paths > len(img.data[img.off["dynstr"]:img.off["dynstr"]+img.size["dynstr"]])+len(img.dyn) {
				at = img.off["dynamic"] + uint64(i*16)
				break
			}
		}
		add("DT_RPATH naming one string of colons", img.data, opDynamic, at, "DT_RPATH and DT_RUNPATH entries name")
	}
	{
		data, pad := hostileSharedVerneed(20, 20)
		i := uint64(len(data)) / (20 * 16) // the first entry that takes the sum past the file's size
		add("verneed entries sharing one auxiliary chain", data, opNeeds, pad+16*i,
			"DT_VERNEED entry of libc.so.6 claims 20 versions, more than the file can hold with the entries before it")
	}
	{
		data, pad := hostileSharedVerdef(20, 40)
		i := uint64(len(data)) / (40 * 8)
		add("verdef entries sharing one auxiliary chain", data, opDefs, pad+20*i,
			fmt.Sprintf("DT_VERDEF entry for index %d claims 40 names, more than the file can hold with the entries before it", 2+i))
	}

	// Sections and PT_INTERP.
	{
		img := hostileX64().build()
		img.put32(img.shdrOff(1), 0xffff)
		add("section name outside", img.data, opSects, img.shdrOff(1), "section 1 name offset 0xffff outside the section name table")
	}
	{
		img := hostileX64().build()
		img.put(img.shdrOff(3)+32, 8, 1<<40)
		add("section name table huge", img.data, opSects, img.off["shstrtab"], "section name table (1099511627776 bytes) extends past the end")
	}
	{
		s := hostileX64()
		s.interp = "/lib64/ld-linux-x86-64.so.2"
		img := s.build()
		img.editProg(img.progIndex(elf.PT_INTERP), func(p *elf.ProgHeader) { p.Filesz = 1 << 33 })
		add("PT_INTERP huge", img.data, opInterp, img.off["interp"], "PT_INTERP (8589934592 bytes) extends past the end")
	}
	return cs
}

var (
	opBuildID  = func(f *File) error { _, err := f.BuildID(); return err }
	opFeatures = func(f *File) error { _, err := f.Features(); return err }
)

// hostileNoteOff is the file offset of the first GNU note of the type.
func hostileNoteOff(img *synthImage, typ uint32) uint64 {
	f, err := NewFile(bytes.NewReader(img.data))
	if err != nil {
		panic(err)
	}
	notes, err := f.Notes()
	if err != nil {
		panic(err)
	}
	for _, n := range notes {
		if n.Owner == "GNU" && n.Type == typ {
			return n.Off
		}
	}
	panic("no such note")
}

// runHostile opens data with open and runs c.op, returning the error the
// case expects.
func runHostile(c hostileCase, open func([]byte) (*File, error)) error {
	f, err := open(c.data)
	if c.op == nil || err != nil {
		return err
	}
	defer f.Close()
	return c.op(f)
}

// checkHostileErr checks that err is the case's *FormatError.
func checkHostileErr(t *testing.T, c hostileCase, err error, file string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q at offset %#x", c.msg, c.off)
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	if !strings.Contains(fe.Msg, c.msg) {
		t.Errorf("Msg = %q, want it to contain %q", fe.Msg, c.msg)
	}
	if fe.Off != c.off {
		t.Errorf("Off = %#x, want %#x (%s)", fe.Off, c.off, fe.Msg)
	}
	if fe.File != file {
		t.Errorf("File = %q, want %q", fe.File, file)
	}
	if file != "" && !strings.HasPrefix(err.Error(), file+": ") {
		t.Errorf("Error() = %q does not start with the file name %q", err.Error(), file)
	}
	if want := fmt.Sprintf("at offset %#x", c.off); !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Error() = %q does not end with %q", err.Error(), want)
	}
}

// hostileAllocLimit is how much a call may allocate for a file of n bytes.
func hostileAllocLimit(n int) uint64 { return 64*uint64(n) + 64<<10 }

// hostileAllocated reports the bytes fn allocates.
func hostileAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// hostileNewFile decodes b through NewFile.
func hostileNewFile(b []byte) (*File, error) { return NewFile(bytes.NewReader(b)) }

// TestHostileInputs runs every case through NewFile and checks the error,
// its offset and how much the reader allocated on the way.
func TestHostileInputs(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := hostileAllocated(func() { err = runHostile(c, hostileNewFile) })
			checkHostileErr(t, c, err, "")
			if limit := hostileAllocLimit(len(c.data)); n > limit {
				t.Errorf("allocated %d bytes for a %d-byte file, more than %d", n, len(c.data), limit)
			}
		})
	}
}

// TestHostileOpenNamesFile runs every case through Open, which maps the
// file: every FormatError must carry the path, and Error must start with it.
func TestHostileOpenNamesFile(t *testing.T) {
	dir := t.TempDir()
	for i, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("hostile%d.so", i))
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			err := runHostile(c, func([]byte) (*File, error) { return Open(path) })
			checkHostileErr(t, c, err, path)
		})
	}
}

// TestHostilePNXNUM checks the valid use of PN_XNUM: e_phnum 0xffff with
// the count in section header 0's sh_info.
func TestHostilePNXNUM(t *testing.T) {
	for _, s := range []*synthELF{hostileX64(), hostileX32()} {
		img := s.build()
		img.setEhdr("phnum", 0xffff)
		info := img.shdrOff(0) + 44
		if s.class == elf.ELFCLASS32 {
			info = img.shdrOff(0) + 28
		}
		img.put32(info, uint32(len(img.progs)))
		f, err := NewFile(bytes.NewReader(img.data))
		if err != nil {
			t.Fatalf("%v: %v", s.class, err)
		}
		if len(f.Progs) != len(img.progs) {
			t.Errorf("%v: %d program headers, want %d", s.class, len(f.Progs), len(img.progs))
		}
		checkSynthLib(t, s, img)
	}
}

// TestHostileRelrBitmaps checks that a DT_RELR table of all-ones bitmaps,
// which stands for 63 relocations a word, is expanded lazily: decoding it
// allocates in proportion to the table, and a consumer can stop early.
func TestHostileRelrBitmaps(t *testing.T) {
	s := hostileX64()
	s.relr = make([]uint64, 4096)
	s.relr[0] = 0x10000
	for i := 1; i < len(s.relr); i++ {
		s.relr[i] = 1<<64 - 1
	}
	img := s.build()
	var tables []RelocTable
	var err error
	n := hostileAllocated(func() {
		f, _ := NewFile(bytes.NewReader(img.data))
		tables, err = f.RelocTables()
	})
	if err != nil {
		t.Fatal(err)
	}
	if limit := hostileAllocLimit(len(img.data)); n > limit {
		t.Errorf("allocated %d bytes for a %d-byte file, more than %d", n, len(img.data), limit)
	}
	count, stopped := 0, 0
	n = hostileAllocated(func() {
		for range tables[0].All() {
			count++
		}
		for range tables[0].All() {
			if stopped++; stopped == 10 {
				break
			}
		}
	})
	if want := 1 + 63*(len(s.relr)-1); count != want {
		t.Errorf("All yielded %d relocations, want %d", count, want)
	}
	if n > 4<<10 {
		t.Errorf("iterating All allocated %d bytes", n)
	}
}

// TestHostileAllocationBounds builds files whose records are all valid but
// point at shared data, so that decoding them naively costs the product
// of two counts, each bounded by the file's size. The reader must stay
// within a constant multiple of the file's size.
func TestHostileAllocationBounds(t *testing.T) {
	long := func(n int, c byte) string { return strings.Repeat(string(c), n) }
	cases := []struct {
		name  string
		build func() []byte
		op    func(*File) error
	}{
		{"many DT_NEEDED naming one long string", func() []byte {
			s := hostileX64()
			name := long(16<<10, 'n')
			for range 4000 {
				s.strs = append(s.strs, synthDynStr{elf.DT_NEEDED, name})
			}
			return s.build().data
		}, opDynamic},
		{"many DT_RUNPATH naming one string of colons", func() []byte {
			s := hostileX64()
			name := long(8<<10, ':')
			for range 500 {
				s.strs = append(s.strs, synthDynStr{elf.DT_RUNPATH, name})
			}
			return s.build().data
		}, opDynamic},
		{"many symbols sharing one long name", func() []byte {
			s := hostileX64()
			name := long(16<<10, 's')
			for range 2000 {
				s.syms = append(s.syms, synthSym{name: name, value: 0x1000, info: synthFunc, shndx: 5, ver: 1})
			}
			return s.build().data
		}, opSymbols},
		{"many sections sharing one long name", func() []byte {
			s := hostileX64()
			s.pad = 1000 * 64
			s.extraStrs = []string{long(16<<10, 'x')}
			img := s.build()
			// Move the section header table into the pad: 1000
			// headers, each named by the long string in .dynstr,
			// which is the section name table.
			pad := img.off["pad"]
			img.setEhdr("shoff", pad)
			img.setEhdr("shnum", 1000)
			img.setEhdr("shstrndx", 1)
			img.off["shdr"] = pad
			for i := 1; i < 1000; i++ {
				img.setSection(i, elf.SectionHeader{Type: elf.SHT_STRTAB, Offset: img.off["dynstr"], Size: img.size["dynstr"]},
					img.strOff[long(16<<10, 'x')])
			}
			return img.data
		}, opSects},
		{"verneed entries sharing one auxiliary chain", func() []byte {
			data, _ := hostileSharedVerneed(1000, 1000)
			return data
		}, opNeeds},
		{"verdef entries sharing one auxiliary chain", func() []byte {
			data, _ := hostileSharedVerdef(1000, 2000)
			return data
		}, opDefs},
		{"version indexes near 0x7fff", func() []byte {
			return hostileHighVersions().data
		}, opSymbols},
		{"overlapping PT_NOTE segments", func() []byte {
			s := hostileX64()
			s.notes = []synthNote{{"GNU", 0x99, make([]byte, 16<<10)}}
			s.spareProgs = 500
			img := s.build()
			note := img.prog(img.progIndex(elf.PT_NOTE))
			for i := len(img.progs) - 500; i < len(img.progs); i++ {
				img.setProg(i, note)
			}
			return img.data
		}, opNotes},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.build()
			var err error
			n := hostileAllocated(func() {
				var f *File
				if f, err = NewFile(bytes.NewReader(data)); err == nil {
					err = c.op(f)
				}
			})
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v (%T) is not a *FormatError", err, err)
				}
				t.Logf("rejected: %v", err)
			}
			if limit := hostileAllocLimit(len(data)); n > limit {
				t.Errorf("allocated %d bytes (%dx) for a %d-byte file, more than %d", n, n/uint64(len(data)), len(data), limit)
			}
		})
	}
}

// hostileHighVersions is the small library with its version indexes
// renumbered to the top of their 15 bits: GLIBC_2.2.5 is 0x7fff and V1
// 0x7ffe, with DT_VERSYM to match.
func hostileHighVersions() *synthImage {
	img := hostileX64().build()
	img.put16(img.off["verneed"]+16+6, 0x7fff)  // vna_other
	img.put16(img.off["verdef"]+20+8+4, 0x7ffe) // vd_ndx of the second entry
	vs := img.off["versym"]
	img.put16(vs+2*1, 0x7fff)        // puts@GLIBC_2.2.5
	img.put16(vs+2*2, 0x7ffe|0x8000) // foo@V1, hidden
	img.put16(vs+2*5, 0x7ffe)        // tlsvar@V1
	return img
}

// TestHostileHighVersionIndex checks that version indexes at the top of
// their range resolve, and cost no more than the file's size justifies.
func TestHostileHighVersionIndex(t *testing.T) {
	img := hostileHighVersions()
	var syms []Symbol
	var err error
	n := hostileAllocated(func() {
		var f *File
		if f, err = NewFile(bytes.NewReader(img.data)); err == nil {
			syms, err = f.DynamicSymbols()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if limit := hostileAllocLimit(len(img.data)); n > limit {
		t.Errorf("allocated %d bytes for a %d-byte file, more than %d", n, len(img.data), limit)
	}
	for i, want := range map[int]string{1: "GLIBC_2.2.5", 2: "V1", 3: "V2", 5: "V1"} {
		if syms[i].Version != want {
			t.Errorf("symbol %d (%s) has version %q, want %q", i, syms[i].Name, syms[i].Version, want)
		}
	}
	f, _ := NewFile(bytes.NewReader(img.data))
	if i, _, err := f.Lookup(SymbolRef{Name: "foo", Version: "V1", VersionHash: SysVHash("V1"), VersionHidden: true}); i != 2 || err != nil {
		t.Errorf("Lookup(foo@V1) = %d, %v; want 2", i, err)
	}
}

// hostileSharedVerneed builds a file with k DT_VERNEED entries whose
// auxiliary chains are one and the same chain of m entries, and the file
// offset of the first entry.
func hostileSharedVerneed(k, m int) ([]byte, uint64) {
	s := hostileX64()
	s.pad = 16*k + 16*m
	s.extraStrs = []string{"GLIBC_SHARED"}
	img := s.build()
	pad := img.off["pad"]
	aux := pad + uint64(16*k)
	for i := range k {
		o := pad + uint64(16*i)
		img.put16(o, 1)
		img.put16(o+2, uint16(m))
		img.put32(o+4, img.strOff["libc.so.6"])
		img.put32(o+8, uint32(aux-o))
		if i < k-1 {
			img.put32(o+12, 16)
		}
	}
	for j := range m {
		o := aux + uint64(16*j)
		img.put32(o, SysVHash("GLIBC_SHARED"))
		img.put16(o+6, uint16(2+j%100))
		img.put32(o+8, img.strOff["GLIBC_SHARED"])
		if j < m-1 {
			img.put32(o+12, 16)
		}
	}
	img.setDyn(elf.DT_VERNEED, img.addr(pad))
	img.setDyn(elf.DT_VERNEEDNUM, uint64(k))
	return img.data, pad
}

// hostileSharedVerdef builds a file with k DT_VERDEF entries whose
// auxiliary chains are one and the same chain of m names, and the file
// offset of the first entry.
func hostileSharedVerdef(k, m int) ([]byte, uint64) {
	s := hostileX64()
	s.pad = 20*k + 8*m
	s.extraStrs = []string{"V_SHARED"}
	img := s.build()
	pad := img.off["pad"]
	aux := pad + uint64(20*k)
	for i := range k {
		o := pad + uint64(20*i)
		img.put16(o, 1)
		img.put16(o+4, uint16(2+i))
		img.put16(o+6, uint16(m))
		img.put32(o+8, SysVHash("V_SHARED"))
		img.put32(o+12, uint32(aux-o))
		if i < k-1 {
			img.put32(o+16, 20)
		}
	}
	for j := range m {
		o := aux + uint64(8*j)
		img.put32(o, img.strOff["V_SHARED"])
		if j < m-1 {
			img.put32(o+4, 8)
		}
	}
	img.setDyn(elf.DT_VERDEF, img.addr(pad))
	img.setDyn(elf.DT_VERDEFNUM, uint64(k))
	return img.data, pad
}
