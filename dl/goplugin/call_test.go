//go:build cgo && (linux || darwin || freebsd)

package goplugin

import (
	"testing"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkGoPluginCall(b *testing.B) {
	l, err := GoPlugin{}.Load(fixtures.GoPlugin(b, "transform"))
	if err != nil {
		b.Fatal(err)
	}
	p := l.(*goPlugin)
	dltest.BenchmarkCall(b, p, func() { p.execute(nil) })
	// The floor: the same workload compiled into the program.
	b.Run("plain-go", func(b *testing.B) {
		for b.Loop() {
			fixtures.Transform(nil)
		}
	})
}
