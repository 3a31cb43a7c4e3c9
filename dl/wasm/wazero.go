package wasm

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/wasmabi"
)

// Wazero loads plugins with wazero, a WebAssembly runtime in pure Go
// (compiled ahead of time to machine code where wazero has a compiler,
// amd64 and arm64, interpreted elsewhere). Calls go through
// Function.CallWithStack with a stack kept per plugin, wazero's fast path:
// Call allocates its parameters and results on every call.
//
// The module gets WASI preview 1 with only what Grants grants, and its
// standard streams discarded. A context done
// during a call closes the module (RuntimeConfig.WithCloseOnContextDone),
// which is how a deadline ends a plugin that never returns.
type Wazero struct {
	Config
	// Uninterruptible compiles the module without the check wazero puts
	// at every loop's head so that a done context can end a call: the
	// check is a call into Go, which makes loop-heavy code many times
	// slower (BenchmarkWazero), but without it a plugin that never
	// returns can only be stopped with its process.
	Uninterruptible bool
}

func (Wazero) Name() string { return "wazero" }

// WithConfig returns w with c.
func (w Wazero) WithConfig(c Config) dl.Loader {
	w.Config = c
	return w
}

type wazeroPlugin struct {
	path    string
	runtime wazero.Runtime
	module  api.Module
	mem     api.Memory
	view    []byte // mem's contents as the last call left them
	exports [numExports]api.Function
	stack   []uint64
	info    dl.PluginInfo
	buf     block
}

// Load compiles and instantiates the module at path, runs its
// _initialize (a WASI reactor's constructor) if it has one, and checks
// the contract's exports.
func (w Wazero) Load(path string) (dl.Plugin, error) {
	ctx := context.Background()
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := wasmabi.CheckShape(code); err != nil {
		return nil, fmt.Errorf("%s: not a valid WebAssembly module: %w", path, err)
	}
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithMemoryLimitPages(w.pages()).
		WithCloseOnContextDone(!w.Uninterruptible))
	p, err := w.instantiate(ctx, r, path, code)
	if err != nil {
		r.Close(ctx)
		return nil, err
	}
	return p, nil
}

func (w Wazero) instantiate(ctx context.Context, r wazero.Runtime, path string, code []byte) (*wazeroPlugin, error) {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return nil, fmt.Errorf("wazero: WASI: %w", err)
	}
	compiled, err := r.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	config := wazero.NewModuleConfig().WithName("").WithArgs(w.Grants.Args...)
	names, values := w.Grants.env()
	for i := range names {
		config = config.WithEnv(names[i], values[i])
	}
	fs := wazero.NewFSConfig()
	for _, dir := range w.Grants.Dirs {
		fs = fs.WithReadOnlyDirMount(dir, dir)
	}
	config = config.WithFSConfig(fs)
	if _, ok := compiled.ExportedFunctions()["_initialize"]; ok {
		config = config.WithStartFunctions("_initialize")
	} else {
		config = config.WithStartFunctions()
	}
	m, err := r.InstantiateModule(ctx, compiled, config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &wazeroPlugin{path: path, runtime: r, module: m, stack: make([]uint64, 1)}
	if p.mem = m.ExportedMemory(exportMemory); p.mem == nil {
		return nil, errMissingExport(path, "memory")
	}
	p.view, _ = p.mem.Read(0, p.mem.Size())
	for e := range numExports {
		if p.exports[e] = m.ExportedFunction(e.String()); p.exports[e] == nil {
			return nil, errMissingExport(path, "function "+e.String())
		}
		def := p.exports[e].Definition()
		if err := checkSignature(path, e, typeNames(def.ParamTypes()), typeNames(def.ResultTypes())); err != nil {
			return nil, err
		}
	}
	if p.info, err = readInfo(ctx, p, path); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *wazeroPlugin) call(ctx context.Context, fn export, arg uint32) (uint32, error) {
	p.stack[0] = api.EncodeU32(arg) // not read by a function without parameters
	err := p.exports[fn].CallWithStack(ctx, p.stack)
	if size := p.mem.Size(); size != uint32(len(p.view)) { // grown, perhaps moved
		p.view, _ = p.mem.Read(0, size)
	}
	if err != nil {
		return 0, wazeroError(ctx, err)
	}
	return api.DecodeU32(p.stack[0]), nil
}

// wazeroError says why a call ended: the context's deadline or
// cancellation (wazero reports both as an exit with its own codes), the
// module exiting, or a trap.
func wazeroError(ctx context.Context, err error) error {
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			return fmt.Errorf("stopped (%w); the module is closed", ctx.Err())
		}
		return fmt.Errorf("the module exited with status %d", exit.ExitCode())
	}
	return fmt.Errorf("trap: %w", err)
}

func (p *wazeroPlugin) memory() []byte { return p.view }

func (p *wazeroPlugin) Info() dl.PluginInfo { return p.info }

func (p *wazeroPlugin) Execute(ctx context.Context, input []byte) ([]byte, error) {
	if p.module == nil {
		return nil, errClosed
	}
	return execute(ctx, p, &p.buf, p.path, input)
}

func (p *wazeroPlugin) Close() error {
	if p.module == nil {
		return errClosed
	}
	p.module = nil
	return p.runtime.Close(context.Background())
}

func typeNames(types []api.ValueType) []string {
	var names []string
	for _, t := range types {
		names = append(names, api.ValueTypeName(t))
	}
	return names
}
