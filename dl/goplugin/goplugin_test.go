//go:build cgo && (linux || darwin || freebsd)

package goplugin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/dl/goplugin"
	"github.com/elfx/elfx/fixtures"
)

func TestGoPlugin(t *testing.T) {
	dltest.Run(t, goplugin.GoPlugin{}, dltest.GoPlugins(t))
}

// TestGoPluginPanic: a panic comes back as an error with the plugin's
// frame in its stack, and the plugin stays usable.
func TestGoPluginPanic(t *testing.T) {
	p, err := goplugin.GoPlugin{}.Load(fixtures.GoPlugin(t, "misbehave"))
	if err != nil {
		t.Fatal(err)
	}
	var pe *dl.PanicError
	_, err = p.Execute(context.Background(), []byte("panic"))
	if !errors.As(err, &pe) || pe.Value != "misbehave: asked to panic" || !strings.Contains(string(pe.Stack), "PluginExecute") {
		t.Fatalf("Execute of a panicking plugin: %v, want a PanicError with PluginExecute in its stack", err)
	}
	var ee *dl.ExecuteError
	if _, err := p.Execute(context.Background(), []byte("x")); !errors.As(err, &ee) || ee.Code != 7 {
		t.Errorf("after the panic, Execute = %v, want error code 7", err)
	}
}

func BenchmarkGoPlugin(b *testing.B) {
	dltest.Benchmark(b, goplugin.GoPlugin{}, fixtures.GoPlugin(b, "transform"))
}

// TestGoPluginReload: a Go plugin reloads when rebuilt under a plugin
// path of its own; the first generation stays loaded.
func TestGoPluginReload(t *testing.T) {
	dltest.Reload(t, goplugin.GoPlugin{}, fixtures.GoPlugin(t, "transform"), fixtures.GoPlugin(t, "misbehave"))
}
