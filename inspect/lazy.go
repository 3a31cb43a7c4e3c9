package inspect

import (
	"debug/elf"
	"fmt"

	"github.com/elfx/elfx/elfx"
)

// LazyChain is the path of one call to an imported function, from the
// call site to the function, with the file's own addresses: what the
// first call does and what later calls do.
type LazyChain struct {
	Entry PLTEntry
	// Mode is "lazy" (the first call goes through the resolver),
	// "bind-now" (the loader fills the slot at load) or "no-plt" (call
	// sites jump through the slot themselves, filled at load).
	Mode      string
	CallSites []uint64 // the instructions of the file that call the stub (or, -fno-plt, through the slot)
	// FirstCall and LaterCalls are the steps of a call; under bind-now
	// and -fno-plt they are the same.
	FirstCall, LaterCalls []ChainStep
}

// ChainStep is one step of a call's path.
type ChainStep struct {
	Addr     uint64 // a link-time address in the file; 0 for a step elsewhere
	InLoader bool   // a step the loader's own code takes
	What     string
	// Source names the glibc 2.36 code that performs the step, for the
	// steps the loader takes.
	Source string
}

// resolvers are the lazy-binding entry points glibc 2.36 puts in GOT[2],
// by machine (sysdeps/*/dl-machine.h, elf_machine_runtime_setup).
var resolvers = map[elf.Machine]struct{ name, source string }{
	elf.EM_X86_64:  {"_dl_runtime_resolve_xsavec (_xsave or _fxsave on CPUs without XSAVEC)", "sysdeps/x86_64/dl-trampoline.h"},
	elf.EM_386:     {"_dl_runtime_resolve", "sysdeps/i386/dl-trampoline.S"},
	elf.EM_AARCH64: {"_dl_runtime_resolve", "sysdeps/aarch64/dl-trampoline.S"},
}

// Lazy builds the chain of a call to symbol from f, whose PLT map is p;
// target names the definition the loader binds the slot to (from Bind),
// "" when unknown.
func Lazy(f *elfx.File, p *PLT, symbol, target string) (*LazyChain, error) {
	var e *PLTEntry
	for i := range p.Entries {
		if p.Entries[i].Symbol == symbol {
			e = &p.Entries[i]
			break
		}
	}
	if e == nil {
		return nil, fmt.Errorf("no PLT slot for %s: the file does not call it through the GOT", symbol)
	}
	c := &LazyChain{Entry: *e}
	switch {
	case e.Stub == 0:
		c.Mode = "no-plt"
	case e.Lazy:
		c.Mode = "lazy"
	default:
		c.Mode = "bind-now"
	}
	sites, err := callSites(f, e)
	if err != nil {
		return nil, err
	}
	c.CallSites = sites
	if target == "" {
		target = e.Symbol + " (wherever the loader finds it)"
	}
	var site ChainStep
	if len(sites) > 0 {
		site = ChainStep{Addr: sites[0], What: fmt.Sprintf("call site: %d instruction(s) of this file call %s", len(sites), stubOrSlot(e))}
	} else {
		site = ChainStep{What: "call site: no instruction of this file calls it directly (a function pointer, or another section)"}
	}
	slot := fmt.Sprintf("GOT slot %#x", e.Slot)
	final := ChainStep{What: "the function: " + target}
	if c.Mode == "no-plt" {
		c.LaterCalls = []ChainStep{
			site,
			{Addr: e.Slot, What: slot + ", filled at load by " + e.Reloc, Source: "elf/dl-reloc.c _dl_relocate_object, sysdeps/*/dl-machine.h elf_machine_rela"},
			final,
		}
		c.FirstCall = c.LaterCalls
		return c, nil
	}
	stub := ChainStep{Addr: e.Stub, What: fmt.Sprintf("PLT stub in %s: jumps through the %s", e.Section, slot)}
	c.LaterCalls = []ChainStep{site, stub, {Addr: e.Slot, What: slot + ": holds the function's address"}, final}
	if c.Mode == "bind-now" {
		c.LaterCalls[2].What = slot + ": filled at load, before any call (bind-now)"
		c.LaterCalls[2].Source = "elf/dl-reloc.c _dl_relocate_object, sysdeps/*/dl-machine.h elf_machine_rela"
		c.FirstCall = c.LaterCalls
		return c, nil
	}
	r := resolvers[f.Machine]
	c.FirstCall = []ChainStep{
		site, stub,
		{Addr: e.Slot, What: fmt.Sprintf("%s: still holds its value from the file, %#x (plus the load bias)", slot, e.Initial), Source: "sysdeps/*/dl-machine.h elf_machine_lazy_rel"},
		{Addr: e.Initial, What: "back in the PLT: push the slot's relocation index, jump to PLT0"},
		{Addr: p.PLT0, What: fmt.Sprintf("PLT0: push GOT[1] (the link_map, at %#x), jump through GOT[2] (at %#x)", p.GOT+wordSize(f), p.GOT+2*wordSize(f)), Source: "sysdeps/*/dl-machine.h elf_machine_runtime_setup fills GOT[1] and GOT[2]"},
		{InLoader: true, What: "the loader's trampoline " + r.name + ": saves the argument registers", Source: r.source},
		{InLoader: true, What: fmt.Sprintf("_dl_fixup(link_map, index): looks %s up in the object's scope, binds it to %s, writes its address into the slot", referenceText(e), target), Source: "elf/dl-runtime.c _dl_fixup"},
		{InLoader: true, What: "the trampoline restores the registers and jumps to the function", Source: r.source},
		final,
	}
	return c, nil
}

// stubOrSlot says what a call site calls.
func stubOrSlot(e *PLTEntry) string {
	if e.Stub == 0 {
		return fmt.Sprintf("through the slot %#x", e.Slot)
	}
	return fmt.Sprintf("the stub %#x", e.Stub)
}

func referenceText(e *PLTEntry) string {
	if e.Version == "" {
		return e.Symbol
	}
	return e.Symbol + "@" + e.Version
}

// callSites finds the instructions of f's executable sections that call
// or jump to e's stub, or through e's slot.
func callSites(f *elfx.File, e *PLTEntry) ([]uint64, error) {
	scan, ok := callScanners[f.Machine]
	if !ok {
		return nil, nil
	}
	shdrs, err := f.SectionHeaders()
	if err != nil {
		return nil, err
	}
	var sites []uint64
	for _, sh := range shdrs {
		if sh.Type != elf.SHT_PROGBITS || sh.Flags&elf.SHF_EXECINSTR == 0 || sh.Size == 0 {
			continue
		}
		switch sh.Name {
		case ".plt", ".plt.sec", ".plt.got":
			continue
		}
		code, err := f.ReadVirtual(sh.Addr, sh.Size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sh.Name, err)
		}
		sites = append(sites, scan(code, sh.Addr, e.Stub, e.Slot)...)
	}
	return sites, nil
}
