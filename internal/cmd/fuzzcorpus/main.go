// Command fuzzcorpus copies the inputs that fuzzing found interesting,
// which the go command keeps in its cache, into each package's
// testdata/fuzz, where go test runs them as seeds and the repository
// keeps them: the smallest of each target first, up to -max bytes a
// target (small inputs are the focused ones, and big ones slow every test
// run).
//
//	go run ./internal/cmd/fuzzcorpus [-max 1000000]
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	limit := flag.Int64("max", 1_000_000, "the most bytes of inputs kept for a target")
	flag.Parse()
	if err := run(*limit); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzcorpus:", err)
		os.Exit(1)
	}
}

func run(limit int64) error {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	if err != nil {
		return fmt.Errorf("go list -m: %w", err)
	}
	module, root, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	out, err = exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		return fmt.Errorf("go env GOCACHE: %w", err)
	}
	cache := filepath.Join(strings.TrimSpace(string(out)), "fuzz", module)
	targets, err := filepath.Glob(filepath.Join(cache, "*", "Fuzz*"))
	if err != nil {
		return err
	}
	nested, err := filepath.Glob(filepath.Join(cache, "*", "*", "Fuzz*"))
	if err != nil {
		return err
	}
	for _, dir := range append(targets, nested...) {
		rel, err := filepath.Rel(cache, dir)
		if err != nil {
			return err
		}
		pkg, target := filepath.Split(rel)
		kept, size, err := keep(dir, filepath.Join(root, pkg, "testdata", "fuzz", target), limit)
		if err != nil {
			return err
		}
		fmt.Printf("%s%s: %d inputs, %d bytes\n", pkg, target, kept, size)
	}
	return nil
}

// keep copies the smallest files of from into to, up to limit bytes in
// all, and returns how many it copied and their bytes.
func keep(from, to string, limit int64) (n int, total int64, err error) {
	entries, err := os.ReadDir(from)
	if err != nil {
		return 0, 0, err
	}
	var files []fs.FileInfo
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, info)
		}
	}
	slices.SortFunc(files, func(a, b fs.FileInfo) int {
		return cmp.Or(cmp.Compare(a.Size(), b.Size()), strings.Compare(a.Name(), b.Name()))
	})
	if err := os.MkdirAll(to, 0o755); err != nil {
		return 0, 0, err
	}
	for _, f := range files {
		if total+f.Size() > limit {
			break
		}
		b, err := os.ReadFile(filepath.Join(from, f.Name()))
		if err != nil {
			return n, total, err
		}
		if err := os.WriteFile(filepath.Join(to, f.Name()), b, 0o644); err != nil {
			return n, total, err
		}
		n++
		total += f.Size()
	}
	return n, total, nil
}
