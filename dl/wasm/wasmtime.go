//go:build cgo && (linux || darwin) && (amd64 || arm64)

package wasm

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/wasmabi"
)

// Wasmtime loads plugins with wasmtime-go, Wasmtime's C API through cgo
// (Cranelift compiles the module ahead of the first call). Calls go
// through Func.Call, the only call path wasmtime-go has: a cgo call
// with the arguments boxed as Go interfaces.
//
// The module gets WASI preview 1 with only what Grants grants, and its
// standard streams closed. Deadlines use
// epoch interruption, a counter the compiled code compares at every
// loop's head and function entry: a done context increments it and the
// call traps.
type Wasmtime struct {
	Config
}

func (Wasmtime) Name() string { return "wasmtime" }

// WithConfig returns w with c.
func (w Wasmtime) WithConfig(c Config) dl.Loader {
	w.Config = c
	return w
}

type wasmtimePlugin struct {
	path    string
	engine  *wasmtime.Engine
	store   *wasmtime.Store
	mem     *wasmtime.Memory
	view    []byte // mem's contents as the last call left them
	exports [numExports]*wasmtime.Func
	info    dl.PluginInfo
	buf     block
}

// Load compiles and instantiates the module at path, runs its
// _initialize (a WASI reactor's constructor) if it has one, and checks
// the contract's exports.
func (w Wasmtime) Load(path string) (dl.Plugin, error) {
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := wasmabi.CheckShape(code); err != nil {
		return nil, fmt.Errorf("%s: not a valid WebAssembly module: %w", path, err)
	}
	config := wasmtime.NewConfig()
	config.SetEpochInterruption(true)
	engine := wasmtime.NewEngineWithConfig(config)
	module, err := wasmtime.NewModule(engine, code)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	store := wasmtime.NewStore(engine)
	store.Limiter(int64(w.pages())<<16, -1, -1, -1, -1)
	wasi := wasmtime.NewWasiConfig()
	wasi.SetArgv(w.Grants.Args)
	wasi.SetEnv(w.Grants.env())
	for _, dir := range w.Grants.Dirs {
		if err := wasi.PreopenDir(dir, dir, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
			return nil, fmt.Errorf("granting %s: %w", dir, err)
		}
	}
	store.SetWasi(wasi)
	store.SetEpochDeadline(1)
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		return nil, fmt.Errorf("wasmtime: WASI: %w", err)
	}
	inst, err := linker.Instantiate(store, module)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &wasmtimePlugin{path: path, engine: engine, store: store}
	if ext := inst.GetExport(store, exportMemory); ext != nil {
		p.mem = ext.Memory()
	}
	if p.mem == nil {
		return nil, errMissingExport(path, "memory")
	}
	p.view = p.mem.UnsafeData(store)
	if init := inst.GetFunc(store, "_initialize"); init != nil {
		if _, err := init.Call(store); err != nil {
			return nil, fmt.Errorf("%s: _initialize: %w", path, err)
		}
	}
	for e := range numExports {
		if p.exports[e] = inst.GetFunc(store, e.String()); p.exports[e] == nil {
			return nil, errMissingExport(path, "function "+e.String())
		}
		ty := p.exports[e].Type(store)
		if err := checkSignature(path, e, kindNames(ty.Params()), kindNames(ty.Results())); err != nil {
			return nil, err
		}
	}
	if p.info, err = readInfo(context.Background(), p, path); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *wasmtimePlugin) call(ctx context.Context, fn export, arg uint32) (uint32, error) {
	var args []any
	if fn.takesArg() {
		args = []any{int32(arg)}
	}
	if ctx.Done() != nil {
		// The deadline is one epoch on: a done context moves the epoch
		// and the call traps. Once it has, the next call needs a new
		// deadline.
		interrupted := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			p.engine.IncrementEpoch()
			close(interrupted)
		})
		defer func() {
			if !stop() {
				<-interrupted
				p.store.SetEpochDeadline(1)
			}
		}()
	}
	r, err := p.exports[fn].Call(p.store, args...)
	p.view = p.mem.UnsafeData(p.store)
	if err != nil {
		var trap *wasmtime.Trap
		if ctx.Err() != nil && errors.As(err, &trap) {
			return 0, fmt.Errorf("stopped (%w)", ctx.Err())
		}
		return 0, fmt.Errorf("trap: %w", err)
	}
	if r, ok := r.(int32); ok {
		return uint32(r), nil
	}
	return 0, nil
}

func (p *wasmtimePlugin) memory() []byte { return p.view }

func (p *wasmtimePlugin) Info() dl.PluginInfo { return p.info }

func (p *wasmtimePlugin) Execute(ctx context.Context, input []byte) ([]byte, error) {
	if p.store == nil {
		return nil, errClosed
	}
	return execute(ctx, p, &p.buf, p.path, input)
}

func (p *wasmtimePlugin) Close() error {
	if p.store == nil {
		return errClosed
	}
	p.store.Close()
	p.store = nil
	return nil
}

func kindNames(types []*wasmtime.ValType) []string {
	var names []string
	for _, t := range types {
		names = append(names, t.String())
	}
	return names
}
