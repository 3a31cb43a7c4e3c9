package dlopen

import (
	"testing"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkPuregoCall(b *testing.B) {
	l, err := Purego{}.Load(fixtures.CPlugin(b, "failing"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	p := l.(*plugin)
	dltest.BenchmarkCall(b, p, func() {
		purego.SyscallN(p.execute, uintptr(unsafe.Pointer(unsafe.SliceData(p.buf))))
	})
}
