package inspect

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/cpu"
)

// x86HWCapsSubdirs is _dl_hwcaps_subdirs of glibc 2.36's
// sysdeps/x86_64/dl-hwcaps-subdirs.c, best first. Other ports with
// subdirectories are powerpc64le and s390x; i386, aarch64 and the rest
// have none (elf/dl-hwcaps-subdirs.c).
var x86HWCapsSubdirs = []string{"x86-64-v4", "x86-64-v3", "x86-64-v2"}

// HWCapsForLevel returns the glibc-hwcaps subdirectories an x86-64 loader
// searches on a CPU of the given ISA level (1 baseline, 2 to 4 for
// x86-64-v2 to v4), best first. _dl_hwcaps_subdirs_active activates a tail
// of the list: every level up to the CPU's, and no baseline directory.
func HWCapsForLevel(level int) []string {
	active := min(max(level-1, 0), len(x86HWCapsSubdirs))
	if active == 0 {
		return nil
	}
	return append([]string(nil), x86HWCapsSubdirs[len(x86HWCapsSubdirs)-active:]...)
}

// x86LevelOf is the ISA level an x86-64 glibc-hwcaps subdirectory stands
// for, or 0.
func x86LevelOf(name string) int {
	for i, s := range x86HWCapsSubdirs {
		if s == name {
			return len(x86HWCapsSubdirs) + 1 - i
		}
	}
	return 0
}

// ActiveHWCaps returns the glibc-hwcaps subdirectories the glibc 2.36
// loader for machine activates on this CPU, best first, without running
// anything: the CPU is read through CPUID (golang.org/x/sys/cpu),
// /proc/cpuinfo and /proc/self/auxv, as the loader reads it. It is nil for
// machines without subdirectories and for machines this CPU cannot run.
// The loader's --glibc-hwcaps-prepend and --glibc-hwcaps-mask options, and
// the glibc.cpu.hwcaps tunable that can disable CPU features, are not
// modelled.
func ActiveHWCaps(machine elf.Machine) []string {
	switch machine {
	case elf.EM_X86_64:
		if f, ok := hostX86(); ok {
			return HWCapsForLevel(f.isaLevel())
		}
	case elf.EM_PPC64:
		if runtime.GOARCH == "ppc64le" {
			if hw2, ok := hostAuxv(atHWCap2); ok {
				return ppc64leHWCaps(hw2)
			}
		}
	case elf.EM_S390:
		if runtime.GOARCH == "s390x" {
			if hw, ok := hostAuxv(atHWCap); ok {
				return s390xHWCaps(hw)
			}
		}
	}
	return nil
}

// HostTarget describes the loader for machine and class running on this
// CPU: ActiveHWCaps, and for x86 the ISA level and the legacy hwcap bits
// and platform init_cpu_features derives. Other machines get no legacy
// capabilities.
func HostTarget(machine elf.Machine, class elf.Class) Target {
	t := Target{Machine: machine, Class: class, HWCaps: ActiveHWCaps(machine)}
	if machine != elf.EM_X86_64 && machine != elf.EM_386 {
		return t
	}
	f, ok := hostX86()
	if !ok {
		t.HWCap, t.Platform = baseLegacyCaps(machine)
		return t
	}
	t.ISALevel = f.isaLevel()
	t.HWCap, t.Platform = f.legacyCaps(machine)
	return t
}

// x86Features are the CPU features glibc 2.36's get_isa_level
// (sysdeps/x86/get-isa-level.h) and init_cpu_features test, as "usable":
// the CPU has them and, for the AVX families, the OS saves their state.
type x86Features struct {
	cmov, cx8, fpu, fxsr, mmx, sse, sse2          bool // baseline
	cx16, lahf, popcnt, sse3, ssse3, sse41, sse42 bool // x86-64-v2
	avx, avx2, f16c, fma, lzcnt, movbe            bool // x86-64-v3
	avx512f, avx512bw, avx512cd, avx512dq         bool // x86-64-v4
	avx512vl, avx512er, avx512pf, bmi1, bmi2      bool
	intel                                         bool // arch_kind_intel
}

// isaLevel is get_isa_level as a number: 0 when even the baseline is
// missing, 1 baseline, 2 to 4 for x86-64-v2 to v4.
func (f *x86Features) isaLevel() int {
	switch {
	case !(f.cmov && f.cx8 && f.fpu && f.fxsr && f.mmx && f.sse && f.sse2):
		return 0
	case !(f.cx16 && f.lahf && f.popcnt && f.sse3 && f.ssse3 && f.sse41 && f.sse42):
		return 1
	case !(f.avx && f.avx2 && f.f16c && f.fma && f.lzcnt && f.movbe):
		return 2
	case !(f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl):
		return 3
	}
	return 4
}

// legacyCaps is the end of init_cpu_features: GLRO(dl_hwcap), already
// within HWCAP_IMPORTANT, and GLRO(dl_platform). On x86-64 only Intel CPUs
// get a platform of their own; others keep the kernel's AT_PLATFORM,
// "x86_64", which names no platform bit.
func (f *x86Features) legacyCaps(machine elf.Machine) (uint64, string) {
	if machine == elf.EM_386 {
		var hwcap uint64
		if f.sse2 {
			hwcap = hwcapX86SSE2
		}
		switch {
		case f.cmov:
			return hwcap, "i686"
		case f.cx8:
			return hwcap, "i586"
		}
		return hwcap, "i386"
	}
	hwcap := uint64(hwcapX86_64)
	platform := ""
	if f.intel {
		if f.avx512cd {
			if f.avx512er {
				if f.avx512pf {
					platform = "xeon_phi"
				}
			} else if f.avx512bw && f.avx512dq && f.avx512vl {
				hwcap |= hwcapX86AVX512
			}
		}
		if platform == "" && f.avx2 && f.fma && f.bmi1 && f.bmi2 && f.lzcnt && f.movbe && f.popcnt {
			platform = "haswell"
		}
	}
	if platform == "" {
		platform = "x86_64"
	}
	return hwcap, platform
}

// hostX86 reads this CPU's features, when it is an x86 CPU, once per
// process. CPUID comes through golang.org/x/sys/cpu, which checks XCR0 for
// the AVX and AVX-512 state as glibc does; FMA and F16C are usable only
// with AVX. The baseline features x/sys/cpu does not report, and the
// vendor, come from the first processor of /proc/cpuinfo; without it they
// are taken as present, as on every CPU with SSE2.
var hostX86 = sync.OnceValues(func() (x86Features, bool) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		return x86Features{}, false
	}
	x := &cpu.X86
	f := x86Features{
		sse2: x.HasSSE2, cx16: x.HasCX16, lahf: x.HasLAHF, popcnt: x.HasPOPCNT,
		sse3: x.HasSSE3, ssse3: x.HasSSSE3, sse41: x.HasSSE41, sse42: x.HasSSE42,
		avx: x.HasAVX, avx2: x.HasAVX2, f16c: x.HasF16C && x.HasAVX, fma: x.HasFMA && x.HasAVX,
		lzcnt: x.HasLZCNT, movbe: x.HasMOVBE,
		avx512f: x.HasAVX512F, avx512bw: x.HasAVX512BW, avx512cd: x.HasAVX512CD,
		avx512dq: x.HasAVX512DQ, avx512vl: x.HasAVX512VL, avx512er: x.HasAVX512ER,
		avx512pf: x.HasAVX512PF, bmi1: x.HasBMI1, bmi2: x.HasBMI2,
	}
	if cpuinfo, err := os.Open("/proc/cpuinfo"); err == nil {
		flags, vendor := parseCPUInfo(cpuinfo)
		cpuinfo.Close()
		f.cmov, f.cx8, f.fpu, f.fxsr = flags["cmov"], flags["cx8"], flags["fpu"], flags["fxsr"]
		f.mmx, f.sse = flags["mmx"], flags["sse"]
		f.intel = vendor == "GenuineIntel"
	} else {
		f.cmov, f.cx8, f.fpu, f.fxsr, f.mmx, f.sse = f.sse2, f.sse2, f.sse2, f.sse2, f.sse2, f.sse2
	}
	return f, true
})

// parseCPUInfo returns the flags and vendor_id of the first processor in
// /proc/cpuinfo. It stops at the blank line that ends that processor's
// record: the kernel formats the file as it is read, a record per CPU,
// and on a large machine the rest costs milliseconds.
func parseCPUInfo(r io.Reader) (flags map[string]bool, vendor string) {
	flags = make(map[string]bool)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" && (vendor != "" || len(flags) > 0) {
			break
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "vendor_id":
			vendor = strings.TrimSpace(val)
		case "flags":
			for _, fl := range strings.Fields(val) {
				flags[fl] = true
			}
		}
	}
	return flags, vendor
}

// Auxiliary vector keys (linux/auxvec.h).
const (
	atHWCap  = 16
	atHWCap2 = 26
)

// hostAuxv reads one value of this process's auxiliary vector, which the
// kernel fills in the same for every process.
func hostAuxv(key uint64) (uint64, bool) {
	data, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 0, false
	}
	return auxvValue(data, binary.NativeEndian, strconv.IntSize/8, key)
}

// auxvValue finds key in an auxiliary vector of word-byte pairs; the
// vector ends at AT_NULL or at the end of the data.
func auxvValue(data []byte, bo binary.ByteOrder, word int, key uint64) (uint64, bool) {
	get := func(b []byte) uint64 {
		if word == 4 {
			return uint64(bo.Uint32(b))
		}
		return bo.Uint64(b)
	}
	for len(data) >= 2*word {
		k, v := get(data), get(data[word:])
		if k == 0 {
			break
		}
		if k == key {
			return v, true
		}
		data = data[2*word:]
	}
	return 0, false
}

// ppc64leHWCaps is _dl_hwcaps_subdirs_active of
// sysdeps/powerpc/powerpc64/le/dl-hwcaps-subdirs.c on AT_HWCAP2.
func ppc64leHWCaps(hwcap2 uint64) []string {
	const (
		power9  = 0x00800000 | 0x00400000 // PPC_FEATURE2_ARCH_3_00, PPC_FEATURE2_HAS_IEEE128
		power10 = 0x00040000 | 0x00020000 // PPC_FEATURE2_ARCH_3_1, PPC_FEATURE2_MMA
	)
	switch {
	case hwcap2&power9 != power9:
		return nil
	case hwcap2&power10 != power10:
		return []string{"power9"}
	}
	return []string{"power10", "power9"}
}

// s390xHWCaps is _dl_hwcaps_subdirs_active of
// sysdeps/s390/s390-64/dl-hwcaps-subdirs.c on AT_HWCAP: each machine
// generation needs the vector facilities of the one before.
func s390xHWCaps(hwcap uint64) []string {
	const (
		vx       = 2048   // HWCAP_S390_VX
		vxd      = 4096   // HWCAP_S390_VXD
		vxe      = 8192   // HWCAP_S390_VXE
		gs       = 16384  // HWCAP_S390_GS
		vxrsExt2 = 32768  // HWCAP_S390_VXRS_EXT2
		vxrsPDE  = 65536  // HWCAP_S390_VXRS_PDE
		vxrsPDE2 = 524288 // HWCAP_S390_VXRS_PDE2
	)
	levels := []struct {
		name string
		need uint64
	}{
		{"z13", vx},
		{"z14", vxd | vxe | gs},
		{"z15", vxrsExt2 | vxrsPDE},
		{"z16", vxrsPDE2},
	}
	var active []string
	for _, l := range levels {
		if hwcap&l.need != l.need {
			break
		}
		active = append([]string{l.name}, active...)
	}
	return active
}
