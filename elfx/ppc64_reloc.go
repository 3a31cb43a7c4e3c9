package elfx

import "debug/elf"

var ppc64Relocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_PPC64(t).String() },
	relative: uint32(elf.R_PPC64_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_PPC64_NONE):      RelocNone,
		uint32(elf.R_PPC64_ADDR64):    RelocSymbolic,
		uint32(elf.R_PPC64_GLOB_DAT):  RelocGlobDat,
		uint32(elf.R_PPC64_JMP_SLOT):  RelocJumpSlot,
		uint32(elf.R_PPC64_COPY):      RelocCopy,
		uint32(elf.R_PPC64_RELATIVE):  RelocRelative,
		uint32(elf.R_PPC64_IRELATIVE): RelocIRelative,
		uint32(elf.R_PPC64_DTPMOD64):  RelocTLSModule,
		uint32(elf.R_PPC64_DTPREL64):  RelocTLSOffset,
		uint32(elf.R_PPC64_TPREL64):   RelocTLSStatic,
	},
}
