package compat

import (
	"os"
	"testing"

	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// FuzzCheckWasm: any bytes give a report or an error, never a crash.
func FuzzCheckWasm(f *testing.F) {
	for _, m := range []string{"transform", "wasi", "missing", "mistyped"} {
		code, err := os.ReadFile(fixtures.WasmPlugin(f, m))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(code)
	}
	host := NewWasmHost()
	if err := host.AddBuiltin("wasi_snapshot_preview1"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, code []byte) {
		var r *WasmReport
		var err error
		testelf.Bounded(t, len(code), func() { r, err = checkWasmCode("fuzz.wasm", code, host) })
		if err == nil && r.File != "fuzz.wasm" {
			t.Fatalf("report of %q", r.File)
		}
	})
}

// FuzzParseFuncType: a type that parses writes back to itself.
func FuzzParseFuncType(f *testing.F) {
	for _, s := range []string{"(i32, i32) -> (i32)", "() -> i64", "(f32)->()", "(i32, string) -> ()", "->"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, err := parseFuncType(s)
		if err != nil {
			return
		}
		again, err := parseFuncType(typ)
		if err != nil || again != typ {
			t.Fatalf("%q -> %q -> %q, %v", s, typ, again, err)
		}
	})
}
