package inspect

import (
	"regexp"
	"strconv"

	"golang.org/x/arch/arm64/arm64asm"
)

// aarch64Stubs decodes AArch64 PLT stubs: adrp x16, PAGE; ldr x17, [x16,
// #OFF]; add x16, x16, #OFF; br x17, the slot being PAGE+OFF. A stub runs
// from its first instruction (a BTI landing pad when there is one) to the
// br; PLT0 saves x16 and x30 first and jumps through GOT[2] the same
// way. NOPs between stubs are padding.
func aarch64Stubs(code []byte, addr, got uint64) []stub {
	var stubs []stub
	start := -1
	var page, slot uint64
	var havePage, haveSlot bool
	for off := 0; off+4 <= len(code); off += 4 {
		pc := addr + uint64(off)
		inst, err := arm64asm.Decode(code[off : off+4])
		if err != nil {
			start, havePage, haveSlot = -1, false, false
			continue
		}
		if inst.Op == arm64asm.NOP && start < 0 {
			continue
		}
		if start < 0 {
			start = off
		}
		switch inst.Op {
		case arm64asm.ADRP:
			if rel, ok := inst.Args[1].(arm64asm.PCRel); ok && inst.Args[0] == arm64asm.X16 {
				page, havePage = pc&^0xfff+uint64(rel), true
			}
		case arm64asm.LDR:
			if m, ok := inst.Args[1].(arm64asm.MemImmediate); ok && havePage && inst.Args[0] == arm64asm.X17 && m.Base == arm64asm.RegSP(arm64asm.X16) {
				if imm, ok := memOffset(m); ok {
					slot, haveSlot = page+uint64(imm), true
				}
			}
		case arm64asm.BR:
			if haveSlot && inst.Args[0] == arm64asm.X17 {
				stubs = append(stubs, stub{addr: addr + uint64(start), slot: slot})
			}
			start, havePage, haveSlot = -1, false, false
		}
	}
	return stubs
}

// memOffsetRE takes the offset out of an immediate-offset operand as
// arm64asm prints it ("[X16,#4088]", "[X16]" for 0): the decoded value is
// not exported.
var memOffsetRE = regexp.MustCompile(`^\[[A-Z0-9]+(?:,#(-?(?:0x)?[0-9a-fA-F]+))?\]$`)

// memOffset is the offset of an immediate-offset operand [Xn,#imm].
func memOffset(m arm64asm.MemImmediate) (int64, bool) {
	if m.Mode != arm64asm.AddrOffset {
		return 0, false
	}
	sub := memOffsetRE.FindStringSubmatch(m.String())
	switch {
	case sub == nil:
		return 0, false
	case sub[1] == "":
		return 0, true // [Xn]
	}
	v, err := strconv.ParseInt(sub[1], 0, 64)
	return v, err == nil
}

// aarch64Calls finds, in code at addr, the branches (bl, b) to stub.
func aarch64Calls(code []byte, addr, stub, slot uint64) []uint64 {
	var sites []uint64
	for off := 0; off+4 <= len(code); off += 4 {
		inst, err := arm64asm.Decode(code[off : off+4])
		if err != nil || (inst.Op != arm64asm.BL && inst.Op != arm64asm.B) {
			continue
		}
		if rel, ok := inst.Args[0].(arm64asm.PCRel); ok && stub != 0 && addr+uint64(off)+uint64(rel) == stub {
			sites = append(sites, addr+uint64(off))
		}
	}
	return sites
}
