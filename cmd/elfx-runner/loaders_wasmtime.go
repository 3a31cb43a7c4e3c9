//go:build cgo && (linux || darwin) && (amd64 || arm64)

package main

import "github.com/elfx/elfx/dl/wasm"

// Wasmtime comes with cgo, on the machines wasmtime-go ships a library for.
func init() {
	loaders = append(loaders, wasm.Wasmtime{})
}
