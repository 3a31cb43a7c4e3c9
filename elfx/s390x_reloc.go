package elfx

import "debug/elf"

var s390xRelocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_390(t).String() },
	relative: uint32(elf.R_390_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_390_NONE):       RelocNone,
		uint32(elf.R_390_64):         RelocSymbolic,
		uint32(elf.R_390_GLOB_DAT):   RelocGlobDat,
		uint32(elf.R_390_JMP_SLOT):   RelocJumpSlot,
		uint32(elf.R_390_COPY):       RelocCopy,
		uint32(elf.R_390_RELATIVE):   RelocRelative,
		61:                           RelocIRelative,
		uint32(elf.R_390_TLS_DTPMOD): RelocTLSModule,
		uint32(elf.R_390_TLS_DTPOFF): RelocTLSOffset,
		uint32(elf.R_390_TLS_TPOFF):  RelocTLSStatic,
	},
	unnamed: map[uint32]string{61: "R_390_IRELATIVE"},
}
