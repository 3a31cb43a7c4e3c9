package wasmabi

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

func TestCheckShape(t *testing.T) {
	header := "\x00asm\x01\x00\x00\x00"
	for _, tc := range []struct {
		code, err string
	}{
		{header, ""},
		{header + "\x05\x03\x01\x00\x01", ""}, // one memory of one page
		{"\x7fELF", "magic"},                  // not a module
		{header + "\x02\x05\xff\xff\xff\xff\x0f", "entries"}, // 4 billion imports in 5 bytes
		{header + "\x07\x7f\x00", "bytes declared"},          // a section past the end
		{header + "\x01\x80", "LEB128"},                      // a size cut short
		// Lengths and counts within entries, each 4 GiB in a few bytes.
		{header + "\x00\x06\xff\xff\xff\xff\x0f\x00", "custom section name"},
		{header + "\x01\x07\x01\x60\xff\xff\xff\xff\x0f", "parameters"},
		{header + "\x02\x07\x01\xff\xff\xff\xff\x0f\x00", "import module"},
		{header + "\x07\x07\x01\xff\xff\xff\xff\x0f\x00", "export name"},
		{header + "\x09\x0b\x01\x00\x41\x00\x0b\xff\xff\xff\xff\x0f\x00", "function indices"},
		{header + "\x0a\x07\x01\xff\xff\xff\xff\x0f\x00", "function body"},
		{header + "\x0a\x08\x01\x06\x01\xff\xff\x03\x7f\x0b", "locals"},
		{header + "\x0b\x0a\x01\x00\x41\x00\x0b\xff\xff\xff\x0f\x00", "data segment"},
		{header + "\x00\x0c\x04name\x01\x05\xff\xff\xff\xff\x0f", "names"},
	} {
		err := CheckShape([]byte(tc.code))
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckShape(%q) = %v, want an error with %q", tc.code, err, tc.err)
		}
	}
}

// TestCheckShapeValid: modules that use every construct CheckShape walks
// (imports of each kind, exports, element segments of several encodings,
// code with locals, data segments, the name section with function and
// local names) pass, as does every WebAssembly plugin fixture.
func TestCheckShapeValid(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("no wat2wasm (wabt)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "all.wat")
	if err := os.WriteFile(src, []byte(`(module
  (type $t (func (param i32 i64 f32 f64) (result i32)))
  (import "env" "f" (func $f (type $t)))
  (import "env" "tab" (table 1 10 funcref))
  (import "env" "mem" (memory 1 2))
  (import "env" "g" (global $g i32))
  (global $h (mut i64) (i64.const -5))
  (table $tab2 4 funcref)
  (elem (i32.const 0) $f $own)
  (elem $tab2 (offset (i32.const 1)) funcref (ref.func $own) (ref.null func))
  (elem declare func $own)
  (func $own (export "own") (param $p i32) (result i32)
    (local $a i32) (local $b i64) (local $c f32) (local $d f64)
    (local.get $p))
  (data (i32.const 16) "hello")
  (data $passive "passive bytes")
  (export "mem" (memory 0)))`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "all.wasm")
	if b, err := exec.Command(wat2wasm, "--debug-names", "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, b)
	}
	modules := []string{out}
	for _, name := range []string{"transform", "wasi", "missing", "mistyped", "mismatch", "misbehave", "noinfo", "churn"} {
		modules = append(modules, fixtures.WasmPlugin(t, name))
	}
	for _, m := range modules {
		code, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckShape(code); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
}

// FuzzCheckShape: any bytes give an answer, never a panic.
func FuzzCheckShape(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\x05\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, code []byte) {
		testelf.Bounded(t, len(code), func() { CheckShape(code) })
	})
}
