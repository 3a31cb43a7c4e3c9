package compat

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/elfx/elfx/internal/testelf"
)

// FuzzReadGoModule: any file gives a module or an error naming it, never
// a crash; the seeds are this test binary, a Go program, truncated.
func FuzzReadGoModule(f *testing.F) {
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		f.Fatal(err)
	}
	for _, n := range []int{64, 4096, 1 << 16} {
		f.Add(self[:min(n, len(self))])
	}
	path := filepath.Join(f.TempDir(), "module")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		testelf.Bounded(t, len(b), func() {
			for _, plugin := range []bool{false, true} {
				if m, err := readGoModule(path, plugin); err == nil && m.path != path {
					t.Fatalf("module of %q", m.path)
				}
			}
		})
	})
}
