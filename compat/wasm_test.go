package compat_test

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/compat"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// TestCheckWasm: the prediction of each module's imports against WASI
// preview 1 agrees with instantiating it in the runners.
func TestCheckWasm(t *testing.T) {
	host := compat.NewWasmHost()
	if err := host.AddBuiltin("wasi_snapshot_preview1"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		module   string
		problems map[string]string // import name: problem
		contract bool              // the module follows the plugin contract
	}{
		{"transform", nil, true},
		{"wasi", nil, true},
		{"missing", map[string]string{"fd_teleport": "missing"}, false},
		{"mistyped", map[string]string{"fd_write": "mistyped: the host's is (i32, i32, i32, i32) -> (i32)"}, false},
	} {
		t.Run(tc.module, func(t *testing.T) {
			path := fixtures.WasmPlugin(t, tc.module)
			r, err := compat.CheckWasm(path, host)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, imp := range r.Imports {
				if imp.Problem != "" {
					got[imp.Name] = imp.Problem
				}
			}
			if len(got) != len(tc.problems) || !r.Instantiable != (len(tc.problems) > 0) {
				t.Errorf("import problems %v (instantiable %v), want %v", got, r.Instantiable, tc.problems)
			}
			for name, want := range tc.problems {
				if got[name] != want {
					t.Errorf("import %s: %q, want %q", name, got[name], want)
				}
			}
			if (len(r.Contract) == 0) != tc.contract {
				t.Errorf("contract problems %v, want none: %v", r.Contract, tc.contract)
			}
			for _, l := range wasmLoaders() {
				_, err := l.Load(path)
				switch {
				case r.Instantiable && tc.contract && err != nil:
					t.Errorf("%s: predicted to load, but: %v", l.Name(), err)
				case !r.Instantiable && (err == nil || !mentionsAny(err.Error(), slices.Collect(maps.Keys(tc.problems)))):
					t.Errorf("%s: predicted not to instantiate for %v; Load: %v", l.Name(), tc.problems, err)
				}
			}
		})
	}
}

func mentionsAny(s string, names []string) bool {
	for _, n := range names {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}

func TestWasmHostFrom(t *testing.T) {
	file := filepath.Join(t.TempDir(), "host.txt")
	os.WriteFile(file, []byte("# a host's own functions\nenv log (i32, i32) -> ()\nenv now () -> i64\nenv memory memory\n"), 0o644)
	h := compat.NewWasmHost()
	if err := h.AddFrom(file); err != nil {
		t.Fatal(err)
	}
	if h.Funcs["env"]["log"] != "(i32, i32) -> ()" || h.Funcs["env"]["now"] != "() -> (i64)" || !h.Memories["env"]["memory"] {
		t.Errorf("host %+v", h)
	}
	os.WriteFile(file, []byte("env log (i32, string) -> ()\n"), 0o644)
	if err := compat.NewWasmHost().AddFrom(file); err == nil || !strings.Contains(err.Error(), "host.txt:1") {
		t.Errorf("a bad type: %v, want an error naming the line", err)
	}
}

// BenchmarkCheckWasm checks the fixture plugin importing WASI against
// WASI preview 1, and times in the same run wabt's wasm-objdump -x listing
// the same module's sections, median of 5: wasm-objdump-x is its time
// over the check's.
func BenchmarkCheckWasm(b *testing.B) {
	path := fixtures.WasmPlugin(b, "wasi")
	host := compat.NewWasmHost()
	if err := host.AddBuiltin("wasi_snapshot_preview1"); err != nil {
		b.Fatal(err)
	}
	var objdump time.Duration
	if _, err := exec.LookPath("wasm-objdump"); err == nil {
		objdump = testelf.MedianRun(b, 5, func() error { return exec.Command("wasm-objdump", "-x", path).Run() })
		b.Logf("wasm-objdump -x: %v (median of 5)", objdump)
	}
	for b.Loop() {
		if _, err := compat.CheckWasm(path, host); err != nil {
			b.Fatal(err)
		}
	}
	if objdump > 0 {
		b.ReportMetric(float64(objdump)/(float64(b.Elapsed())/float64(b.N)), "wasm-objdump-x")
	}
}
