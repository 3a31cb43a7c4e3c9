//go:build cgo && (linux || darwin) && (amd64 || arm64)

package wasm_test

import (
	"testing"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/dl/wasm"
	"github.com/elfx/elfx/fixtures"
)

func TestWasmtime(t *testing.T) {
	dltest.Run(t, wasm.Wasmtime{}, dltest.WasmPlugins(t))
}

func TestWasmtimeMisbehaving(t *testing.T) {
	testMisbehaving(t, wasm.Wasmtime{})
}

func TestWasmtimeMemoryLimit(t *testing.T) {
	testMemoryLimit(t, wasm.Wasmtime{Config: wasm.Config{MemoryPages: 16}})
}

func BenchmarkWasmtime(b *testing.B) {
	dltest.Benchmark(b, wasm.Wasmtime{}, fixtures.WasmPlugin(b, "transform"))
}

func TestWasmtimeGrants(t *testing.T) {
	testGrants(t, func(g wasm.Grants) dl.Loader { return wasm.Wasmtime{Config: wasm.Config{Grants: g}} })
}
