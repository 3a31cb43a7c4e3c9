package elfx

import "debug/elf"

var arm64Relocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_AARCH64(t).String() },
	relative: uint32(elf.R_AARCH64_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_AARCH64_NONE):         RelocNone,
		uint32(elf.R_AARCH64_NULL):         RelocNone,
		uint32(elf.R_AARCH64_ABS64):        RelocSymbolic,
		uint32(elf.R_AARCH64_GLOB_DAT):     RelocGlobDat,
		uint32(elf.R_AARCH64_JUMP_SLOT):    RelocJumpSlot,
		uint32(elf.R_AARCH64_COPY):         RelocCopy,
		uint32(elf.R_AARCH64_RELATIVE):     RelocRelative,
		uint32(elf.R_AARCH64_IRELATIVE):    RelocIRelative,
		uint32(elf.R_AARCH64_TLS_DTPMOD64): RelocTLSModule,
		uint32(elf.R_AARCH64_TLS_DTPREL64): RelocTLSOffset,
		uint32(elf.R_AARCH64_TLS_TPREL64):  RelocTLSStatic,
		uint32(elf.R_AARCH64_TLSDESC):      RelocTLSDesc,
	},
}
