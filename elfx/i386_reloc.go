package elfx

import "debug/elf"

var i386Relocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_386(t).String() },
	relative: uint32(elf.R_386_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_386_NONE):         RelocNone,
		uint32(elf.R_386_32):           RelocSymbolic,
		uint32(elf.R_386_PC32):         RelocSymbolic, // text relocations in non-PIC code
		uint32(elf.R_386_GLOB_DAT):     RelocGlobDat,
		uint32(elf.R_386_JMP_SLOT):     RelocJumpSlot,
		uint32(elf.R_386_COPY):         RelocCopy,
		uint32(elf.R_386_RELATIVE):     RelocRelative,
		uint32(elf.R_386_IRELATIVE):    RelocIRelative,
		uint32(elf.R_386_TLS_DTPMOD32): RelocTLSModule,
		uint32(elf.R_386_TLS_DTPOFF32): RelocTLSOffset,
		uint32(elf.R_386_TLS_TPOFF):    RelocTLSStatic,
		uint32(elf.R_386_TLS_TPOFF32):  RelocTLSStatic, // negated offset
		uint32(elf.R_386_TLS_DESC):     RelocTLSDesc,
	},
}
