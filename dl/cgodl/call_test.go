//go:build cgo

package cgodl

import (
	"testing"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkCgoCall(b *testing.B) {
	l, err := Cgo{}.Load(fixtures.CPlugin(b, "failing"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	p := l.(*plugin)
	dltest.BenchmarkCall(b, p, func() { p.rawExecute() })
}
