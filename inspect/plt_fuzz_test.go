package inspect

import (
	"bytes"
	"os"
	"testing"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// fuzzMaxSeed is the largest fixture taken as a seed: big inputs slow the
// fuzzer down.
const fuzzMaxSeed = 64 << 10

// FuzzReadPLT decodes the PLT stubs and GOT slots of any bytes, and the
// chain of a call through the first and the last slot (call sites
// decoded from the executable sections): a map or an error, never a
// crash, within the allocation bound. The seeds are the fixtures of every
// machine: x86-64 lazy, bind-now, -fno-plt, IBT, non-PIE, i386, aarch64.
func FuzzReadPLT(f *testing.F) {
	for _, fx := range fixtures.Build(f).Fixtures {
		b, err := os.ReadFile(fx.Path)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= fuzzMaxSeed {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		testelf.Bounded(t, len(data), func() {
			file, err := elfx.NewFile(bytes.NewReader(data))
			if err != nil {
				return
			}
			p, err := ReadPLT(file)
			if err != nil {
				return
			}
			if n := uint64(len(p.Entries)) * wordSize(file); n > file.Size() {
				t.Fatalf("%d PLT entries in a %d-byte file", len(p.Entries), file.Size())
			}
			var named []string
			for _, e := range p.Entries {
				if e.Symbol != "" {
					named = append(named, e.Symbol)
				}
			}
			if len(named) == 0 {
				return
			}
			for _, sym := range []string{named[0], named[len(named)-1]} {
				c, err := Lazy(file, p, sym, "")
				if err == nil && (c.Entry.Symbol != sym || len(c.FirstCall) == 0 || len(c.LaterCalls) == 0) {
					t.Fatalf("the chain of %s: %+v", sym, c)
				}
			}
		})
	})
}
