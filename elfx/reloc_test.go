package elfx

import (
	"debug/elf"
	"regexp"
	"testing"
)

// TestRelocClassesMatchNames checks every per-machine table against
// debug/elf's names for the types it classifies, so that a type put in the
// wrong class (or a wrong constant) is caught.
func TestRelocClassesMatchNames(t *testing.T) {
	pattern := map[RelocClass]*regexp.Regexp{
		RelocNone:      regexp.MustCompile(`_(NONE|NULL)$`),
		RelocRelative:  regexp.MustCompile(`_RELATIVE(64)?$`),
		RelocSymbolic:  regexp.MustCompile(`_(64|32|ABS32|ABS64|ADDR32|ADDR64|PC32|SIZE32|SIZE64)$`),
		RelocGlobDat:   regexp.MustCompile(`_GLOB_DAT$`),
		RelocJumpSlot:  regexp.MustCompile(`_(JUMP|JMP)_SLOT$`),
		RelocCopy:      regexp.MustCompile(`_COPY$`),
		RelocIRelative: regexp.MustCompile(`_IRELATIVE$`),
		RelocTLSModule: regexp.MustCompile(`DTPMOD(32|64)?$`),
		RelocTLSOffset: regexp.MustCompile(`DTP(OFF|REL)(32|64)?$`),
		RelocTLSStatic: regexp.MustCompile(`TP(OFF|REL)(32|64)?$`),
		RelocTLSDesc:   regexp.MustCompile(`TLS_?DESC$`),
	}
	machines := []elf.Machine{elf.EM_X86_64, elf.EM_AARCH64, elf.EM_386, elf.EM_RISCV, elf.EM_PPC64, elf.EM_PPC, elf.EM_S390, elf.EM_ARM}
	for _, m := range machines {
		mr, ok := machineRelocsOf(m)
		if !ok {
			t.Fatalf("%v: no relocation table", m)
		}
		seen := map[RelocClass]bool{}
		for typ, class := range mr.classes {
			name := RelocTypeName(m, typ)
			if !pattern[class].MatchString(name) {
				t.Errorf("%v: %s classified %v", m, name, class)
			}
			seen[class] = true
		}
		for _, must := range []RelocClass{RelocRelative, RelocJumpSlot, RelocCopy, RelocSymbolic, RelocIRelative, RelocTLSModule} {
			if !seen[must] {
				t.Errorf("%v: no relocation type classified %v", m, must)
			}
		}
		if ClassifyReloc(m, mr.relative) != RelocRelative {
			t.Errorf("%v: DT_RELR type %s is not RELATIVE", m, RelocTypeName(m, mr.relative))
		}
	}
	if c := ClassifyReloc(elf.EM_MIPS, 1); c != RelocUnknown {
		t.Errorf("unknown machine: class %v, want unknown", c)
	}
	for _, tc := range []struct {
		m    elf.Machine
		typ  uint32
		want string
	}{
		{elf.EM_MIPS, 3, "EM_MIPS type 3"},
		{elf.EM_X86_64, 200, "EM_X86_64 type 200"}, // debug/elf would say R_X86_64_GOTPC32_TLSDESC+166
		{elf.EM_S390, 61, "R_390_IRELATIVE"},
		{elf.EM_X86_64, 7, "R_X86_64_JMP_SLOT"},
	} {
		if got := RelocTypeName(tc.m, tc.typ); got != tc.want {
			t.Errorf("RelocTypeName(%v, %d) = %q, want %q", tc.m, tc.typ, got, tc.want)
		}
	}
}
