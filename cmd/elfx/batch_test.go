package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfx/elfx/elfx"
)

// TestGuardFaults: a mapped file cut short while it is read faults on the
// pages past its new end; guardFaults makes that the file's error instead
// of the end of the process.
func TestGuardFaults(t *testing.T) {
	self, err := os.ReadFile(os.Args[0]) // an ELF file far over the size elfx reads instead of mapping
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shrinking")
	if err := os.WriteFile(path, self, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = guardFaults(path, func() (int, error) {
		f, err := elfx.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := os.Truncate(path, 0); err != nil {
			return 0, err
		}
		syms, err := f.DynamicSymbols()
		return len(syms), err
	})
	if err == nil || !strings.Contains(err.Error(), path+": a file changed while it was read") {
		t.Fatalf("reading a file cut short: %v", err)
	}
}
