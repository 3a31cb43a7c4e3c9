package dl

import (
	"context"
	"io/fs"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elfx/elfx/inspect"
	"github.com/elfx/elfx/internal/testelf"
)

// TestBindMatchesLoader is the differential test of inspect.Bind: every
// dynamic program of /usr/bin and /usr/sbin, relocated by the real loader
// in trace mode, against the prediction; every reference (object, symbol,
// version) must find the same definitions. Exclusions are named with
// their reason: set-user-ID and set-group-ID programs (the loader ignores
// LD_* variables for them), and programs the loader will not trace (the
// error is reported).
func TestBindMatchesLoader(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("compares with the x86-64 glibc loader")
	}
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err != nil {
		t.Skip(err)
	}
	paths := testelf.Dynamic(t, "/usr/bin", "/usr/sbin")
	type outcome struct {
		path     string
		v        *Verification
		excluded string
	}
	results := make([]outcome, len(paths))
	var wg sync.WaitGroup
	work := make(chan int)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range work {
				results[i] = outcome{path: paths[i]}
				st, err := os.Stat(paths[i])
				if err == nil && st.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
					results[i].excluded = "set-user-ID or set-group-ID: the loader ignores LD_* variables"
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				v, _, err := Verify(ctx, paths[i], inspect.Config{})
				cancel()
				if err != nil {
					results[i].excluded = err.Error()
					continue
				}
				results[i].v = v
			}
		})
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()

	agree, lookups, unchecked := 0, 0, 0
	excluded := map[string][]string{}
	for _, r := range results {
		if r.v == nil {
			excluded[r.excluded] = append(excluded[r.excluded], r.path)
			continue
		}
		lookups += r.v.Agree + len(r.v.Mismatches)
		unchecked += r.v.Unchecked
		if r.v.OK() {
			agree++
			continue
		}
		for i, m := range r.v.Mismatches {
			if i == 5 {
				t.Errorf("%s: %d more mismatches", r.path, len(r.v.Mismatches)-5)
				break
			}
			t.Errorf("%s: %s looks up %s %s: elfx %q, loader %q (%s)", r.path, m.From, m.Symbol, m.Version, m.Predicted, m.Loader, m.Reason())
		}
	}
	reasons := make([]string, 0, len(excluded))
	for reason := range excluded {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		files := excluded[reason]
		t.Logf("excluded %d: %s (%s)", len(files), reason, strings.Join(files, " "))
	}
	t.Logf("%d of %d programs agree with the loader on every lookup (%d references compared, %d interpreter lookups unchecked in trace mode)",
		agree, len(paths)-countExcluded(excluded), lookups, unchecked)
}

func countExcluded(m map[string][]string) int {
	n := 0
	for _, files := range m {
		n += len(files)
	}
	return n
}
