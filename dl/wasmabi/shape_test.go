package wasmabi

import (
	"strings"
	"testing"
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
	} {
		err := CheckShape([]byte(tc.code))
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("CheckShape(%q) = %v, want an error with %q", tc.code, err, tc.err)
		}
	}
}

// FuzzCheckShape: any bytes give an answer, never a panic.
func FuzzCheckShape(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x02\x05\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, code []byte) {
		CheckShape(code)
	})
}
