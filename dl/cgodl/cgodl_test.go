//go:build cgo

package cgodl_test

import (
	"testing"

	"github.com/elfx/elfx/dl/cgodl"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func cPlugins(t testing.TB) dltest.Plugins {
	return dltest.Plugins{
		Transform:  fixtures.CPlugin(t, "transform"),
		NotAPlugin: fixtures.CPlugin(t, "noinfo"),
		Failing:    fixtures.CPlugin(t, "failing"),
	}
}

func TestCgo(t *testing.T) {
	dltest.Run(t, cgodl.Cgo{}, cPlugins(t))
}

func BenchmarkCgo(b *testing.B) {
	dltest.Benchmark(b, cgodl.Cgo{}, cPlugins(b).Transform)
}
