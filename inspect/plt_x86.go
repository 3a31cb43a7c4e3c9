package inspect

import (
	"bytes"

	"golang.org/x/arch/x86/x86asm"
)

// endbr is ENDBR64 or ENDBR32 (f3 0f 1e fa/fb), the landing pad IBT puts
// first in every stub; x86asm does not know it.
func endbr(code []byte) bool {
	return len(code) >= 4 && bytes.Equal(code[:3], []byte{0xf3, 0x0f, 0x1e}) && (code[3] == 0xfa || code[3] == 0xfb)
}

// x86Stubs decodes x86 PLT stubs in the given mode (64 or 32 bits). A
// stub runs from its first instruction (an ENDBR under IBT) to a jump;
// padding between stubs, NOPs or zero bytes, is passed over. A stub that jumps through
// memory names its slot: RIP-relative in x86-64 (jmp *slot(%rip)), and
// in i386 either relative to the GOT in %ebx (position-independent code:
// jmp *off(%ebx), the slot being DT_PLTGOT + off) or absolute (jmp
// *slot). The stubs that push an index and jump to PLT0 name no slot and
// are left out.
func x86Stubs(mode int) func(code []byte, addr, got uint64) []stub {
	return func(code []byte, addr, got uint64) []stub {
		var stubs []stub
		start := -1 // offset of the current stub's first instruction
		for off := 0; off < len(code); {
			if start < 0 && code[off] == 0 {
				off++ // zero padding: i386's PLT0 ends with four bytes of it
				continue
			}
			if endbr(code[off:]) {
				if start < 0 {
					start = off
				}
				off += 4
				continue
			}
			inst, err := x86asm.Decode(code[off:], mode)
			if err != nil {
				off++ // not code: resynchronise byte by byte
				start = -1
				continue
			}
			next := off + inst.Len
			switch {
			case inst.Op == x86asm.NOP && start < 0:
				// padding between stubs
			case inst.Op == x86asm.JMP:
				if start < 0 {
					start = off
				}
				if slot, ok := x86Slot(inst, addr+uint64(next), got); ok {
					stubs = append(stubs, stub{addr: addr + uint64(start), slot: slot})
				}
				start = -1
			default:
				if start < 0 {
					start = off
				}
			}
			off = next
		}
		return stubs
	}
}

// x86Slot is the memory a jump goes through, when it goes through one:
// next is the address of the following instruction, got DT_PLTGOT.
func x86Slot(inst x86asm.Inst, next, got uint64) (uint64, bool) {
	m, ok := inst.Args[0].(x86asm.Mem)
	if !ok || m.Index != 0 {
		return 0, false
	}
	switch m.Base {
	case x86asm.RIP:
		return next + uint64(m.Disp), true
	case x86asm.EBX:
		return uint64(uint32(got + uint64(m.Disp))), true
	case 0:
		return uint64(uint32(m.Disp)), true
	}
	return 0, false
}

// x86Calls finds, in code at addr, the calls and jumps to stub (0 for
// none) and, in x86-64, the indirect ones through slot (-fno-plt).
func x86Calls(mode int) func(code []byte, addr, stub, slot uint64) []uint64 {
	return func(code []byte, addr, stub, slot uint64) []uint64 {
		var sites []uint64
		for off := 0; off < len(code); {
			inst, err := x86asm.Decode(code[off:], mode)
			if err != nil {
				off++
				continue
			}
			next := addr + uint64(off+inst.Len)
			if inst.Op == x86asm.CALL || inst.Op == x86asm.JMP {
				switch a := inst.Args[0].(type) {
				case x86asm.Rel:
					if stub != 0 && next+uint64(int64(a)) == stub {
						sites = append(sites, addr+uint64(off))
					}
				case x86asm.Mem:
					if mode == 64 && a.Base == x86asm.RIP && a.Index == 0 && next+uint64(a.Disp) == slot {
						sites = append(sites, addr+uint64(off))
					}
				}
			}
			off += inst.Len
		}
		return sites
	}
}
