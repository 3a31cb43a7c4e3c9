package compat

import (
	"debug/buildinfo"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
)

// PluginOpen is the prediction of one plugin.Open.
type PluginOpen struct {
	Host, Plugin string
	Loadable     bool
	// Reason is the error plugin.Open returns, or what happens instead
	// of one; "" when the plugin loads.
	Reason string
	// Crash marks an open that kills the host with a fatal error of its
	// runtime instead of returning; the plugins after it are never
	// opened.
	Crash bool
	// Package is the package plugin.Open names, the first of Packages in
	// the order it checks them; Packages are all whose hash differs.
	Package  string
	Packages []string
	// Causes are the differences between the two builds that explain the
	// failure, from their build information.
	Causes []string
	// Err is why the plugin could not be read; the other fields are
	// unset then.
	Err error
}

// PredictPluginOpen predicts what plugin.Open does in the program host
// with each plugin in turn, as src/plugin/plugin_dlopen.go and the
// runtime's plugin_lastmoduleinit do it, without running anything:
//
//   - a host built with CGO_ENABLED=0 has the stub package plugin, which
//     answers "plugin: not implemented"; one that does not import package
//     plugin cannot open any;
//   - a path already opened (after symbolic links) gives the first
//     open's result again, a failure with " (previous failure)";
//   - the plugin is mapped (dlopen, RTLD_GLOBAL): it stays so whatever
//     follows, and its symbols answer later plugins' lookups;
//   - a file that registers no Go module data the host can read (not a
//     Go plugin, or one built by another Go release) leaves the runtime
//     with the last module registered before: none, or one that failed,
//     and the host dies ("runtime: no plugin module data"); a loaded one,
//     and the open fails with "plugin already loaded";
//   - a plugin path an open plugin has: "plugin already loaded";
//   - then each package of the plugin's hash table, in the table's order:
//     the hash it was linked against against the one its reference
//     go:link.pkghash.PKG finds in the global scope, the host's first,
//     then the plugins mapped before, failed ones too, then its own.
//     The first that differs is the package plugin.Open names.
//
// Each failure is explained from the two files' build information.
func PredictPluginOpen(host string, plugins []string) ([]PluginOpen, error) {
	h, err := readGoModule(host, false)
	if err != nil {
		return nil, err
	}
	s := &openState{host: h, opened: map[string]*PluginOpen{}}
	out := make([]PluginOpen, len(plugins))
	for i, p := range plugins {
		out[i] = s.open(p)
		out[i].Host, out[i].Plugin = host, p
	}
	return out, nil
}

// openState is the host process as the plugins are opened.
type openState struct {
	host    *goModule
	opened  map[string]*PluginOpen // by real path: package plugin's cache
	mapped  []*goModule            // every plugin mapped, in order: the global scope after the host
	modules []*goModule            // the Go modules registered, in order
	bad     map[*goModule]bool     // modules that failed lastmoduleinit
	crashed string                 // the plugin whose open killed the host
}

func (s *openState) open(path string) PluginOpen {
	if s.crashed != "" {
		return PluginOpen{Reason: fmt.Sprintf("never opened: the host died opening %s", s.crashed)}
	}
	if reason := s.hostCannotOpen(); reason != "" {
		return PluginOpen{Reason: reason}
	}
	real, err := realPath(path)
	if err != nil {
		return PluginOpen{Err: err}
	}
	if prev, ok := s.opened[real]; ok {
		r := *prev
		if !r.Loadable {
			r.Reason += " (previous failure)"
		}
		return r
	}
	m, err := readGoModule(path, true)
	var notGo *notGoError
	switch {
	case errors.As(err, &notGo):
		m = nil // dlopen maps it, but it registers no Go module
	case err != nil:
		return PluginOpen{Err: err}
	}
	r := s.lastModuleInit(path, m)
	if !r.Crash {
		s.opened[real] = &r
	} else {
		s.crashed = path
	}
	return r
}

// hostCannotOpen says why the host cannot open plugins at all.
func (s *openState) hostCannotOpen() string {
	if setting(s.host.info, "CGO_ENABLED") == "0" {
		return "plugin: not implemented (the host was built with CGO_ENABLED=0, which gives it package plugin's stub)"
	}
	if !s.host.dynamic || len(s.host.hashes) == 0 {
		return "the host cannot open plugins: it does not import package plugin (it exports no package hashes)"
	}
	return ""
}

// lastModuleInit is dlopen and the runtime's plugin_lastmoduleinit for
// the plugin at path, read as m (nil when it registers no Go module).
func (s *openState) lastModuleInit(path string, m *goModule) PluginOpen {
	if s.bad == nil {
		s.bad = map[*goModule]bool{}
	}
	if m != nil && goRelease(m.info.GoVersion) != goRelease(s.host.info.GoVersion) {
		cause := fmt.Sprintf("Go: host %s, plugin %s", s.host.info.GoVersion, m.info.GoVersion)
		s.mapped = append(s.mapped, m)
		r := s.noModuleData(path)
		r.Causes = []string{cause}
		return r
	}
	if m == nil {
		return s.noModuleData(path)
	}
	s.mapped = append(s.mapped, m)
	s.modules = append(s.modules, m)
	if m.pluginPath == "" {
		return PluginOpen{Crash: true, Reason: "fatal error: runtime: plugin has empty pluginpath"}
	}
	for _, o := range s.modules[:len(s.modules)-1] {
		if !s.bad[o] && o.pluginPath == m.pluginPath {
			s.bad[m] = true
			return PluginOpen{Reason: "plugin already loaded", Causes: []string{fmt.Sprintf("%s has the plugin path %s too", o.path, m.pluginPath)}}
		}
	}
	var differ []string
	for _, pkg := range m.checked {
		if s.resolveHash(pkg, m) != m.hashes[pkg] {
			differ = append(differ, pkg)
		}
	}
	if len(differ) == 0 {
		return PluginOpen{Loadable: true}
	}
	s.bad[m] = true
	return PluginOpen{
		Reason:   "plugin was built with a different version of package " + differ[0],
		Package:  differ[0],
		Packages: differ,
		Causes:   s.explain(m, differ),
	}
}

// noModuleData is lastmoduleinit finding no new module: it takes the last
// one registered, if that one did not fail.
func (s *openState) noModuleData(path string) PluginOpen {
	if n := len(s.modules); n > 0 && !s.bad[s.modules[n-1]] {
		return PluginOpen{Reason: "plugin already loaded", Causes: []string{path + " registers no Go module the host can read, so the runtime looks at the last plugin it loaded again"}}
	}
	return PluginOpen{Crash: true, Reason: "fatal error: runtime: no plugin module data (the host dies: " + path + " registers no Go module the host can read)"}
}

// resolveHash is the hash the reference to go:link.pkghash.PKG from m
// finds: the first definition in the global scope (the host, the plugins
// mapped before m), else m's own.
func (s *openState) resolveHash(pkg string, m *goModule) string {
	if h, ok := s.host.hashes[pkg]; ok {
		return h
	}
	for _, o := range s.mapped {
		if o == m {
			break
		}
		if h, ok := o.hashes[pkg]; ok {
			return h
		}
	}
	return m.hashes[pkg]
}

// explain names what differs between the build of m and of the module
// each differing package's hash came from: the Go release, the build
// settings that change compiled code, the versions of the modules m
// depends on.
func (s *openState) explain(m *goModule, differ []string) []string {
	var causes []string
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			causes = append(causes, c)
		}
	}
	for _, pkg := range differ {
		other := s.host
		if _, ok := s.host.hashes[pkg]; !ok {
			for _, o := range s.mapped {
				if _, ok := o.hashes[pkg]; ok && o != m {
					other = o
					break
				}
			}
		}
		against := "host"
		if other != s.host {
			against = other.path
			add(fmt.Sprintf("the hash of %s the plugin finds is that of %s, opened before it: a plugin that fails stays mapped", pkg, other.path))
		}
		if a, b := other.info.GoVersion, m.info.GoVersion; a != b {
			add(fmt.Sprintf("Go: %s %s, plugin %s", against, a, b))
		}
		for _, key := range codeSettings(other.info, m.info) {
			add(fmt.Sprintf("%s: %s %q, plugin %q", key, against, setting(other.info, key), setting(m.info, key)))
		}
		// A package's hash covers what it exports, which the packages
		// it imports shape: a dependency's version shows there too.
		for _, d := range m.info.Deps {
			if o := moduleOf(other.info, d.Path); o != moduleOf(m.info, d.Path) {
				add(fmt.Sprintf("module %s: %s has %s, plugin has %s", d.Path, against, o, moduleOf(m.info, d.Path)))
			}
		}
	}
	return causes
}

// codeSettings are the build settings, of those that change compiled
// code, on which a and b differ.
func codeSettings(a, b *buildinfo.BuildInfo) []string {
	var keys []string
	for _, info := range []*buildinfo.BuildInfo{a, b} {
		for _, st := range info.Settings {
			if codeSetting(st.Key) && !slices.Contains(keys, st.Key) && setting(a, st.Key) != setting(b, st.Key) {
				keys = append(keys, st.Key)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// codeSetting reports whether a build setting changes the packages'
// hashes: the flags that change compiled code and the target, not the
// build mode (a plugin's is always another), version control, -ldflags,
// or a microarchitecture level such as GOAMD64, with which a plugin
// still loads.
func codeSetting(key string) bool {
	switch key {
	case "-trimpath", "-race", "-msan", "-asan", "-tags", "-gcflags", "-asmflags", "-compiler", "CGO_ENABLED", "GOEXPERIMENT", "GOOS", "GOARCH":
		return true
	}
	return false
}

// setting is the value of a build setting, "" when the build has none.
func setting(info *buildinfo.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// moduleOf names the module holding pkg in a build: path@version, its
// replacement after "=>", "std" for the standard library.
func moduleOf(info *buildinfo.BuildInfo, pkg string) string {
	first, _, _ := strings.Cut(pkg, "/")
	if !strings.Contains(first, ".") {
		return "std " + info.GoVersion
	}
	var best *debug.Module
	for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
		if within(pkg, m.Path) && (best == nil || len(m.Path) > len(best.Path)) {
			best = m
		}
	}
	if best == nil {
		return "no module holding it"
	}
	name := best.Path + "@" + best.Version
	if r := best.Replace; r != nil {
		name += " => " + r.Path
		if r.Version != "" && r.Version != "(devel)" {
			name += "@" + r.Version
		}
	}
	return name
}

func within(pkg, module string) bool {
	return module != "" && (pkg == module || strings.HasPrefix(pkg, module+"/"))
}

// goRelease is the release of a Go version, go1.26 for go1.26.8: Go
// plugins load only into a program of their release.
func goRelease(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
}

// realPath is the path as package plugin keys its cache: absolute, links
// resolved (realpath(3)).
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s: %w", path, os.ErrNotExist)
		}
		return "", err
	}
	return abs, nil
}
