package dlopen_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/dlopen"
)

// buildPlugin compiles fixtures/plugin/NAME.c into a shared library.
func buildPlugin(t *testing.T, name string) string {
	t.Helper()
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("purego's dlopen runs on linux/amd64 and linux/arm64")
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	lib := filepath.Join(t.TempDir(), "lib"+name+".so")
	src := filepath.Join("..", "..", "fixtures", "plugin", name+".c")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-o", lib, src).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, out)
	}
	return lib
}

// transform is what fixtures/plugin/transform.c computes.
func transform(in []byte) []byte {
	out := make([]byte, len(in))
	for i, c := range in {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			c ^= 0x20
		}
		out[i] = c
	}
	h := fnv.New64a()
	h.Write(in)
	return fmt.Appendf(out, "%016x\n", h.Sum64())
}

func TestPurego(t *testing.T) {
	lib := buildPlugin(t, "transform")
	var loader dl.Loader = dlopen.Purego{}
	p, err := loader.Load(lib)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Info(); got != (dl.PluginInfo{Name: "transform", Version: "1.0.0"}) {
		t.Errorf("Info = %+v", got)
	}
	for _, in := range [][]byte{nil, []byte("Hello, World"), bytes.Repeat([]byte("elfx!"), 1<<20)} {
		got, err := p.Execute(context.Background(), in)
		if err != nil {
			t.Fatalf("Execute(%d bytes): %v", len(in), err)
		}
		if want := transform(in); !bytes.Equal(got, want) {
			t.Errorf("Execute(%d bytes) = %d bytes, want %d (first 40: %q vs %q)", len(in), len(got), len(want), head(got), head(want))
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := p.Close(); err == nil {
		t.Error("a second Close succeeded")
	}
}

func head(b []byte) []byte { return b[:min(40, len(b))] }

func TestPuregoContract(t *testing.T) {
	if _, err := (dlopen.Purego{}).Load(buildPlugin(t, "noinfo")); err == nil || !strings.Contains(err.Error(), "plugin_get_info") {
		t.Errorf("loading a library without plugin_get_info: %v, want an error naming it", err)
	}
	if _, err := (dlopen.Purego{}).Load(filepath.Join(t.TempDir(), "missing.so")); err == nil {
		t.Error("loading a missing file succeeded")
	}
	p, err := (dlopen.Purego{}).Load(buildPlugin(t, "failing"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var ee *dl.ExecuteError
	if _, err := p.Execute(context.Background(), []byte("x")); !errors.As(err, &ee) || ee.Code != 7 {
		t.Errorf("Execute of a plugin returning 7: %v, want an ExecuteError with code 7", err)
	}
}
