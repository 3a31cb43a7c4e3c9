//go:build cgo && (linux || darwin || freebsd)

// Package goplugin runs Go plugins (-buildmode=plugin) written to the Go
// mirror of the elfx plugin contract (fixtures/plugin/go/transform):
//
//	func PluginInfo() (name, version string)
//	func PluginExecute(in []byte) (out []byte, code int)
//
// It exists only where Go's plugin package does: with cgo, on Linux,
// macOS and FreeBSD.
package goplugin

import (
	"context"
	"errors"
	"fmt"
	"plugin"
	"runtime/debug"

	"github.com/elfx/elfx/dl"
)

// GoPlugin loads plugins with plugin.Open, which dlopens them with
// RTLD_NOW|RTLD_GLOBAL and checks that every package they share with the
// program was built from the same source. A call is a plain Go call
// through a function value. A Go plugin cannot be unloaded
// (golang.org/issue/20461): Close only forgets it.
type GoPlugin struct{}

func (GoPlugin) Name() string { return "goplugin" }

type goPlugin struct {
	path    string
	execute func([]byte) ([]byte, int)
	info    dl.PluginInfo
}

// Load opens path and looks up the contract's functions.
func (GoPlugin) Load(path string) (dl.Plugin, error) {
	p, err := plugin.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := lookup[func() (string, string)](p, path, "PluginInfo")
	if err != nil {
		return nil, err
	}
	execute, err := lookup[func([]byte) ([]byte, int)](p, path, "PluginExecute")
	if err != nil {
		return nil, err
	}
	g := &goPlugin{path: path, execute: execute}
	g.info.Name, g.info.Version = info()
	return g, nil
}

// lookup finds the function name in p and checks its type.
func lookup[F any](p *plugin.Plugin, path, name string) (F, error) {
	var f F
	sym, err := p.Lookup(name)
	if err != nil {
		return f, fmt.Errorf("%s does not follow the plugin contract: %w", path, err)
	}
	f, ok := sym.(F)
	if !ok {
		return f, fmt.Errorf("%s does not follow the plugin contract: %s is a %T, want a %T", path, name, sym, f)
	}
	return f, nil
}

func (g *goPlugin) Info() dl.PluginInfo { return g.info }

// Execute calls PluginExecute; a panic in the plugin is recovered here,
// at the boundary, and returned as a *dl.PanicError.
func (g *goPlugin) Execute(ctx context.Context, input []byte) (out []byte, err error) {
	if g.execute == nil {
		return nil, errors.New("plugin already closed")
	}
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, &dl.PanicError{Plugin: g.path, Value: v, Stack: debug.Stack()}
		}
	}()
	out, code := g.execute(input)
	if code != 0 {
		return nil, &dl.ExecuteError{Plugin: g.path, Code: code}
	}
	return out, nil
}

// Close forgets the plugin; its code and data stay mapped, as every Go
// plugin's do.
func (g *goPlugin) Close() error {
	if g.execute == nil {
		return errors.New("plugin already closed")
	}
	g.execute = nil
	return nil
}
