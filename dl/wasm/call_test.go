package wasm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero/api"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkWazeroCall(b *testing.B) {
	mod := fixtures.WasmPlugin(b, "misbehave")
	for _, w := range []Wazero{{}, {Uninterruptible: true}} {
		name := "interruptible"
		if w.Uninterruptible {
			name = "uninterruptible"
		}
		b.Run(name, func(b *testing.B) {
			l, err := w.Load(mod)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			p := l.(*wazeroPlugin)
			execute, stack, ctx := p.exports[exportExecute], make([]uint64, 1), context.Background()
			dltest.BenchmarkCall(b, p, func() {
				stack[0] = api.EncodeU32(p.buf.at)
				execute.CallWithStack(ctx, stack)
			})
		})
	}
}
