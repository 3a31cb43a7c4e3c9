package wasm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/dl/wasm"
	"github.com/elfx/elfx/fixtures"
)

func TestWazero(t *testing.T) {
	dltest.Run(t, wasm.Wazero{}, dltest.WasmPlugins(t))
}

func TestWazeroMisbehaving(t *testing.T) {
	testMisbehaving(t, wasm.Wazero{})
}

// testMisbehaving: a trap is an error and leaves the plugin usable; a
// loop ends at the context's deadline.
func testMisbehaving(t *testing.T, l dl.Loader) {
	p, err := l.Load(fixtures.WasmPlugin(t, "misbehave"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Execute(context.Background(), []byte("trap")); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("Execute of a trapping plugin: %v, want the trap", err)
	}
	var ee *dl.ExecuteError
	if _, err := p.Execute(context.Background(), []byte("x")); !errors.As(err, &ee) {
		t.Errorf("after a trap, Execute = %v, want the plugin's error code", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Execute(ctx, []byte("loop"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Execute of a looping plugin: %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the loop ran %v past a deadline of 200ms", d)
	}
}

func TestWazeroMemoryLimit(t *testing.T) {
	testMemoryLimit(t, wasm.Wazero{Config: wasm.Config{MemoryPages: 16}})
}

// testMemoryLimit: a plugin cannot grow its memory past the cap of l,
// 16 pages.
func testMemoryLimit(t *testing.T, l dl.Loader) {
	p, err := l.Load(fixtures.WasmPlugin(t, "transform"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Execute(context.Background(), make([]byte, 100<<10)); err != nil {
		t.Errorf("100 KiB in 1 MiB of memory: %v", err)
	}
	if _, err := p.Execute(context.Background(), make([]byte, 2<<20)); err == nil || !strings.Contains(err.Error(), "memory is full") {
		t.Errorf("2 MiB in 1 MiB of memory: %v, want the memory full", err)
	}
}

func BenchmarkWazero(b *testing.B) {
	mod := fixtures.WasmPlugin(b, "transform")
	b.Run("interruptible", func(b *testing.B) { dltest.Benchmark(b, wasm.Wazero{}, mod) })
	b.Run("uninterruptible", func(b *testing.B) { dltest.Benchmark(b, wasm.Wazero{Uninterruptible: true}, mod) })
}

func TestWazeroReload(t *testing.T) {
	dltest.Reload(t, wasm.Wazero{}, fixtures.WasmPlugin(t, "transform"), fixtures.WasmPlugin(t, "misbehave"))
}

func TestWazeroGrants(t *testing.T) {
	testGrants(t, func(g wasm.Grants) dl.Loader { return wasm.Wazero{Config: wasm.Config{Grants: g}} })
}

// testGrants: a plugin sees no environment, arguments or directories
// unless they are granted.
func testGrants(t *testing.T, loader func(wasm.Grants) dl.Loader) {
	mod := fixtures.WasmPlugin(t, "wasi")
	for _, tc := range []struct {
		grants wasm.Grants
		want   string // environment variables, arguments, a preopened directory
	}{
		{wasm.Grants{}, "000\n"},
		{wasm.Grants{Args: []string{"plugin", "-v"}, Env: []string{"A=1", "B=2", "C="}, Dirs: []string{t.TempDir()}}, "321\n"},
	} {
		p, err := loader(tc.grants).Load(mod)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Execute(context.Background(), nil)
		p.Close()
		if err != nil || string(out) != tc.want {
			t.Errorf("granted %+v: the plugin saw %q, %v; want %q", tc.grants, out, err, tc.want)
		}
	}
}
