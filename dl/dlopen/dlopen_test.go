package dlopen_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/dlopen"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

// cPlugins builds the C fixture plugins, where purego can dlopen them.
func cPlugins(t testing.TB) dltest.Plugins {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("purego's dlopen runs on linux/amd64 and linux/arm64")
	}
	return dltest.CPlugins(t)
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

// TestPuregoLeak: a C plugin's leak grows the process's resident memory,
// which the Go heap does not show.
func TestPuregoLeak(t *testing.T) {
	p, err := dlopen.Purego{}.Load(fixtures.CPlugin(t, "leak"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const calls = 64 // 1 MiB lost each
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	rss0, heap0 := dl.ResidentBytes(), heap()
	for range calls {
		if _, err := p.Execute(context.Background(), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	rss, heapGrowth := dl.ResidentBytes()-rss0, int64(heap())-int64(heap0)
	t.Logf("%d calls: resident memory %+d KiB, Go heap %+d KiB", calls, rss>>10, heapGrowth>>10)
	if rss < calls<<20*3/4 || heapGrowth > 4<<20 {
		t.Errorf("resident memory grew %d KiB and the Go heap %d KiB, want about %d MiB and nothing", rss>>10, heapGrowth>>10, calls)
	}
}
