package inspect

import (
	"debug/elf"
	"runtime"
	"strings"
)

// Config is the system and environment the loader runs in. The zero
// value is this machine as the program would see it with an empty
// environment.
type Config struct {
	// Root is a sysroot: the target's files, cache and configuration are
	// read under it, and paths are still spelled as the target's loader
	// spells them. "" is this machine.
	Root string
	// Env holds the loader's environment variables: LD_LIBRARY_PATH and
	// LD_PRELOAD. Others are ignored.
	Env map[string]string
	// Secure is the loader's secure mode (AT_SECURE, a set-user-ID or
	// set-group-ID program): LD_LIBRARY_PATH is ignored, LD_PRELOAD takes
	// only names without a slash, and $ORIGIN is restricted.
	Secure bool
	// HWCaps lists the glibc-hwcaps subdirectories the loader searches,
	// best first (x86-64-v3, x86-64-v2). nil means the ones this CPU
	// supports.
	HWCaps []string
	// NoPreloadFile skips /etc/ld.so.preload.
	NoPreloadFile bool
}

// DefaultInterpreter is the standard PT_INTERP path of glibc's loader for
// a class and machine: the loader ldd runs a shared library with, and
// the one that answers for a library given as the program. "" for a
// machine glibc has no loader for here.
func DefaultInterpreter(class elf.Class, machine elf.Machine) string {
	switch machine {
	case elf.EM_X86_64:
		if class == elf.ELFCLASS32 {
			return "/libx32/ld-linux-x32.so.2"
		}
		return "/lib64/ld-linux-x86-64.so.2"
	case elf.EM_386:
		return "/lib/ld-linux.so.2"
	case elf.EM_AARCH64:
		return "/lib/ld-linux-aarch64.so.1"
	case elf.EM_ARM:
		return "/lib/ld-linux-armhf.so.3"
	case elf.EM_RISCV:
		return "/lib/ld-linux-riscv64-lp64d.so.1"
	case elf.EM_S390:
		return "/lib/ld64.so.1"
	case elf.EM_PPC64:
		return "/lib64/ld64.so.2"
	case elf.EM_PPC:
		return "/lib/ld.so.1"
	}
	return ""
}

// multiarchTriplet is Debian's name for a machine's library directory,
// used by its loader for the default directories and $LIB.
func multiarchTriplet(m elf.Machine, c elf.Class, d elf.Data) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64-linux-gnu"
	case elf.EM_386:
		return "i386-linux-gnu"
	case elf.EM_AARCH64:
		return "aarch64-linux-gnu"
	case elf.EM_ARM:
		return "arm-linux-gnueabihf"
	case elf.EM_RISCV:
		return "riscv64-linux-gnu"
	case elf.EM_S390:
		return "s390x-linux-gnu"
	case elf.EM_PPC:
		return "powerpc-linux-gnu"
	case elf.EM_PPC64:
		if d == elf.ELFDATA2LSB {
			return "powerpc64le-linux-gnu"
		}
		return "powerpc64-linux-gnu"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_")) + "-linux-gnu"
}

// loaderTarget is the CPU as the target's loader sees it: this CPU when
// the program is for this machine, else the capabilities every CPU of the
// machine has, with the kernel's AT_PLATFORM string.
func loaderTarget(m elf.Machine, c elf.Class) Target {
	if m == hostMachine() {
		if t := HostTarget(m, c); t.Platform != "" {
			return t
		}
	}
	hwcap, platform := baseLegacyCaps(m)
	if platform == "" {
		platform = strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
	}
	return Target{Machine: m, Class: c, HWCap: hwcap, Platform: platform}
}

// hostMachine is the machine this program runs on.
func hostMachine() elf.Machine {
	return map[string]elf.Machine{
		"amd64": elf.EM_X86_64, "386": elf.EM_386, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM,
		"riscv64": elf.EM_RISCV, "ppc64le": elf.EM_PPC64, "ppc64": elf.EM_PPC64, "s390x": elf.EM_S390,
	}[runtime.GOARCH]
}

// legacyHWCapNames names the bits of GLRO(dl_hwcap), already masked by
// the hwcap mask, that glibc 2.36 turns into legacy capability
// subdirectories (_dl_hwcap_string), in bit order.
func legacyHWCapNames(m elf.Machine, hwcap uint64) []string {
	var names []string
	if m == elf.EM_X86_64 || m == elf.EM_386 {
		for bit, name := range []string{"sse2", "x86_64", "avx512_1"} {
			if hwcap&(1<<bit) != 0 {
				names = append(names, name)
			}
		}
	}
	return names
}
