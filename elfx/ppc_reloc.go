package elfx

import "debug/elf"

// ppcRelocs is 32-bit PowerPC, the big-endian ELF32 machine the fixtures
// cover.
var ppcRelocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_PPC(t).String() },
	relative: uint32(elf.R_PPC_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_PPC_NONE):     RelocNone,
		uint32(elf.R_PPC_ADDR32):   RelocSymbolic,
		uint32(elf.R_PPC_GLOB_DAT): RelocGlobDat,
		uint32(elf.R_PPC_JMP_SLOT): RelocJumpSlot,
		uint32(elf.R_PPC_COPY):     RelocCopy,
		uint32(elf.R_PPC_RELATIVE): RelocRelative,
		248:                        RelocIRelative,
		uint32(elf.R_PPC_DTPMOD32): RelocTLSModule,
		uint32(elf.R_PPC_DTPREL32): RelocTLSOffset,
		uint32(elf.R_PPC_TPREL32):  RelocTLSStatic,
	},
	unnamed: map[uint32]string{248: "R_PPC_IRELATIVE"},
}
