// Package wasm runs WebAssembly plugins written to the elfx plugin
// contract (fixtures/plugin/wasm/transform.wat): elfx_plugin.h compiled for
// wasm32, the buffers in the module's linear memory, allocated with its
// exported alloc and free. The contract is runtime-neutral; each runtime
// (wazero here, wasmtime-go where cgo is) only instantiates the module and
// calls its exports.
package wasm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/wasmabi"
)

// DefaultMemoryPages caps a plugin's linear memory when the loader sets no
// cap: 16384 pages of 64 KiB, 1 GiB.
const DefaultMemoryPages = 16384

// Config is what a WebAssembly runtime gives a plugin.
type Config struct {
	// MemoryPages caps the linear memory in 64 KiB pages;
	// 0 means DefaultMemoryPages.
	MemoryPages uint32
	Grants      Grants
}

func (c Config) pages() uint32 {
	if c.MemoryPages == 0 {
		return DefaultMemoryPages
	}
	return c.MemoryPages
}

// Grants are the WASI preview 1 capabilities a plugin is given: nothing
// unless granted here.
type Grants struct {
	Args []string // the arguments it sees, its name first
	Env  []string // its environment, KEY=VALUE
	// Dirs are host directories it may read, each preopened under its
	// own path; writing is never granted.
	Dirs []string
}

// env splits Env into names and values.
func (g Grants) env() (names, values []string) {
	for _, kv := range g.Env {
		k, v, _ := strings.Cut(kv, "=")
		names, values = append(names, k), append(values, v)
	}
	return names, values
}

// An export is one of the functions the contract requires: an index into
// wasmabi.Funcs.
type export int

const (
	exportAlloc export = iota
	exportFree
	exportInfo
	exportExecute
	numExports
)

func (e export) abi() wasmabi.Func { return wasmabi.Funcs[e] }

func (e export) String() string { return e.abi().Name }

// takesArg reports whether the export takes its one 32-bit argument;
// plugin_get_info takes none.
func (e export) takesArg() bool { return len(e.abi().Params) > 0 }

// checkSignature refuses an export whose type is not the contract's.
func checkSignature(path string, e export, params, results []string) error {
	if got, want := wasmabi.Signature(params, results), e.abi().Signature(); got != want {
		return fmt.Errorf("%s does not follow the plugin contract: %s is %s, want %s", path, e, got, want)
	}
	return nil
}

// exportMemory is the memory the contract requires.
const exportMemory = wasmabi.Memory

// instance is an instantiated module, as the contract needs it: its
// exported functions of one 32-bit argument at most, and its memory.
type instance interface {
	// call calls fn, with arg when it takes one, and returns its result
	// (0 for a function without one).
	call(ctx context.Context, fn export, arg uint32) (uint32, error)
	// memory is the linear memory as the last call left it: a call may
	// grow it and move it, and memory is fetched again after every call.
	memory() []byte
}

// ctxSize is sizeof(elfx_plugin_ctx) on wasm32: five 32-bit words.
const ctxSize = 5 * 4

var le = binary.LittleEndian // WebAssembly memory is little-endian

// readInfo reads plugin_get_info's {name, version}.
func readInfo(ctx context.Context, in instance, path string) (dl.PluginInfo, error) {
	p, err := in.call(ctx, exportInfo, 0)
	if err != nil {
		return dl.PluginInfo{}, fmt.Errorf("%s: plugin_get_info: %w", path, err)
	}
	mem := in.memory()
	if p == 0 || uint64(p)+8 > uint64(len(mem)) {
		return dl.PluginInfo{}, fmt.Errorf("%s: plugin_get_info returned %#x, outside its memory of %d bytes", path, p, len(mem))
	}
	name, err := cString(mem, le.Uint32(mem[p:]))
	if err == nil {
		var version string
		version, err = cString(mem, le.Uint32(mem[p+4:]))
		if err == nil {
			return dl.PluginInfo{Name: name, Version: version}, nil
		}
	}
	return dl.PluginInfo{}, fmt.Errorf("%s: plugin_get_info: %w", path, err)
}

// cString reads the NUL-terminated string at p.
func cString(mem []byte, p uint32) (string, error) {
	for i := uint64(p); i < uint64(len(mem)); i++ {
		if mem[i] == 0 {
			return string(mem[p:i]), nil
		}
	}
	return "", fmt.Errorf("string at %#x is not NUL-terminated inside the memory", p)
}

// block is the part of a module's memory its calls share, from its
// alloc: the ctx, the input, then the output. It grows as calls need.
type block struct{ at, size uint32 }

// execute runs plugin_execute on input in b with the output buffer grown
// as the plugin asks (dl.ExecuteGrowing).
func execute(ctx context.Context, in instance, b *block, path string, input []byte) ([]byte, error) {
	return dl.ExecuteGrowing(path, len(input), func(capacity int) ([]byte, int, error) {
		out, code, err := executeOnce(ctx, in, b, path, input, uint64(capacity))
		return out, int(int32(code)), err
	})
}

// executeOnce calls plugin_execute once with room for at least capacity
// bytes of output.
func executeOnce(ctx context.Context, in instance, b *block, path string, input []byte, capacity uint64) ([]byte, uint32, error) {
	if err := b.reserve(ctx, in, path, ctxSize+uint64(len(input))+capacity); err != nil {
		return nil, 0, err
	}
	mem := in.memory()
	inAt, outAt := b.at+ctxSize, b.at+ctxSize+uint32(len(input))
	outCap := b.size - ctxSize - uint32(len(input))
	copy(mem[inAt:], input)
	ctxMem := mem[b.at : b.at+ctxSize]
	le.PutUint32(ctxMem[0:], inAt)
	le.PutUint32(ctxMem[4:], uint32(len(input)))
	le.PutUint32(ctxMem[8:], outAt)
	le.PutUint32(ctxMem[12:], outCap)
	le.PutUint32(ctxMem[16:], 0)
	code, err := in.call(ctx, exportExecute, b.at)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: plugin_execute: %w", path, err)
	}
	if code != 0 {
		return nil, code, nil
	}
	mem = in.memory()
	n := le.Uint32(mem[b.at+16:])
	if n > outCap {
		return nil, 0, fmt.Errorf("%s: plugin_execute wrote out_len %d past out_cap %d", path, n, outCap)
	}
	return append([]byte(nil), mem[outAt:outAt+n]...), 0, nil
}

// reserve makes b at least size bytes: it frees b and allocates a block
// of at least twice the size when it must grow.
func (b *block) reserve(ctx context.Context, in instance, path string, size uint64) error {
	if size <= uint64(b.size) {
		return nil
	}
	size = max(size, 2*uint64(b.size))
	if size > 1<<32-1 {
		return fmt.Errorf("%s: a block of %d bytes does not fit a 32-bit memory", path, size)
	}
	if b.at != 0 {
		if _, err := in.call(ctx, exportFree, b.at); err != nil {
			return fmt.Errorf("%s: free: %w", path, err)
		}
		*b = block{}
	}
	at, err := in.call(ctx, exportAlloc, uint32(size))
	if err != nil {
		return fmt.Errorf("%s: alloc: %w", path, err)
	}
	if at == 0 || uint64(at)+size > uint64(len(in.memory())) {
		return fmt.Errorf("%s: alloc(%d) failed: the module's memory is full (%d bytes now)", path, size, len(in.memory()))
	}
	*b = block{at: at, size: uint32(size)}
	return nil
}

// errMissingExport says a module does not follow the contract.
func errMissingExport(path, name string) error {
	return fmt.Errorf("%s does not follow the plugin contract: no exported %s", path, name)
}

var errClosed = errors.New("plugin already closed")
