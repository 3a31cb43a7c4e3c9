//go:build !(cgo && (linux || darwin) && (amd64 || arm64))

package compat_test

import (
	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/wasm"
)

// wasmLoaders are the WebAssembly runners of this build.
func wasmLoaders() []dl.Loader { return []dl.Loader{wasm.Wazero{}} }
