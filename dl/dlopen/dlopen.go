// Package dlopen runs C-ABI plugins (fixtures/plugin/elfx_plugin.h)
// loaded with dlopen through purego, without cgo. Like dl/live it links
// the program that imports it against libc, so only the runner
// (cmd/elfx-runner) imports it.
package dlopen

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/elfx/elfx/dl"
)

// Purego loads plugins with dlopen(RTLD_NOW|RTLD_LOCAL) and calls them
// through purego's SyscallN, its fast path: a function pointer and
// machine words, with no reflection per call (RegisterLibFunc builds a
// reflect-based wrapper, several times slower per call).
type Purego struct{}

func (Purego) Name() string { return "purego" }

// libc's allocator, for the buffers the plugin reads and writes: the
// plugin gets C memory, never Go memory it could keep.
var (
	libc          uintptr
	malloc, cfree uintptr
	libcErr       error
)

func loadLibc() error {
	if libc != 0 || libcErr != nil {
		return libcErr
	}
	libc, libcErr = purego.Dlopen("libc.so.6", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if libcErr == nil {
		malloc, libcErr = purego.Dlsym(libc, "malloc")
	}
	if libcErr == nil {
		cfree, libcErr = purego.Dlsym(libc, "free")
	}
	return libcErr
}

type plugin struct {
	path    string
	handle  uintptr
	execute uintptr
	info    dl.PluginInfo
	// buf is C memory the calls share: the ctx, the input, then the
	// output; it grows as calls need and is freed by Close.
	buf []byte
}

// Load dlopens path and checks it follows the contract.
func (Purego) Load(path string) (dl.Plugin, error) {
	if err := loadLibc(); err != nil {
		return nil, fmt.Errorf("loading libc: %w", err)
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("dlopen %s: %w", path, err)
	}
	p := &plugin{path: path, handle: h}
	getInfo, err := purego.Dlsym(h, "plugin_get_info")
	if err == nil {
		p.execute, err = purego.Dlsym(h, "plugin_execute")
	}
	if err != nil {
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s does not follow the plugin contract: %w", path, err)
	}
	r, _, _ := purego.SyscallN(getInfo)
	if r == 0 {
		purego.Dlclose(h)
		return nil, fmt.Errorf("%s: plugin_get_info returned NULL", path)
	}
	fields := (*[2]*byte)(cMemory(r)) // const char *name, *version
	p.info = dl.PluginInfo{Name: cString(fields[0]), Version: cString(fields[1])}
	return p, nil
}

func (p *plugin) Info() dl.PluginInfo { return p.info }

// ctxSize is sizeof(elfx_plugin_ctx) on a 64-bit machine: five words.
const ctxSize = 5 * 8

// Execute copies input into C memory and runs plugin_execute on it with
// the output buffer grown as the plugin asks (dl.ExecuteGrowing).
func (p *plugin) Execute(ctx context.Context, input []byte) ([]byte, error) {
	if p.handle == 0 {
		return nil, errClosed
	}
	return dl.ExecuteGrowing(p.path, len(input), func(capacity int) ([]byte, int, error) {
		return p.run(input, capacity)
	})
}

// run calls plugin_execute once with room for at least capacity bytes of
// output.
func (p *plugin) run(input []byte, capacity int) ([]byte, int, error) {
	if err := p.reserve(ctxSize + len(input) + capacity); err != nil {
		return nil, 0, err
	}
	in, out := p.buf[ctxSize:ctxSize+len(input)], p.buf[ctxSize+len(input):]
	copy(in, input)
	le := binary.NativeEndian
	le.PutUint64(p.buf[0:], uint64(uintptr(unsafe.Pointer(unsafe.SliceData(in)))))
	le.PutUint64(p.buf[8:], uint64(len(input)))
	le.PutUint64(p.buf[16:], uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out)))))
	le.PutUint64(p.buf[24:], uint64(len(out)))
	le.PutUint64(p.buf[32:], 0)
	r, _, _ := purego.SyscallN(p.execute, uintptr(unsafe.Pointer(unsafe.SliceData(p.buf))))
	if code := int(int32(r)); code != 0 {
		return nil, code, nil
	}
	n := le.Uint64(p.buf[32:])
	if n > uint64(len(out)) {
		return nil, 0, fmt.Errorf("%s: plugin_execute wrote out_len %d past out_cap %d", p.path, n, len(out))
	}
	return append([]byte(nil), out[:n]...), 0, nil
}

// reserve makes buf at least size bytes, at least doubling it when it
// must grow.
func (p *plugin) reserve(size int) error {
	if size <= len(p.buf) {
		return nil
	}
	size = max(size, 2*len(p.buf))
	p.release()
	mem, _, _ := purego.SyscallN(malloc, uintptr(size))
	if mem == 0 {
		return fmt.Errorf("%s: malloc(%d) failed", p.path, size)
	}
	p.buf = unsafe.Slice((*byte)(cMemory(mem)), size)
	return nil
}

func (p *plugin) release() {
	if p.buf != nil {
		purego.SyscallN(cfree, uintptr(unsafe.Pointer(unsafe.SliceData(p.buf))))
		p.buf = nil
	}
}

var errClosed = errors.New("plugin already closed")

func (p *plugin) Close() error {
	if p.handle == 0 {
		return errClosed
	}
	p.release()
	err := purego.Dlclose(p.handle)
	p.handle = 0
	return err
}

// cMemory turns an address C returned into a pointer. The memory is C's
// (malloc's, or the plugin's data), which the Go collector neither moves
// nor frees, so the conversion is safe where uintptr-to-pointer usually is
// not; unsafe.Add from nil says so without vet's alarm.
func cMemory(addr uintptr) unsafe.Pointer { return unsafe.Add(nil, addr) }

// cString copies a NUL-terminated C string.
func cString(s *byte) string {
	if s == nil {
		return ""
	}
	var b []byte
	for q := unsafe.Pointer(s); *(*byte)(q) != 0; q = unsafe.Add(q, 1) {
		b = append(b, *(*byte)(q))
	}
	return string(b)
}
