// Package testelf finds the ELF files of this machine that the
// differential tests hand to elfx and to the real tools.
package testelf

import (
	"debug/elf"
	"io/fs"
	"path/filepath"
	"testing"
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
