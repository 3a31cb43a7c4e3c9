// Package dl is the one place where elfx runs code: the real loaders
// (Go plugin, purego and cgo dlopen, wasmtime, wazero, go-plugin RPC) behind
// one Loader interface, live GOT observation and LD_DEBUG capture, each in a
// child process.
package dl
