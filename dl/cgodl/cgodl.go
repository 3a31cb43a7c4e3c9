//go:build cgo

// Package cgodl runs C-ABI plugins (fixtures/plugin/elfx_plugin.h) loaded
// with dlopen through cgo: the reference the purego runner is measured
// against. It exists only in builds with cgo.
package cgodl

/*
#cgo CFLAGS: -I${SRCDIR}/../../fixtures/plugin
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include "elfx_plugin.h"

typedef const elfx_plugin_info *(*elfx_info_fn)(void);
typedef int (*elfx_execute_fn)(void *);

static const elfx_plugin_info *elfx_call_info(void *f) { return ((elfx_info_fn)f)(); }
static int elfx_call_execute(void *f, elfx_plugin_ctx *ctx) { return ((elfx_execute_fn)f)(ctx); }
static void elfx_noop(void) {}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/elfx/elfx/dl"
)

// Cgo loads plugins with dlopen(RTLD_NOW|RTLD_LOCAL) and calls them
// through a C trampoline, one cgo call per plugin call.
type Cgo struct{}

func (Cgo) Name() string { return "cgo" }

type plugin struct {
	path    string
	handle  unsafe.Pointer
	execute unsafe.Pointer
	info    dl.PluginInfo
	// buf is C memory the calls share: the ctx, the input, then the
	// output; it grows as calls need and is freed by Close.
	buf []byte
}

// dlerror returns the loader's last error message.
func dlerror() string {
	if s := C.dlerror(); s != nil {
		return C.GoString(s)
	}
	return "unknown error"
}

// Load dlopens path and checks it follows the contract.
func (Cgo) Load(path string) (dl.Plugin, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	h := C.dlopen(cpath, C.RTLD_NOW|C.RTLD_LOCAL)
	if h == nil {
		return nil, fmt.Errorf("dlopen %s: %s", path, dlerror())
	}
	p := &plugin{path: path, handle: h}
	getInfo, err := p.symbol("plugin_get_info")
	if err == nil {
		p.execute, err = p.symbol("plugin_execute")
	}
	if err != nil {
		C.dlclose(h)
		return nil, fmt.Errorf("%s does not follow the plugin contract: %w", path, err)
	}
	info := C.elfx_call_info(getInfo)
	if info == nil {
		C.dlclose(h)
		return nil, fmt.Errorf("%s: plugin_get_info returned NULL", path)
	}
	p.info = dl.PluginInfo{Name: C.GoString(info.name), Version: C.GoString(info.version)}
	return p, nil
}

func (p *plugin) symbol(name string) (unsafe.Pointer, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	C.dlerror()
	if f := C.dlsym(p.handle, cname); f != nil {
		return f, nil
	}
	return nil, errors.New(dlerror())
}

func (p *plugin) Info() dl.PluginInfo { return p.info }

// Execute copies input into C memory (cgo's rules forbid C holding Go
// pointers in the ctx) and runs plugin_execute on it with the output
// buffer grown as the plugin asks (dl.ExecuteGrowing).
func (p *plugin) Execute(ctx context.Context, input []byte) ([]byte, error) {
	if p.handle == nil {
		return nil, errClosed
	}
	return dl.ExecuteGrowing(p.path, len(input), func(capacity int) ([]byte, int, error) {
		return p.run(input, capacity)
	})
}

// run calls plugin_execute once with room for at least capacity bytes of
// output.
func (p *plugin) run(input []byte, capacity int) ([]byte, int, error) {
	const ctxSize = C.sizeof_elfx_plugin_ctx
	if err := p.reserve(ctxSize + len(input) + capacity); err != nil {
		return nil, 0, err
	}
	in, out := p.buf[ctxSize:ctxSize+len(input)], p.buf[ctxSize+len(input):]
	copy(in, input)
	c := (*C.elfx_plugin_ctx)(unsafe.Pointer(unsafe.SliceData(p.buf)))
	*c = C.elfx_plugin_ctx{
		in:      (*C.uchar)(unsafe.Pointer(unsafe.SliceData(in))),
		in_len:  C.size_t(len(input)),
		out:     (*C.uchar)(unsafe.Pointer(unsafe.SliceData(out))),
		out_cap: C.size_t(len(out)),
	}
	if code := p.rawExecute(); code != 0 {
		return nil, code, nil
	}
	if n := int(c.out_len); n <= len(out) {
		return append([]byte(nil), out[:n]...), 0, nil
	}
	return nil, 0, fmt.Errorf("%s: plugin_execute wrote out_len %d past out_cap %d", p.path, c.out_len, len(out))
}

// rawExecute calls plugin_execute on the ctx at the start of buf.
func (p *plugin) rawExecute() int {
	return int(C.elfx_call_execute(p.execute, (*C.elfx_plugin_ctx)(unsafe.Pointer(unsafe.SliceData(p.buf)))))
}

// reserve makes buf at least size bytes, at least doubling it when it
// must grow.
func (p *plugin) reserve(size int) error {
	if size <= len(p.buf) {
		return nil
	}
	size = max(size, 2*len(p.buf))
	p.release()
	mem := C.malloc(C.size_t(size))
	if mem == nil {
		return fmt.Errorf("%s: malloc(%d) failed", p.path, size)
	}
	p.buf = unsafe.Slice((*byte)(mem), size)
	return nil
}

func (p *plugin) release() {
	if p.buf != nil {
		C.free(unsafe.Pointer(unsafe.SliceData(p.buf)))
		p.buf = nil
	}
}

var errClosed = errors.New("plugin already closed")

// Noop makes n calls of a C function that does nothing: the floor of any
// call through cgo, against which elfx bench sets the runners'.
func Noop(n int) {
	for range n {
		C.elfx_noop()
	}
}

func (p *plugin) Close() error {
	if p.handle == nil {
		return errClosed
	}
	p.release()
	h := p.handle
	p.handle = nil
	if C.dlclose(h) != 0 {
		return fmt.Errorf("dlclose %s: %s", p.path, dlerror())
	}
	return nil
}
