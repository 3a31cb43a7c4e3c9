package inspect

import (
	"debug/elf"
	"errors"
	"fmt"

	"github.com/elfx/elfx/elfx"
)

// PLT is the map of a file's procedure linkage table: which stub calls
// through which GOT slot, which relocation fills the slot, and what the
// slot holds before the loader touches it.
type PLT struct {
	Machine elf.Machine
	// BindNow is set by DF_BIND_NOW, DF_1_NOW or DT_BIND_NOW: the loader
	// fills every slot at load, as under LD_BIND_NOW.
	BindNow bool
	// RELRO says what PT_GNU_RELRO protects once the loader has
	// relocated: "full" when it covers the PLT's GOT slots (they are
	// read-only from then on), "partial" when it covers other data only,
	// "none" without PT_GNU_RELRO.
	RELRO string
	// GOT is DT_PLTGOT, where the loader writes, at load, the address of
	// its link_map (GOT[1]) and of its resolver (GOT[2]); GOT[0] holds
	// _DYNAMIC's address.
	GOT uint64
	// PLT0 is the stub every lazy slot leads to first: it pushes GOT[1]
	// and jumps through GOT[2] to the resolver. 0 when there is none.
	PLT0    uint64
	Entries []PLTEntry
}

// PLTEntry is one GOT slot through which calls to a function go.
type PLTEntry struct {
	Symbol, Version string
	// Reloc is the relocation that fills the slot: a JUMP_SLOT, or a
	// GLOB_DAT for a .plt.got stub or a -fno-plt call site.
	Reloc string
	// Stub is the address a call instruction targets: the .plt entry, or
	// under IBT the .plt.sec entry, or the .plt.got entry; 0 when calls
	// go through the slot directly (-fno-plt).
	Stub    uint64
	Section string // the stub's section, "" when Stub is 0
	Slot    uint64 // the GOT slot: the relocation's r_offset
	// Initial is the slot's value in the file. For a lazy slot it leads
	// back into the PLT, to the code that pushes the slot's index and
	// jumps to PLT0 (x86-64 classic: the stub + 6; IBT: the matching
	// .plt entry; aarch64: PLT0); the loader adds the load bias.
	Initial uint64
	Lazy    bool // a JUMP_SLOT the loader fills at the first call
	// Resolver is, for an IRELATIVE slot (a call to an IFUNC of the file
	// itself, Symbol ""), the address of the IFUNC resolver whose answer
	// the loader stores in the slot at load.
	Resolver uint64
}

// stub is one PLT entry as decoded: where it starts, the slot it jumps
// through, and the section it lies in.
type stub struct {
	addr, slot uint64
	section    string
}

// pltSections are the sections whose entries jump through GOT slots, in
// the order their stubs are matched to slots: under IBT .plt.sec holds
// the stubs calls target and .plt the lazy entries slots lead back to.
var pltSections = []string{".plt.sec", ".plt", ".plt.got"}

// ReadPLT maps f's PLT stubs to the GOT slots they jump through and the
// relocations that fill them (JUMP_SLOT, GLOB_DAT, IRELATIVE), for x86-64,
// i386 and aarch64. Stubs are
// found by decoding the instructions of the PLT sections (section
// headers name them; the loader needs none of them, and a file without
// them gets its slots with no stubs). Slots filled by GLOB_DAT are
// listed when a .plt.got stub jumps through them or they hold a
// function's address (-fno-plt call sites).
func ReadPLT(f *elfx.File) (*PLT, error) {
	decode, ok := stubDecoders[f.Machine]
	if !ok {
		return nil, fmt.Errorf("PLT decoding is modelled for x86-64, i386 and aarch64, not %v", f.Machine)
	}
	d, err := f.Dynamic()
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, errors.New("no PT_DYNAMIC: a static file has no PLT for the loader to fill")
	}
	p := &PLT{Machine: f.Machine, BindNow: d.BindNow()}
	p.GOT, _ = d.Value(elf.DT_PLTGOT)

	var stubs []stub
	shdrs, err := f.SectionHeaders()
	if err != nil {
		return nil, err
	}
	for _, name := range pltSections {
		for _, sh := range shdrs {
			if sh.Name != name || sh.Type != elf.SHT_PROGBITS || sh.Size == 0 {
				continue
			}
			code, err := f.ReadVirtual(sh.Addr, sh.Size)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for _, s := range decode(code, sh.Addr, p.GOT) {
				s.section = name
				stubs = append(stubs, s)
			}
		}
	}
	resolverSlot := p.GOT + 2*wordSize(f)
	bySlot := map[uint64]stub{}
	for _, s := range stubs {
		switch {
		case p.GOT != 0 && s.slot == resolverSlot:
			if p.PLT0 == 0 {
				p.PLT0 = s.addr
			}
		case bySlot[s.slot].addr == 0:
			bySlot[s.slot] = s // .plt.sec before .plt: calls target the former
		}
	}

	tables, err := f.RelocTables()
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		for r := range t.All() {
			class := elfx.ClassifyReloc(f.Machine, r.Type)
			s, hasStub := bySlot[r.Offset]
			e := PLTEntry{Reloc: elfx.RelocTypeName(f.Machine, r.Type), Slot: r.Offset}
			switch {
			case class == elfx.RelocIRelative && hasStub:
				// A call to a local IFUNC: the loader fills the slot at
				// load with what the resolver (the addend, or in REL the
				// slot's value) returns.
				e.Resolver = uint64(r.Addend)
			case r.Sym == 0 || (class != elfx.RelocJumpSlot && class != elfx.RelocGlobDat):
				continue
			default:
				sym, err := f.Symbol(int(r.Sym))
				if err != nil {
					return nil, err
				}
				if class == elfx.RelocGlobDat && !hasStub && sym.Type() != elf.STT_FUNC {
					continue // a data pointer, not a call's slot
				}
				e.Symbol, e.Version = sym.Name, sym.Version
				e.Lazy = class == elfx.RelocJumpSlot && !p.BindNow
			}
			if hasStub {
				e.Stub, e.Section = s.addr, s.section
			}
			if b, err := f.ReadVirtual(r.Offset, wordSize(f)); err == nil {
				e.Initial = word(f, b)
			}
			if class == elfx.RelocIRelative && !t.Addend {
				e.Resolver = e.Initial
			}
			p.Entries = append(p.Entries, e)
		}
	}
	p.RELRO = relroCover(f, p)
	return p, nil
}

// relroCover says what PT_GNU_RELRO protects: "full" when it covers
// every slot of p (or, with none, DT_PLTGOT), "partial" when it exists
// but leaves slots writable, "none". Lazy binding needs the JUMP_SLOTs
// writable: GNU ld ends RELRO right after GOT[0..2], on a page boundary.
func relroCover(f *elfx.File, p *PLT) string {
	relro, ok := f.Prog(elf.PT_GNU_RELRO)
	if !ok {
		return "none"
	}
	covered := func(addr uint64) bool { return addr >= relro.Vaddr && addr-relro.Vaddr < relro.Memsz }
	if len(p.Entries) == 0 {
		if p.GOT != 0 && covered(p.GOT) {
			return "full"
		}
		return "partial"
	}
	for _, e := range p.Entries {
		if !covered(e.Slot) {
			return "partial"
		}
	}
	return "full"
}

func wordSize(f *elfx.File) uint64 {
	if f.Class == elf.ELFCLASS64 {
		return 8
	}
	return 4
}

// word decodes an address-sized value of f.
func word(f *elfx.File, b []byte) uint64 {
	if f.Class == elf.ELFCLASS64 {
		return f.ByteOrder.Uint64(b)
	}
	return uint64(f.ByteOrder.Uint32(b))
}

// stubDecoders decode the stubs of a PLT section of each machine: code
// is the section's bytes at address addr, got the file's DT_PLTGOT.
var stubDecoders = map[elf.Machine]func(code []byte, addr, got uint64) []stub{
	elf.EM_X86_64:  x86Stubs(64),
	elf.EM_386:     x86Stubs(32),
	elf.EM_AARCH64: aarch64Stubs,
}

// callScanners find the call sites of a stub (or slot) in code at addr.
var callScanners = map[elf.Machine]func(code []byte, addr, stub, slot uint64) []uint64{
	elf.EM_X86_64:  x86Calls(64),
	elf.EM_386:     x86Calls(32),
	elf.EM_AARCH64: aarch64Calls,
}
