//go:build cgo && (linux || darwin) && (amd64 || arm64)

package wasm

import (
	"testing"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkWasmtimeCall(b *testing.B) {
	l, err := Wasmtime{}.Load(fixtures.WasmPlugin(b, "misbehave"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	p := l.(*wasmtimePlugin)
	execute := p.exports[exportExecute]
	dltest.BenchmarkCall(b, p, func() { execute.Call(p.store, int32(p.buf.at)) })
}
