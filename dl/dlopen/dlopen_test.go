package dlopen_test

import (
	"runtime"
	"testing"

	"github.com/elfx/elfx/dl/dlopen"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

// cPlugins builds the C fixture plugins, where purego can dlopen them.
func cPlugins(t testing.TB) dltest.Plugins {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("purego's dlopen runs on linux/amd64 and linux/arm64")
	}
	return dltest.Plugins{
		Transform:  fixtures.CPlugin(t, "transform"),
		NotAPlugin: fixtures.CPlugin(t, "noinfo"),
		Failing:    fixtures.CPlugin(t, "failing"),
	}
}

func TestPurego(t *testing.T) {
	dltest.Run(t, dlopen.Purego{}, cPlugins(t))
}

func BenchmarkPurego(b *testing.B) {
	dltest.Benchmark(b, dlopen.Purego{}, cPlugins(b).Transform)
}

func TestPuregoReload(t *testing.T) {
	ps := cPlugins(t)
	dltest.Reload(t, dlopen.Purego{}, ps.Transform, ps.Failing)
}
