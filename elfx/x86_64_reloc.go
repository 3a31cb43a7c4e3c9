package elfx

import "debug/elf"

var amd64Relocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_X86_64(t).String() },
	relative: uint32(elf.R_X86_64_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_X86_64_NONE):       RelocNone,
		uint32(elf.R_X86_64_64):         RelocSymbolic,
		uint32(elf.R_X86_64_32):         RelocSymbolic, // x32
		uint32(elf.R_X86_64_SIZE64):     RelocSymbolic,
		uint32(elf.R_X86_64_SIZE32):     RelocSymbolic,
		uint32(elf.R_X86_64_GLOB_DAT):   RelocGlobDat,
		uint32(elf.R_X86_64_JMP_SLOT):   RelocJumpSlot,
		uint32(elf.R_X86_64_COPY):       RelocCopy,
		uint32(elf.R_X86_64_RELATIVE):   RelocRelative,
		uint32(elf.R_X86_64_RELATIVE64): RelocRelative, // x32
		uint32(elf.R_X86_64_IRELATIVE):  RelocIRelative,
		uint32(elf.R_X86_64_DTPMOD64):   RelocTLSModule,
		uint32(elf.R_X86_64_DTPOFF64):   RelocTLSOffset,
		uint32(elf.R_X86_64_TPOFF64):    RelocTLSStatic,
		uint32(elf.R_X86_64_TLSDESC):    RelocTLSDesc,
	},
}
