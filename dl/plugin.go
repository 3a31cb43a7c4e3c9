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
// bytes out.
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
