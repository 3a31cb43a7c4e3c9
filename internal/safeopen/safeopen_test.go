package safeopen

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpen: a regular file opens; a FIFO without a writer, a directory
// and a device are refused at once, each named with its kind.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(regular); err != nil || string(b) != "data" {
		t.Errorf("ReadFile(%s) = %q, %v", regular, b, err)
	}
	for path, kind := range map[string]string{fifo: "a FIFO", dir: "a directory", "/dev/null": "a character device"} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), path+": not a regular file: "+kind) {
				t.Errorf("ReadFile(%s) error = %v, want it to say %s is %s", path, err, path, kind)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%s) blocks", path)
		}
	}
}
