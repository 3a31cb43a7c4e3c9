package compat

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/elfx/elfx/dl/wasmabi"
	"github.com/elfx/elfx/internal/safeopen"
)

// A WasmHost is what a WebAssembly host offers a module's imports:
// functions with their types and memories, by module and name.
type WasmHost struct {
	Funcs    map[string]map[string]string // module, name: the type, "(i32) -> (i32)"
	Memories map[string]map[string]bool
}

// NewWasmHost is a host that offers nothing.
func NewWasmHost() *WasmHost {
	return &WasmHost{Funcs: map[string]map[string]string{}, Memories: map[string]map[string]bool{}}
}

func (h *WasmHost) addFunc(module, name, typ string) {
	if h.Funcs[module] == nil {
		h.Funcs[module] = map[string]string{}
	}
	h.Funcs[module][name] = typ
}

func (h *WasmHost) addMemory(module, name string) {
	if h.Memories[module] == nil {
		h.Memories[module] = map[string]bool{}
	}
	h.Memories[module][name] = true
}

// WasmHosts are the hosts AddBuiltin knows: the WASI preview 1 of the
// runners, as wazero implements it (wasmtime's has the same functions and
// types).
var WasmHosts = []string{wasi_snapshot_preview1.ModuleName}

// AddBuiltin adds the built-in host name (WasmHosts) to h, read from the
// host module wazero instantiates: the functions and types a module will
// really find.
func (h *WasmHost) AddBuiltin(name string) error {
	if name != wasi_snapshot_preview1.ModuleName {
		return fmt.Errorf("no built-in WebAssembly host %q (there is %s)", name, strings.Join(WasmHosts, ", "))
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return err
	}
	for fn, def := range r.Module(name).ExportedFunctionDefinitions() {
		h.addFunc(name, fn, wasmFuncType(def))
	}
	return nil
}

// AddFrom adds the host functions and memories a file describes, a line
// each, "MODULE NAME (PARAMS) -> (RESULTS)" or "MODULE NAME memory", e.g.
// "env log (i32, i32) -> ()"; "#" starts a comment.
func (h *WasmHost) AddFrom(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		module, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		name, typ, _ := strings.Cut(strings.TrimSpace(rest), " ")
		typ = strings.TrimSpace(typ)
		switch {
		case module == "":
			continue
		case typ == "memory":
			h.addMemory(module, name)
		case name != "" && typ != "":
			t, err := parseFuncType(typ)
			if err != nil {
				return fmt.Errorf("%s:%d: %v", path, n, err)
			}
			h.addFunc(module, name, t)
		default:
			return fmt.Errorf("%s:%d: want MODULE NAME (PARAMS) -> (RESULTS) or MODULE NAME memory", path, n)
		}
	}
	return sc.Err()
}

// parseFuncType reads "(i32, i64) -> (f32)", accepting a bare single
// result, and writes it as wasmabi.Signature does.
func parseFuncType(s string) (string, error) {
	params, results, ok := strings.Cut(s, "->")
	list := func(s string) ([]string, bool) {
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
		var types []string
		for t := range strings.SplitSeq(s, ",") {
			switch t = strings.TrimSpace(t); t {
			case "":
			case "i32", "i64", "f32", "f64", "v128", "funcref", "externref":
				types = append(types, t)
			default:
				return nil, false
			}
		}
		return types, true
	}
	p, okp := list(params)
	r, okr := list(results)
	if !ok || !okp || !okr {
		return "", fmt.Errorf("%q is not a function type such as (i32, i32) -> (i32)", s)
	}
	return wasmabi.Signature(p, r), nil
}

// WasmImport is one import of a module and whether the host has it.
type WasmImport struct {
	Module, Name string
	Kind         string // "func" or "memory"
	Type         string // a function's type
	// Problem is "" when the host has the import with its type, else
	// what is wrong: "missing", or "mistyped: the host's is (i32) -> ()".
	Problem string
}

// WasmExport is one export of a module.
type WasmExport struct {
	Name string
	Kind string // "func" or "memory"
	Type string // a function's type
}

// WasmReport is what CheckWasm finds.
type WasmReport struct {
	File string
	// Instantiable reports whether the host has every import, with its
	// type: the module decodes and validates, or CheckWasm fails.
	Instantiable bool
	Imports      []WasmImport
	Exports      []WasmExport
	// Contract lists how the module falls short of the elfx plugin
	// contract (dl/wasmabi): exports missing or of another type.
	Contract []string
}

// CheckWasm decodes and validates the module at path, without running
// any of it, and checks its imports against host and its exports against
// the plugin contract: what instantiation in a runner would refuse, said
// before.
func CheckWasm(path string, host *WasmHost) (*WasmReport, error) {
	code, err := safeopen.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return checkWasmCode(path, code, host)
}

// checkWasmCode is CheckWasm of the module code read from path.
func checkWasmCode(path string, code []byte, host *WasmHost) (*WasmReport, error) {
	if err := wasmabi.CheckShape(code); err != nil {
		return nil, fmt.Errorf("%s: not a valid WebAssembly module: %w", path, err)
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	m, err := r.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid WebAssembly module: %w", path, err)
	}
	rep := &WasmReport{File: path, Instantiable: true}
	for _, def := range m.ImportedFunctions() {
		module, name, _ := def.Import()
		imp := WasmImport{Module: module, Name: name, Kind: "func", Type: wasmFuncType(def)}
		switch typ, ok := host.Funcs[module][name]; {
		case !ok:
			imp.Problem = "missing"
		case typ != imp.Type:
			imp.Problem = "mistyped: the host's is " + typ
		}
		rep.add(imp)
	}
	for _, def := range m.ImportedMemories() {
		module, name, _ := def.Import()
		imp := WasmImport{Module: module, Name: name, Kind: "memory"}
		if !host.Memories[module][name] {
			imp.Problem = "missing"
		}
		rep.add(imp)
	}
	funcs := m.ExportedFunctions()
	for _, name := range slices.Sorted(maps.Keys(funcs)) {
		rep.Exports = append(rep.Exports, WasmExport{Name: name, Kind: "func", Type: wasmFuncType(funcs[name])})
	}
	mems := m.ExportedMemories()
	for _, name := range slices.Sorted(maps.Keys(mems)) {
		rep.Exports = append(rep.Exports, WasmExport{Name: name, Kind: "memory"})
	}
	if mems[wasmabi.Memory] == nil {
		rep.Contract = append(rep.Contract, "no exported memory "+wasmabi.Memory)
	}
	for _, f := range wasmabi.Funcs {
		switch def, ok := funcs[f.Name]; {
		case !ok:
			rep.Contract = append(rep.Contract, "no exported function "+f.Name)
		case wasmFuncType(def) != f.Signature():
			rep.Contract = append(rep.Contract, fmt.Sprintf("%s is %s, want %s", f.Name, wasmFuncType(def), f.Signature()))
		}
	}
	return rep, nil
}

func (r *WasmReport) add(imp WasmImport) {
	r.Imports = append(r.Imports, imp)
	if imp.Problem != "" {
		r.Instantiable = false
	}
}

// wasmFuncType writes a function's type as wasmabi.Signature does.
func wasmFuncType(def api.FunctionDefinition) string {
	names := func(types []api.ValueType) []string {
		var out []string
		for _, t := range types {
			out = append(out, api.ValueTypeName(t))
		}
		return out
	}
	return wasmabi.Signature(names(def.ParamTypes()), names(def.ResultTypes()))
}
