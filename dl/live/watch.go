// Package live watches a library's GOT slots change in this process:
// it dlopens the library lazily, reads the slots before and after one
// call, and names what each value points at. It calls C through purego,
// which links the program that imports it against libc dynamically: only
// the runner (cmd/elfx-runner), run as a child process, imports it, so
// that elfx itself stays a static program.
package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/elfx/elfx/dl"
)

// rtldDILinkmap is dlinfo's request for the object's link_map.
const rtldDILinkmap = 2

// dlInfo is glibc's Dl_info, which dladdr fills.
type dlInfo struct {
	fname *byte
	fbase uintptr
	sname *byte
	saddr uintptr
}

// Watch dlopens lib with RTLD_LAZY, reads the words at the slots (link-time
// addresses in lib, as got, its DT_PLTGOT), calls the function call with
// no arguments, reads the slots again, and asks dlsym for names. marker is
// called just before the call and just after it, so that a caller can tell
// the loader's debugging output of the call from the output of the load
// and of the lookups dlsym makes. dlsym is
// asked in the library's own scope, where an IFUNC's answer is the
// function its resolver chose.
func Watch(lib, call string, got uint64, slots []uint64, names []string, marker func(before bool)) (*dl.Snapshot, error) {
	h, err := purego.Dlopen(lib, purego.RTLD_LAZY|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("dlopen %s: %w", lib, err)
	}
	libc, err := purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("dlopen libc.so.6: %w", err)
	}
	var dlinfo func(handle uintptr, request int, info unsafe.Pointer) int32
	var dladdr func(addr uintptr, info *dlInfo) int32
	purego.RegisterLibFunc(&dlinfo, libc, "dlinfo")
	purego.RegisterLibFunc(&dladdr, libc, "dladdr")

	// Memory is read through /proc/self/mem: an address that is not
	// mapped is an error there, not a crash.
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		return nil, err
	}
	defer mem.Close()
	read := func(addr uint64) (uint64, error) {
		var b [8]byte
		if _, err := mem.ReadAt(b[:], int64(addr)); err != nil {
			return 0, fmt.Errorf("reading %#x: %w", addr, err)
		}
		return binary.NativeEndian.Uint64(b[:]), nil
	}
	var lm uintptr // struct link_map *: its first field is l_addr
	if dlinfo(h, rtldDILinkmap, unsafe.Pointer(&lm)) != 0 || lm == 0 {
		return nil, fmt.Errorf("dlinfo %s: no link_map", lib)
	}
	base, err := read(uint64(lm))
	if err != nil {
		return nil, err
	}
	describe := func(v uint64) dl.Value {
		out := dl.Value{Value: v}
		var info dlInfo
		if v != 0 && dladdr(uintptr(v), &info) != 0 {
			out.Object = cString(info.fname)
			out.Symbol = cString(info.sname)
			if info.saddr != 0 {
				out.Offset = v - uint64(info.saddr)
			}
		}
		return out
	}
	slotValues := func(dst *[]dl.Value) error {
		for _, slot := range slots {
			v, err := read(base + slot)
			if err != nil {
				return err
			}
			*dst = append(*dst, describe(v))
		}
		return nil
	}
	s := &dl.Snapshot{Base: base, Dlsym: map[string]dl.Value{}}
	if got != 0 {
		got1, err1 := read(base + got + 8)
		got2, err2 := read(base + got + 16)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		s.GOT1, s.GOT2 = describe(got1), describe(got2)
	}
	if err := slotValues(&s.Before); err != nil {
		return nil, err
	}
	fn, err := purego.Dlsym(h, call)
	if err != nil {
		return nil, fmt.Errorf("dlsym %s: %w", call, err)
	}
	marker(true)
	purego.SyscallN(fn)
	marker(false)
	if err := slotValues(&s.After); err != nil {
		return nil, err
	}
	for _, name := range names {
		if p, err := purego.Dlsym(h, name); err == nil {
			s.Dlsym[name] = describe(uint64(p))
		}
	}
	return s, nil
}

// cString copies a NUL-terminated C string.
func cString(p *byte) string {
	if p == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(p); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}
