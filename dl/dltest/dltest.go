// Package dltest checks a dl.Loader against the plugin contract, on
// fixture plugins built from fixtures/plugin, and benchmarks it; every
// runner's tests and benchmarks go through it, so all runners are held to
// the same rules.
package dltest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/fixtures"
)

// Plugins are the fixture plugins built for one loader.
type Plugins struct {
	// Transform does fixtures.Transform and names itself
	// "transform 1.0.0".
	Transform string
	// NotAPlugin lacks the contract's entry points.
	NotAPlugin string
	// Failing returns error code 7 from plugin_execute for the input "x",
	// and succeeds with no output on the empty input: the trivial call.
	Failing string
	// Mismatched has the contract's entry points, one of the wrong type;
	// "" where a loader cannot see types (a C library's symbols have none).
	Mismatched string
}

// CPlugins builds the C fixture plugins (fixtures/plugin/*.c).
func CPlugins(tb testing.TB) Plugins {
	return Plugins{fixtures.CPlugin(tb, "transform"), fixtures.CPlugin(tb, "noinfo"), fixtures.CPlugin(tb, "failing"), ""}
}

// WasmPlugins builds the WebAssembly fixture plugins
// (fixtures/plugin/wasm).
func WasmPlugins(tb testing.TB) Plugins {
	return Plugins{fixtures.WasmPlugin(tb, "transform"), fixtures.WasmPlugin(tb, "noinfo"), fixtures.WasmPlugin(tb, "misbehave"), fixtures.WasmPlugin(tb, "mismatch")}
}

// GoPlugins builds the Go fixture plugins (fixtures/plugin/go).
func GoPlugins(tb testing.TB) Plugins {
	return Plugins{fixtures.GoPlugin(tb, "transform"), fixtures.GoPlugin(tb, "noinfo"), fixtures.GoPlugin(tb, "misbehave"), fixtures.GoPlugin(tb, "mismatch")}
}

// RPCPlugins builds the go-plugin fixture programs (fixtures/plugin/rpc).
func RPCPlugins(tb testing.TB) Plugins {
	return Plugins{fixtures.RPCPlugin(tb, "transform"), fixtures.RPCPlugin(tb, "noinfo"), fixtures.RPCPlugin(tb, "misbehave"), ""}
}

// Inputs are the inputs the transform is checked on: none, a line, 5 MiB.
var Inputs = [][]byte{nil, []byte("Hello, World"), bytes.Repeat([]byte("elfx!"), 1<<20)}

// Run checks l on ps: info, execution on every input, a second
// execution (plugins keep no state between calls), close, a second close
// refused, a missing file, a file that is not a plugin, one whose entry
// points have the wrong types, and an error code.
func Run(t *testing.T, l dl.Loader, ps Plugins) {
	t.Run("transform", func(t *testing.T) {
		p, err := l.Load(ps.Transform)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Info(); got != (dl.PluginInfo{Name: "transform", Version: "1.0.0"}) {
			t.Errorf("Info = %+v, want transform 1.0.0", got)
		}
		for _, in := range append(Inputs, Inputs[1]) {
			got, err := p.Execute(context.Background(), in)
			if err != nil {
				t.Fatalf("Execute(%d bytes): %v", len(in), err)
			}
			if want := fixtures.Transform(in); !bytes.Equal(got, want) {
				t.Errorf("Execute(%d bytes) = %d bytes, want %d (first 40: %q vs %q)", len(in), len(got), len(want), head(got), head(want))
			}
		}
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := p.Close(); err == nil {
			t.Error("a second Close succeeded")
		}
	})
	t.Run("missing", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "missing")
		if _, err := l.Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("Load of a missing file: %v, want an error naming it", err)
		}
	})
	t.Run("not-a-plugin", func(t *testing.T) {
		_, err := l.Load(ps.NotAPlugin)
		if err == nil || !strings.Contains(err.Error(), "does not follow the plugin contract") {
			t.Errorf("Load of %s: %v, want a contract error", ps.NotAPlugin, err)
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		if ps.Mismatched == "" {
			t.Skipf("the %s loader cannot see the entry points' types", l.Name())
		}
		_, err := l.Load(ps.Mismatched)
		if err == nil || !strings.Contains(err.Error(), "does not follow the plugin contract") {
			t.Errorf("Load of %s: %v, want a contract error", ps.Mismatched, err)
		}
	})
	t.Run("error-code", func(t *testing.T) {
		p, err := l.Load(ps.Failing)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		var ee *dl.ExecuteError
		if _, err := p.Execute(context.Background(), []byte("x")); !errors.As(err, &ee) || ee.Code != 7 {
			t.Errorf("Execute of a plugin returning 7: %v, want an ExecuteError with code 7", err)
		}
	})
}

func head(b []byte) []byte { return b[:min(40, len(b))] }

// Benchmark measures one Execute of path's plugin on 64 bytes (the cost of
// a call through the loader) and on 1 MiB (the workload's own cost
// dominates), loading the plugin once.
func Benchmark(b *testing.B, l dl.Loader, path string) {
	p, err := l.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for _, size := range []int{64, 1 << 20} {
		in := bytes.Repeat([]byte("e"), size)
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			ctx := context.Background()
			for b.Loop() {
				if _, err := p.Execute(ctx, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkCall measures the runner's own cost on a trivial call:
// p.Execute on an empty input ("execute") against raw, the same
// plugin_execute called straight through the runner's mechanism on a ctx
// p has prepared ("raw"). p is the Failing fixture, which returns at once
// with no output; the difference is what the runner adds: the ctx, the
// checks, the output protocol.
func BenchmarkCall(b *testing.B, p dl.Plugin, raw func()) {
	ctx := context.Background()
	if _, err := p.Execute(ctx, nil); err != nil { // prepares the ctx raw reuses
		b.Fatal(err)
	}
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			raw()
		}
	})
	b.Run("execute", func(b *testing.B) {
		for b.Loop() {
			if _, err := p.Execute(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Reload checks that dl.Watch reloads first's plugin as second when the
// file changes: the watched file starts as a copy of first, is replaced
// by second, and the second generation must say second's name.
func Reload(t *testing.T, l dl.Loader, first, second string) []dl.Reload {
	watched := filepath.Join(t.TempDir(), filepath.Base(first))
	copyFile(t, watched, first)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var gens []dl.Reload
	err := dl.Watch(ctx, l, watched, []byte("x"), 10*time.Millisecond, func(r dl.Reload) bool {
		gens = append(gens, r)
		if len(gens) == 1 {
			// A rebuild: a new file renamed over the old, with a later
			// modification time.
			next := watched + ".new"
			copyFile(t, next, second)
			later := time.Now().Add(time.Second)
			if err := os.Chtimes(next, later, later); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(next, watched); err != nil {
				t.Fatal(err)
			}
		}
		return len(gens) < 2
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gens {
		t.Log(g)
	}
	if len(gens) != 2 || gens[0].Info.Name == "" || gens[1].Info.Name == gens[0].Info.Name {
		t.Fatalf("generations %v, want %s then another plugin", gens, gens[0].Info.Name)
	}
	return gens
}

func copyFile(t *testing.T, dst, src string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
