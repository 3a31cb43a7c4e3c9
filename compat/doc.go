// Package compat holds the deploy gates and diffs built on elfx and
// inspect: glibc and sysroot floors, ABI diffs of two library versions, Go
// plugin load prediction and WASM import contracts. Its reports are plain
// data; rendering lives with the commands.
package compat
