// Package testelf helps the tests: it finds the ELF files of this machine
// that the differential tests hand to elfx and to the real tools, times
// the other tool's side of a benchmark, and bounds what a fuzz target's
// input may allocate.
package testelf

import (
	"debug/elf"
	"errors"
	"io/fs"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Dynamic lists the regular ELF files with a PT_DYNAMIC under dirs, in
// lexical order, without following symbolic links (a program reached by
// two names is compared once). It skips tb when there are none.
func Dynamic(tb testing.TB, dirs ...string) []string {
	tb.Helper()
	var paths []string
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			f, err := elf.Open(path)
			if err != nil {
				return nil
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_DYNAMIC {
					paths = append(paths, path)
					break
				}
			}
			return nil
		})
	}
	if len(paths) == 0 {
		tb.Skipf("no dynamic ELF files under %v", dirs)
	}
	return paths
}

// MedianRun times run n times and returns the median: the other tool's
// side of a benchmark that compares elfx with it in the same run.
func MedianRun(tb testing.TB, n int, run func() error) time.Duration {
	tb.Helper()
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		if err := run(); err != nil {
			tb.Fatal(err)
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[n/2]
}

// RunEach runs the tool once per path, with args before the path, and
// fails only when it cannot be run: tools exit non-zero on files they
// have nothing to say about.
func RunEach(tool string, args []string, paths []string) error {
	for _, p := range paths {
		err := exec.Command(tool, append(slices.Clip(args), p)...).Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
	}
	return nil
}
