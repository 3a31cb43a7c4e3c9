//go:build cgo && (linux || darwin || freebsd)

package goplugin

import (
	"testing"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkGoPluginCall(b *testing.B) {
	l, err := GoPlugin{}.Load(fixtures.GoPlugin(b, "misbehave"))
	if err != nil {
		b.Fatal(err)
	}
	p := l.(*goPlugin)
	dltest.BenchmarkCall(b, p, func() { p.execute(nil) })
	// The floor: the same function compiled into the program.
	b.Run("plain-go", func(b *testing.B) {
		for b.Loop() {
			trivial(nil)
		}
	})
}

// trivial is the misbehave fixture's PluginExecute on an empty input.
//
//go:noinline
func trivial(in []byte) ([]byte, int) {
	if len(in) == 0 {
		return nil, 0
	}
	return nil, 7
}
