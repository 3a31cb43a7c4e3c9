package dl

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"go/token"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/elfx/elfx/compat"
	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// A PluginLoad is what a runner of elfx-runner asks of the loader when it
// loads a plugin: a dlopen with RTLD_NOW and a mode, then dlsym of some
// names.
type PluginLoad struct {
	Mode inspect.DlopenMode
	// Dlsyms are the names the runner looks up in the plugin at path.
	Dlsyms func(path string) ([]string, error)
}

// PluginLoads are the runners that dlopen, by name. Go's plugin.Open
// adds the plugin to the global scope (RTLD_GLOBAL) and looks up every
// exported name of its main package; the C runners keep the plugin local
// and look up the contract's two functions.
var PluginLoads = map[string]PluginLoad{
	"purego":   {inspect.RTLDLocal, cContract},
	"cgo":      {inspect.RTLDLocal, cContract},
	"goplugin": {inspect.RTLDGlobal, goPluginExports},
}

func cContract(string) ([]string, error) {
	return []string{"plugin_get_info", "plugin_execute"}, nil
}

// goPluginExports are the names plugin.Open looks up in a Go plugin: its
// plugin path, a dot and each exported function or variable of its main
// package, which are in .dynsym like every Go symbol of a plugin.
func goPluginExports(path string) ([]string, error) {
	prefix, err := compat.GoPluginPath(path)
	if err != nil {
		return nil, err
	}
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	for s, err := range f.AllSymbols() {
		if err != nil {
			return nil, err
		}
		name, ok := strings.CutPrefix(s.Name, prefix+".")
		if ok && s.Section != elf.SHN_UNDEF && token.IsExported(name) && token.IsIdentifier(name) {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// VerifyPlugin checks elfx's prediction of what loading plugin with the
// runner named loader does: runner (elfx-runner) loads it in a child
// process under LD_DEBUG=bindings, and the lookups of the dlopen and of
// the runner's dlsyms are compared with inspect.BindDlopen and
// Dlopened.Dlsym over the runner's own link map, in the runner's dlopen
// mode. cfg's environment is passed to both. The
// plugin is named by its absolute path with symbolic links resolved, as
// plugin.Open names it (the others dlopen it so too, then).
func VerifyPlugin(ctx context.Context, runner, loader, plugin string, cfg inspect.Config) (*Verification, error) {
	load, ok := PluginLoads[loader]
	if !ok {
		return nil, fmt.Errorf("%s: the %s loader does not dlopen (elfx verifies %s)", plugin, loader, strings.Join(slices.Sorted(maps.Keys(PluginLoads)), ", "))
	}
	abs, err := filepath.Abs(plugin)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, err
	}
	lm, err := inspect.Resolve(runner, cfg)
	if err != nil {
		return nil, err
	}
	d, err := lm.Dlopen(abs, load.Mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plugin, err)
	}
	pred, err := inspect.BindDlopen(d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plugin, err)
	}
	names, err := load.Dlsyms(abs)
	if err != nil {
		return nil, err
	}
	dlsyms, err := d.Dlsym(names...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plugin, err)
	}
	pred.Bindings = append(pred.Bindings, dlsyms...)
	var env []string
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		env = append(env, k+"="+cfg.Env[k])
	}
	var stderr bytes.Buffer
	log, exit, err := RunBindings(ctx, runner, []string{"run", "--loader", loader, "--info", abs}, env, io.Discard, &stderr)
	if err != nil {
		return nil, err
	}
	if exit != 0 {
		return nil, fmt.Errorf("%s: %s could not load it (exit status %d): %s", plugin, filepath.Base(runner), exit, strings.TrimSpace(stderr.String()))
	}
	v := CompareDlopen(d, pred, log)
	v.File = plugin
	return v, nil
}
