package dl

import (
	"context"
	"fmt"
)

// PluginInfo is what a plugin says of itself (plugin_get_info).
type PluginInfo struct {
	Name, Version string
}

// A Plugin is a plugin loaded by one mechanism, ready to run the elfx
// plugin contract (fixtures/plugin/elfx_plugin.h): input bytes in, output
// bytes out. A Plugin is not safe for concurrent use: the runners keep one
// buffer, or one WebAssembly instance, per plugin.
type Plugin interface {
	Info() PluginInfo
	Execute(ctx context.Context, input []byte) ([]byte, error)
	Close() error
}

// A Loader loads plugins by one mechanism: a Go plugin, dlopen through
// purego or cgo, a WebAssembly runtime, a child process over RPC.
type Loader interface {
	Name() string
	Load(path string) (Plugin, error)
}

// ExecuteError is a plugin's plugin_execute returning an error code.
type ExecuteError struct {
	Plugin string
	Code   int
}

func (e *ExecuteError) Error() string {
	return fmt.Sprintf("%s: plugin_execute returned error code %d", e.Plugin, e.Code)
}

// ErrSpace is ELFX_E_SPACE, the code plugin_execute returns when its
// output buffer is too small.
const ErrSpace = 2

// maxOutput bounds the output buffer ExecuteGrowing offers.
const maxOutput = 1 << 30

// ExecuteGrowing runs the contract's output-buffer protocol for the
// plugin at path: attempt calls plugin_execute once with room for
// capacity bytes of output, first the input's size plus 64 KiB, doubled
// while the plugin answers ErrSpace, up to 1 GiB.
func ExecuteGrowing(path string, inputLen int, attempt func(capacity int) (out []byte, code int, err error)) ([]byte, error) {
	for capacity := inputLen + 64<<10; ; capacity *= 2 {
		out, code, err := attempt(capacity)
		switch {
		case err != nil:
			return nil, err
		case code == 0:
			return out, nil
		case code == ErrSpace && capacity < maxOutput:
			continue
		}
		return nil, &ExecuteError{Plugin: path, Code: code}
	}
}

// PanicError is a Go plugin's panic, recovered at the runner's boundary.
type PanicError struct {
	Plugin string
	Value  any
	Stack  []byte // the panicking goroutine's stack, from runtime/debug
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("%s: plugin panicked: %v\n%s", e.Plugin, e.Value, e.Stack)
}
