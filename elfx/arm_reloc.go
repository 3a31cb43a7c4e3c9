package elfx

import "debug/elf"

var armRelocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_ARM(t).String() },
	relative: uint32(elf.R_ARM_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_ARM_NONE):         RelocNone,
		uint32(elf.R_ARM_ABS32):        RelocSymbolic,
		uint32(elf.R_ARM_GLOB_DAT):     RelocGlobDat,
		uint32(elf.R_ARM_JUMP_SLOT):    RelocJumpSlot,
		uint32(elf.R_ARM_COPY):         RelocCopy,
		uint32(elf.R_ARM_RELATIVE):     RelocRelative,
		uint32(elf.R_ARM_IRELATIVE):    RelocIRelative,
		uint32(elf.R_ARM_TLS_DTPMOD32): RelocTLSModule,
		uint32(elf.R_ARM_TLS_DTPOFF32): RelocTLSOffset,
		uint32(elf.R_ARM_TLS_TPOFF32):  RelocTLSStatic,
		13:                             RelocTLSDesc,
	},
	unnamed: map[uint32]string{13: "R_ARM_TLS_DESC"},
}
