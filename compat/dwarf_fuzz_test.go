package compat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfx/elfx/internal/testelf"
)

// FuzzDiffDWARF diffs a library of the ABI truth table, compiled with -g,
// against any bytes as its next release: the ELF readers and the walk of
// the debug information (types, layouts, parameters) give a report or an
// error naming the file, never a crash, within the allocation bound. The
// seeds are the cases' second releases.
func FuzzDiffDWARF(f *testing.F) {
	cc := hostCC(f)
	dir := f.TempDir()
	corpus, err := filepath.Abs(truthCorpus) // the compiler runs in dir
	if err != nil {
		f.Fatal(err)
	}
	// Without separate code pages the libraries stay small.
	small := []string{"-O1", "-Wl,-z,noseparate-code,-z,max-page-size=4096"}
	build := func(name, v string) string {
		return buildTruthLib(f, cc, filepath.Join(corpus, name), dir, v, name+"-"+v+".so", nil, small)
	}
	old := build("struct-append-calleralloc", "v1")
	oldInfo, err := os.Stat(old)
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"struct-append-calleralloc", "return-struct-grown", "param-int-to-long", "enum-renumbered", "data-grown"} {
		data, err := os.ReadFile(build(name, "v2"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Each fuzzing worker is a process of its own, running one input at a
	// time: one file a worker.
	path := filepath.Join(f.TempDir(), "libnew.so")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		testelf.Bounded(t, len(data)+int(oldInfo.Size()), func() {
			r, err := Diff(old, path, DiffOptions{})
			switch {
			case err != nil && !strings.Contains(err.Error(), path):
				t.Fatalf("error without the file's name: %v", err)
			case err == nil && (r.Old != old || r.New != path):
				t.Fatalf("report of %s and %s", r.Old, r.New)
			}
		})
	})
}
