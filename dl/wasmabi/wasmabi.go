// Package wasmabi is the elfx plugin contract for WebAssembly modules
// (fixtures/plugin/wasm/transform.wat): the exports a plugin must have,
// with their types, shared by the runners that call them (dl/wasm) and the
// check that predicts whether a module will load (compat).
package wasmabi

import "strings"

// Memory is the name of the linear memory a plugin exports.
const Memory = "memory"

// A Func is one function the contract requires a plugin to export.
type Func struct {
	Name            string
	Params, Results []string // value types in the text format's names
}

// Signature is the function's type as the text format writes it:
// "(i32) -> (i32)".
func (f Func) Signature() string { return Signature(f.Params, f.Results) }

// Signature writes a function type: "(i32, i64) -> (i32)".
func Signature(params, results []string) string {
	return "(" + strings.Join(params, ", ") + ") -> (" + strings.Join(results, ", ") + ")"
}

var i32 = []string{"i32"}

// The contract's functions, in the order the runners index them.
var (
	Alloc   = Func{"alloc", i32, i32}           // alloc(size) -> ptr, 0 when there is no room
	Free    = Func{"free", i32, nil}            // free(ptr)
	Info    = Func{"plugin_get_info", nil, i32} // -> a {name, version} pair of pointers
	Execute = Func{"plugin_execute", i32, i32}  // (ctx) -> 0 or an error code
	Funcs   = []Func{Alloc, Free, Info, Execute}
)
