package elfx

import "debug/elf"

// riscvRelocs has no GLOB_DAT: GOT slots are plain R_RISCV_64 relocations.
var riscvRelocs = machineRelocs{
	name:     func(t uint32) string { return elf.R_RISCV(t).String() },
	relative: uint32(elf.R_RISCV_RELATIVE),
	classes: map[uint32]RelocClass{
		uint32(elf.R_RISCV_NONE):         RelocNone,
		uint32(elf.R_RISCV_32):           RelocSymbolic,
		uint32(elf.R_RISCV_64):           RelocSymbolic,
		uint32(elf.R_RISCV_JUMP_SLOT):    RelocJumpSlot,
		uint32(elf.R_RISCV_COPY):         RelocCopy,
		uint32(elf.R_RISCV_RELATIVE):     RelocRelative,
		58:                               RelocIRelative,
		uint32(elf.R_RISCV_TLS_DTPMOD32): RelocTLSModule,
		uint32(elf.R_RISCV_TLS_DTPMOD64): RelocTLSModule,
		uint32(elf.R_RISCV_TLS_DTPREL32): RelocTLSOffset,
		uint32(elf.R_RISCV_TLS_DTPREL64): RelocTLSOffset,
		uint32(elf.R_RISCV_TLS_TPREL32):  RelocTLSStatic,
		uint32(elf.R_RISCV_TLS_TPREL64):  RelocTLSStatic,
	},
	unnamed: map[uint32]string{58: "R_RISCV_IRELATIVE"},
}
