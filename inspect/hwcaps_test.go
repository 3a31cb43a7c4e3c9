package inspect

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// loaderHelp runs the x86-64 loader's --help, which prints the
// glibc-hwcaps subdirectories and legacy capabilities it found on this
// CPU.
func loaderHelp(t *testing.T) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("not an x86-64 machine")
	}
	if _, err := os.Stat(ldso); err != nil {
		t.Skip("no x86-64 loader")
	}
	out, err := exec.Command(ldso, "--help").Output()
	if err != nil {
		t.Fatalf("%s --help: %v", ldso, err)
	}
	return string(out)
}

// helpSection returns the indented lines after the heading in the
// loader's --help output.
func helpSection(help, heading string) []string {
	_, rest, ok := strings.Cut(help, heading+"\n")
	if !ok {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		lines = append(lines, strings.TrimSpace(l))
	}
	return lines
}

func TestActiveHWCapsLoader(t *testing.T) {
	help := loaderHelp(t)
	var want []string
	for _, l := range helpSection(help, "Subdirectories of glibc-hwcaps directories, in priority order:") {
		if name, marks, ok := strings.Cut(l, " "); ok && strings.Contains(marks, "searched") {
			want = append(want, name)
		}
	}
	got := ActiveHWCaps(elf.EM_X86_64)
	if !slices.Equal(got, want) {
		t.Errorf("ActiveHWCaps = %q, the loader searches %q", got, want)
	}
	t.Logf("glibc-hwcaps subdirectories: %q", got)
}

func TestHostTargetLoader(t *testing.T) {
	help := loaderHelp(t)
	target := HostTarget(elf.EM_X86_64, elf.ELFCLASS64)
	bits := map[string]uint64{"sse2": hwcapX86SSE2, "x86_64": hwcapX86_64, "avx512_1": hwcapX86AVX512}
	var hwcap uint64
	platform := ""
	for _, l := range helpSection(help, "Legacy HWCAP subdirectories under library search path directories:") {
		name, marks, _ := strings.Cut(l, " ")
		switch {
		case strings.Contains(marks, "AT_PLATFORM"):
			platform = name
		case name == "tls":
		case strings.Contains(marks, "searched"):
			hwcap |= bits[name]
		}
	}
	if target.HWCap != hwcap || target.Platform != platform {
		t.Errorf("HostTarget legacy caps %#x %q, the loader has %#x %q", target.HWCap, target.Platform, hwcap, platform)
	}
	if want := len(target.HWCaps) + 1; target.ISALevel != want {
		t.Errorf("ISA level %d with subdirectories %q", target.ISALevel, target.HWCaps)
	}
}

func TestHWCapsForLevel(t *testing.T) {
	for level, want := range map[int][]string{
		-1: nil,
		0:  nil,
		1:  nil,
		2:  {"x86-64-v2"},
		3:  {"x86-64-v3", "x86-64-v2"},
		4:  {"x86-64-v4", "x86-64-v3", "x86-64-v2"},
		9:  {"x86-64-v4", "x86-64-v3", "x86-64-v2"},
	} {
		got := HWCapsForLevel(level)
		if !slices.Equal(got, want) {
			t.Errorf("HWCapsForLevel(%d) = %q, want %q", level, got, want)
		}
		if len(got) > 0 {
			got[0] = "changed" // the result is the caller's
		}
	}
	if got := HWCapsForLevel(4); got[0] != "x86-64-v4" {
		t.Error("HWCapsForLevel shares its result")
	}
	for _, m := range []elf.Machine{elf.EM_386, elf.EM_AARCH64, elf.EM_ARM, elf.EM_RISCV} {
		if got := ActiveHWCaps(m); got != nil {
			t.Errorf("ActiveHWCaps(%v) = %q, want none in glibc 2.36", m, got)
		}
	}
}

func TestX86ISALevel(t *testing.T) {
	base := x86Features{cmov: true, cx8: true, fpu: true, fxsr: true, mmx: true, sse: true, sse2: true}
	v2 := base
	v2.cx16, v2.lahf, v2.popcnt, v2.sse3, v2.ssse3, v2.sse41, v2.sse42 = true, true, true, true, true, true, true
	v3 := v2
	v3.avx, v3.avx2, v3.f16c, v3.fma, v3.lzcnt, v3.movbe = true, true, true, true, true, true
	v4 := v3
	v4.avx512f, v4.avx512bw, v4.avx512cd, v4.avx512dq, v4.avx512vl = true, true, true, true, true
	noMovbe := v4
	noMovbe.movbe = false
	noFPU := v4
	noFPU.fpu = false
	for i, c := range []struct {
		f     x86Features
		level int
	}{{x86Features{}, 0}, {base, 1}, {v2, 2}, {v3, 3}, {v4, 4}, {noMovbe, 2}, {noFPU, 0}} {
		if got := c.f.isaLevel(); got != c.level {
			t.Errorf("case %d: isaLevel = %d, want %d", i, got, c.level)
		}
	}

	// init_cpu_features's legacy capabilities.
	intel := v3
	intel.bmi1, intel.bmi2, intel.intel = true, true, true
	phi := v4
	phi.intel, phi.avx512er, phi.avx512pf = true, true, true
	skx := v4
	skx.bmi1, skx.bmi2, skx.intel = true, true, true
	amd := skx
	amd.intel = false
	for i, c := range []struct {
		f        x86Features
		m        elf.Machine
		hwcap    uint64
		platform string
	}{
		{intel, elf.EM_X86_64, hwcapX86_64, "haswell"},
		{phi, elf.EM_X86_64, hwcapX86_64, "xeon_phi"},
		{skx, elf.EM_X86_64, hwcapX86_64 | hwcapX86AVX512, "haswell"},
		{amd, elf.EM_X86_64, hwcapX86_64, "x86_64"},
		{amd, elf.EM_386, hwcapX86SSE2, "i686"},
		{x86Features{cx8: true}, elf.EM_386, 0, "i586"},
		{x86Features{}, elf.EM_386, 0, "i386"},
	} {
		hwcap, platform := c.f.legacyCaps(c.m)
		if hwcap != c.hwcap || platform != c.platform {
			t.Errorf("case %d: legacyCaps = %#x %q, want %#x %q", i, hwcap, platform, c.hwcap, c.platform)
		}
	}
}

func TestParseCPUInfo(t *testing.T) {
	flags, vendor := parseCPUInfo(strings.NewReader("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu cx8 cmov\n\nprocessor\t: 1\nvendor_id\t: Other\nflags\t\t: mmx\n"))
	if vendor != "GenuineIntel" || !flags["cmov"] || flags["mmx"] || len(flags) != 3 {
		t.Errorf("parseCPUInfo = %v %q", flags, vendor)
	}
}

func TestOtherHWCaps(t *testing.T) {
	for _, c := range []struct {
		hwcap2 uint64
		want   []string
	}{
		{0, nil},
		{0x00800000, nil},
		{0x00c00000, []string{"power9"}},
		{0x00c60000, []string{"power10", "power9"}},
		{0x00060000, nil},
	} {
		if got := ppc64leHWCaps(c.hwcap2); !slices.Equal(got, c.want) {
			t.Errorf("ppc64leHWCaps(%#x) = %q, want %q", c.hwcap2, got, c.want)
		}
	}
	for _, c := range []struct {
		hwcap uint64
		want  []string
	}{
		{0, nil},
		{2048, []string{"z13"}},
		{2048 | 4096 | 8192 | 16384, []string{"z14", "z13"}},
		{2048 | 4096 | 8192 | 16384 | 32768 | 65536 | 524288, []string{"z16", "z15", "z14", "z13"}},
		{4096 | 8192 | 16384 | 32768 | 65536 | 524288, nil},
	} {
		if got := s390xHWCaps(c.hwcap); !slices.Equal(got, c.want) {
			t.Errorf("s390xHWCaps(%#x) = %q, want %q", c.hwcap, got, c.want)
		}
	}

	var auxv []byte
	for _, kv := range [][2]uint64{{6, 4096}, {atHWCap, 0xbeef}, {atHWCap2, 2}, {0, 0}, {atHWCap2, 3}} {
		auxv = binary.BigEndian.AppendUint32(auxv, uint32(kv[0]))
		auxv = binary.BigEndian.AppendUint32(auxv, uint32(kv[1]))
	}
	if v, ok := auxvValue(auxv, binary.BigEndian, 4, atHWCap2); !ok || v != 2 {
		t.Errorf("auxvValue(AT_HWCAP2) = %d, %v", v, ok)
	}
	if _, ok := auxvValue(auxv[:12], binary.BigEndian, 4, atHWCap2); ok {
		t.Error("auxvValue found a key past the end")
	}
	if _, ok := auxvValue(auxv, binary.BigEndian, 4, 99); ok {
		t.Error("auxvValue found a key past AT_NULL")
	}
	if runtime.GOOS == "linux" {
		if _, ok := hostAuxv(6); !ok { // AT_PAGESZ
			t.Error("no AT_PAGESZ in /proc/self/auxv")
		}
	}
}
