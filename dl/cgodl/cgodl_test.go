//go:build cgo

package cgodl_test

import (
	"testing"

	"github.com/elfx/elfx/dl/cgodl"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func TestCgo(t *testing.T) {
	dltest.Run(t, cgodl.Cgo{}, dltest.CPlugins(t))
}

func BenchmarkCgo(b *testing.B) {
	dltest.Benchmark(b, cgodl.Cgo{}, fixtures.CPlugin(b, "transform"))
}
