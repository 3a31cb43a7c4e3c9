package elfx

import (
	"debug/elf"
	"strings"
)

// RelocClass is what a dynamic relocation asks of the loader, independent
// of the machine.
type RelocClass uint8

const (
	RelocUnknown   RelocClass = iota // a type the loader does not apply at run time, or unknown
	RelocNone                        // R_*_NONE
	RelocRelative                    // load base + addend, no symbol
	RelocSymbolic                    // the symbol's address (or size) written as data: R_X86_64_64
	RelocGlobDat                     // a GOT slot holding a symbol's address
	RelocJumpSlot                    // a PLT GOT slot, bound lazily unless bind-now
	RelocCopy                        // copy the symbol's data into the executable
	RelocIRelative                   // call an IFUNC resolver in this object, store its result
	RelocTLSModule                   // the TLS module ID of the symbol's object (DTPMOD)
	RelocTLSOffset                   // the symbol's offset in its module's TLS block (DTPOFF)
	RelocTLSStatic                   // the symbol's offset from the thread pointer (TPOFF)
	RelocTLSDesc                     // a TLS descriptor resolved by a function
)

var relocClassNames = [...]string{
	RelocUnknown: "unknown", RelocNone: "none", RelocRelative: "relative", RelocSymbolic: "symbolic",
	RelocGlobDat: "glob_dat", RelocJumpSlot: "jump_slot", RelocCopy: "copy", RelocIRelative: "irelative",
	RelocTLSModule: "tls_module", RelocTLSOffset: "tls_offset", RelocTLSStatic: "tls_static", RelocTLSDesc: "tls_desc",
}

func (c RelocClass) String() string {
	if int(c) < len(relocClassNames) {
		return relocClassNames[c]
	}
	return "unknown"
}

// TLS reports whether the relocation refers to thread-local storage.
func (c RelocClass) TLS() bool { return c >= RelocTLSModule && c <= RelocTLSDesc }

// machineRelocs is what elfx knows of one machine's dynamic relocations.
// Each machine's table lives in its own <machine>_reloc.go file (named
// so, not reloc_<goarch>.go, to escape Go's file-name build constraints).
type machineRelocs struct {
	name     func(t uint32) string // debug/elf's String method for the machine's type
	relative uint32                // the RELATIVE type, which DT_RELR entries stand for
	classes  map[uint32]RelocClass
	// unnamed holds the psABI names of the types debug/elf lacks, whose
	// String would give the nearest lower name plus an offset.
	unnamed map[uint32]string
}

func machineRelocsOf(m elf.Machine) (*machineRelocs, bool) {
	switch m {
	case elf.EM_X86_64:
		return &amd64Relocs, true
	case elf.EM_AARCH64:
		return &arm64Relocs, true
	case elf.EM_386:
		return &i386Relocs, true
	case elf.EM_RISCV:
		return &riscvRelocs, true
	case elf.EM_PPC64:
		return &ppc64Relocs, true
	case elf.EM_PPC:
		return &ppcRelocs, true
	case elf.EM_S390:
		return &s390xRelocs, true
	case elf.EM_ARM:
		return &armRelocs, true
	}
	return nil, false
}

// ClassifyReloc says what relocation type t of machine m asks the loader
// to do; RelocUnknown for machines and types elfx does not know.
func ClassifyReloc(m elf.Machine, t uint32) RelocClass {
	if mr, ok := machineRelocsOf(m); ok {
		return mr.classes[t]
	}
	return RelocUnknown
}

func relativeType(m elf.Machine) (uint32, bool) {
	mr, ok := machineRelocsOf(m)
	if !ok {
		return 0, false
	}
	return mr.relative, true
}

func relocTypeName(m elf.Machine, t uint32) (string, bool) {
	mr, ok := machineRelocsOf(m)
	if !ok {
		return "", false
	}
	if name, ok := mr.unnamed[t]; ok {
		return name, true
	}
	name := mr.name(t)
	if strings.Contains(name, "+") || !strings.HasPrefix(name, "R_") {
		return "", false // not a type debug/elf knows
	}
	return name, true
}
