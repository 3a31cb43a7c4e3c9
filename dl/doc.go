// Package dl is the one place where elfx runs code: the real loaders
// (Go plugin, purego and cgo dlopen, wasmtime, wazero, go-plugin RPC) behind
// one Loader interface, live GOT observation and LD_DEBUG capture. The
// runners are subpackages (dl/dlopen, dl/cgodl, dl/goplugin, dl/wasm,
// dl/rpc) linked only into elfx-runner, which elfx starts as a child
// process; [Watch] reloads a plugin as its file changes, [VerifyPlugin]
// checks a runner's load of one against elfx's prediction.
//
// LD_DEBUG capture is what proves elfx's binding predictions.
// [TraceBindings] runs a program or a shared library under glibc's loader
// in trace mode, which maps and relocates the whole link map without
// running its code, and [ParseDebug], which runs nothing, reads what the
// loader printed: each binding with the objects named as the loader names
// them, the undefined symbols, the scope walk of LD_DEBUG=symbols.
//
// glibc 2.36 as released prints no binding lines: they went with prelink
// support (commit 6628c742) and came back in 2.37 (891a7958), which the
// 2.36 branch and Debian 12's 2.36 carry. TraceBindings reports an error
// rather than an empty log on such a loader.
package dl
