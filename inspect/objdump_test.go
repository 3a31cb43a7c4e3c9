package inspect

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// The objdump oracle: the PLT stubs of a file as GNU objdump disassembles
// them, for the differential tests in plt_test.go.
//
// objdump's <NAME@plt> labels are not used to find stubs: objdump makes
// them up from the order of the JMPREL relocations, and gets them wrong
// where a relocation has no stub of its own (on aarch64 a TLSDESC
// relocation shifts the label of its lazy trampoline, which it then puts
// in the middle of the code). Stubs are found from the instructions:
//
//   - an entry starts at the first instruction of a section, or at the
//     first instruction after the jump that ended the previous entry,
//     padding passed over (NOPs, "xchg %ax,%ax", zero bytes, the "..."
//     objdump prints for elided zeros);
//   - an entry ends at a jump: x86 jmp (any form), aarch64 br;
//   - an entry is a stub when that jump goes through memory: x86-64
//     "jmp *disp(%rip)", whose slot objdump prints as "# ADDR"; i386
//     "jmp *disp(%ebx)" (PIC: the slot is DT_PLTGOT+disp) or "jmp *ADDR";
//     aarch64 "adrp xN, PAGE" (objdump prints the page), "ldr xM, [xN,
//     #OFF]", "br xM" (the slot is PAGE+OFF).
//
// So an x86-64 lazy entry "jmp *slot; push $i; jmp PLT0" is a stub
// starting at its first instruction followed by an entry without a
// memory jump, and IBT's lazy .plt entries "endbr64; push $i; jmp PLT0"
// are not stubs at all.

// dumpedStub is one stub objdump shows.
type dumpedStub struct {
	addr    uint64 // the entry's first instruction
	slot    uint64 // the memory its jump goes through
	section string
	code    string // objdump's instructions of the entry, for messages
}

// objdumpFor returns the objdump that disassembles machine m: the cross
// binutils' one for aarch64 (Debian's objdump knows only x86), and for
// i386 the cross one when it is installed, else the host's.
func objdumpFor(m elf.Machine) (string, error) {
	var names []string
	switch m {
	case elf.EM_X86_64:
		names = []string{"objdump", "x86_64-linux-gnu-objdump"}
	case elf.EM_386:
		names = []string{"i686-linux-gnu-objdump", "objdump"}
	case elf.EM_AARCH64:
		names = []string{"aarch64-linux-gnu-objdump"}
	default:
		return "", fmt.Errorf("no objdump oracle for %v", m)
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %s is in $PATH", strings.Join(names, ", "))
}

// objdumpStubs disassembles sections of the file at path with tool and
// returns its stubs; got is DT_PLTGOT, the base of i386's %ebx-relative
// jumps.
func objdumpStubs(tool, path string, m elf.Machine, sections []string, got uint64) ([]dumpedStub, error) {
	if len(sections) == 0 {
		return nil, nil
	}
	args := []string{"-d", "-w"}
	for _, s := range sections {
		args = append(args, "-j", s)
	}
	out, err := exec.Command(tool, append(args, path)...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return parseObjdumpStubs(string(out), m, got)
}

var (
	dumpSectionRE = regexp.MustCompile(`^Disassembly of section (\S+):$`)
	// "    1030:\tff 25 ca 2f 00 00    \tjmp    *0x2fca(%rip)        # 4000 <...>"
	dumpInstRE = regexp.MustCompile(`^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$`)
	// the slot of an x86-64 jmp *disp(%rip): objdump's comment
	dumpRIPRE = regexp.MustCompile(`^\*-?0x[0-9a-f]+\(%rip\)\s+# ([0-9a-f]+)`)
	// i386: jmp *disp(%ebx) and jmp *ADDR
	dumpEBXRE = regexp.MustCompile(`^\*(-?0x[0-9a-f]+)\(%ebx\)$`)
	dumpAbsRE = regexp.MustCompile(`^\*0x([0-9a-f]+)$`)
	// aarch64: "adrp x16, 20000 <...>", "ldr x17, [x16, #8]", "ldr x17, [x16]", "br x17"
	dumpADRPRE = regexp.MustCompile(`^adrp\s+(x\d+), ([0-9a-f]+)`)
	dumpLDRRE  = regexp.MustCompile(`^ldr\s+(x\d+), \[(x\d+)(?:, #(\d+))?\]$`)
	dumpBRRE   = regexp.MustCompile(`^br\s+(x\d+)$`)
)

// parseObjdumpStubs reads the output of objdump -d -w as the comment at
// the top of this file describes.
func parseObjdumpStubs(out string, m elf.Machine, got uint64) ([]dumpedStub, error) {
	var (
		stubs   []dumpedStub
		section string
		start   uint64
		started bool
		lines   []string              // the entry's instructions so far
		pages   = map[string]uint64{} // aarch64: register -> page from adrp
		loads   = map[string]uint64{} // aarch64: register -> slot it was loaded from
	)
	end := func() {
		started = false
		lines = lines[:0]
		clear(pages)
		clear(loads)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if s := dumpSectionRE.FindStringSubmatch(line); s != nil {
			section = s[1]
			end()
			continue
		}
		inst := dumpInstRE.FindStringSubmatch(line)
		if inst == nil || section == "" {
			continue // headers, labels, blank lines, "..."
		}
		addr, err := strconv.ParseUint(inst[1], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("objdump line %q: %v", line, err)
		}
		text := strings.Join(strings.Fields(inst[3]), " ")
		if !started && dumpPadding(inst[2], text) {
			continue
		}
		if !started {
			start, started = addr, true
		}
		lines = append(lines, inst[1]+": "+text)
		slot, isStub, isEnd, err := dumpJump(m, text, got, pages, loads)
		if err != nil {
			return nil, fmt.Errorf("objdump line %q: %v", line, err)
		}
		if isStub {
			stubs = append(stubs, dumpedStub{addr: start, slot: slot, section: section, code: strings.Join(lines, "; ")})
		}
		if isEnd {
			end()
		}
	}
	return stubs, sc.Err()
}

// dumpPadding reports whether an instruction between entries is padding.
func dumpPadding(hex, text string) bool {
	if strings.Trim(hex, "0 ") == "" {
		return true // zero bytes: "add %al,(%rax)"
	}
	op, _, _ := strings.Cut(text, " ")
	return strings.HasPrefix(op, "nop") || text == "xchg %ax,%ax"
}

// dumpJump interprets one instruction (its text with blanks collapsed):
// whether it ends an entry, and whether it is a jump through memory and
// through which slot. pages and loads carry aarch64's adrp and ldr
// results within the entry.
func dumpJump(m elf.Machine, text string, got uint64, pages, loads map[string]uint64) (slot uint64, isStub, isEnd bool, err error) {
	switch m {
	case elf.EM_X86_64, elf.EM_386:
		f := strings.Fields(text)
		for len(f) > 0 && (f[0] == "bnd" || f[0] == "notrack") {
			f = f[1:]
		}
		if len(f) < 2 || f[0] != "jmp" {
			return 0, false, false, nil
		}
		operand := strings.Join(f[1:], " ")
		if !strings.HasPrefix(operand, "*") {
			return 0, false, true, nil // a direct jump ends the entry
		}
		if strings.HasPrefix(operand, "*%") {
			return 0, false, true, nil // through a register: no slot
		}
		if s := dumpRIPRE.FindStringSubmatch(operand); s != nil && m == elf.EM_X86_64 {
			v, err := strconv.ParseUint(s[1], 16, 64)
			return v, err == nil, true, err
		}
		if s := dumpEBXRE.FindStringSubmatch(operand); s != nil && m == elf.EM_386 {
			d, err := strconv.ParseInt(s[1], 0, 64)
			return uint64(uint32(got + uint64(d))), err == nil, true, err
		}
		if s := dumpAbsRE.FindStringSubmatch(operand); s != nil && m == elf.EM_386 {
			v, err := strconv.ParseUint(s[1], 16, 64)
			return v, err == nil, true, err
		}
		return 0, false, true, fmt.Errorf("indirect jump the oracle does not understand")
	case elf.EM_AARCH64:
		if s := dumpADRPRE.FindStringSubmatch(text); s != nil {
			v, err := strconv.ParseUint(s[2], 16, 64)
			pages[s[1]] = v
			return 0, false, false, err
		}
		if s := dumpLDRRE.FindStringSubmatch(text); s != nil {
			if page, ok := pages[s[2]]; ok {
				var off uint64
				if s[3] != "" {
					off, err = strconv.ParseUint(s[3], 10, 64)
				}
				loads[s[1]] = page + off
			}
			return 0, false, false, err
		}
		if s := dumpBRRE.FindStringSubmatch(text); s != nil {
			v, ok := loads[s[1]]
			return v, ok, true, nil
		}
		return 0, false, false, nil
	}
	return 0, false, false, fmt.Errorf("no objdump oracle for %v", m)
}
