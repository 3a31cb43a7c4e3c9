package compat

import (
	"bytes"
	"cmp"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"slices"
	"strings"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/safeopen"
)

// goModule is what plugin.Open compares of a Go program or plugin, read
// from its file: the linker's package hashes, which it exports as dynamic
// symbols (so stripping leaves them), its plugin path and its build
// information.
type goModule struct {
	path string
	info *buildinfo.BuildInfo
	// hashes are the packages' fingerprints, go:link.pkghashbytes.PKG,
	// which a program exports only when it can open plugins and a
	// plugin always does.
	hashes map[string]string
	// checked is a plugin's pkghashes table in the order
	// plugin_lastmoduleinit walks it: the packages whose
	// go:link.pkghash.PKG the table's dynamic relocations name, by
	// address.
	checked []string
	// pluginPath is go:link.thispluginpath, or for a stripped plugin the
	// main package's path as the linker spells it; "" for a program.
	pluginPath string
	dynamic    bool // it has PT_DYNAMIC: a loader maps it
}

const (
	pkghashBytes = "go:link.pkghashbytes."
	pkghash      = "go:link.pkghash."
)

// notGoError is an ELF file without Go build information.
type notGoError struct {
	path string
	err  error
}

func (e *notGoError) Error() string { return fmt.Sprintf("%s: not a Go binary: %v", e.path, e.err) }

// readBuildInfo is buildinfo.ReadFile of a regular ELF file, opened
// without blocking (safeopen); call it once checkSections passes.
func readBuildInfo(path string) (*buildinfo.BuildInfo, error) {
	f, err := safeopen.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return buildinfo.Read(f)
}

// readGoModule reads path as a Go program (plugin false) or plugin.
func readGoModule(path string, plugin bool) (*goModule, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkSections(f); err != nil {
		return nil, &notGoError{path, err}
	}
	info, err := readBuildInfo(path)
	if err != nil {
		return nil, &notGoError{path, err}
	}
	m := &goModule{path: path, info: info, hashes: map[string]string{}}
	_, m.dynamic = f.Prog(elf.PT_DYNAMIC)
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, err
	}
	for _, s := range syms {
		pkg, ok := strings.CutPrefix(s.Name, pkghashBytes)
		if !ok || s.Section == elf.SHN_UNDEF {
			continue
		}
		b, err := f.ReadVirtual(s.Value, s.Size)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", path, s.Name, err)
		}
		m.hashes[pkg] = string(b)
	}
	if !plugin {
		return m, nil
	}
	if m.checked, err = checkedPackages(f, syms); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.pluginPath, err = pluginPath(path, info); err != nil {
		return nil, err
	}
	return m, nil
}

// checkedPackages is the order of a plugin's pkghashes table: each entry
// ends with the address of go:link.pkghash.PKG, which the loader fills in
// through a dynamic relocation, so the relocations naming those symbols,
// by address, are the table.
func checkedPackages(f *elfx.File, syms []elfx.Symbol) ([]string, error) {
	tables, err := f.RelocTables()
	if err != nil {
		return nil, err
	}
	type entry struct {
		at  uint64
		pkg string
	}
	var entries []entry
	for _, t := range tables {
		for _, r := range t.Relocs {
			if r.Sym == 0 || int(r.Sym) >= len(syms) {
				continue
			}
			if pkg, ok := strings.CutPrefix(syms[r.Sym].Name, pkghash); ok {
				entries = append(entries, entry{r.Offset, pkg})
			}
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Compare(a.at, b.at) })
	pkgs := make([]string, len(entries))
	for i, e := range entries {
		pkgs[i] = e.pkg
	}
	return pkgs, nil
}

// GoPluginPath is the plugin path of the Go plugin at path: the prefix of
// its main package's symbols, under which plugin.Open looks its exports
// up.
func GoPluginPath(path string) (string, error) {
	if err := checkHeaders(path); err != nil {
		return "", &notGoError{path, err}
	}
	info, err := readBuildInfo(path)
	if err != nil {
		return "", &notGoError{path, err}
	}
	return pluginPath(path, info)
}

// pluginPath is the plugin path the linker stored in go:link.thispluginpath
// (a local symbol, in .symtab); a stripped plugin has no .symtab, and
// then it is its main package's import path as the go command passes it
// to the linker, escaped as the linker escapes symbol prefixes. Call it
// once checkSections passes.
func pluginPath(path string, info *buildinfo.BuildInfo) (string, error) {
	file, err := safeopen.Open(path)
	if err != nil {
		return "", err
	}
	defer file.Close()
	f, err := elf.NewFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	addr, size, found, err := localSymbol(f, "go:link.thispluginpath")
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %w", path, err)
	case !found:
		return pathToPrefix(info.Path), nil
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+size <= p.Vaddr+p.Filesz {
			b := make([]byte, size)
			if _, err := p.ReadAt(b, int64(addr-p.Vaddr)); err != nil {
				return "", fmt.Errorf("%s: reading go:link.thispluginpath: %w", path, err)
			}
			return string(b), nil
		}
	}
	return "", fmt.Errorf("%s: go:link.thispluginpath at %#x is outside the file's contents", path, addr)
}

// localSymbol finds the symbol name in the 64-bit .symtab of f, comparing
// names in place: a Go plugin's table has tens of thousands of symbols,
// which debug/elf's Symbols would turn into strings.
func localSymbol(f *elf.File, name string) (addr, size uint64, found bool, err error) {
	symtab := f.Section(".symtab")
	if symtab == nil || f.Class != elf.ELFCLASS64 || int(symtab.Link) >= len(f.Sections) {
		return 0, 0, false, nil
	}
	syms, err := symtab.Data()
	if err != nil {
		return 0, 0, false, fmt.Errorf("reading .symtab: %w", err)
	}
	strs, err := f.Sections[symtab.Link].Data()
	if err != nil {
		return 0, 0, false, fmt.Errorf("reading .symtab's strings: %w", err)
	}
	want := append([]byte(name), 0)
	for off := 0; off+elf.Sym64Size <= len(syms); off += elf.Sym64Size {
		nameOff := uint64(f.ByteOrder.Uint32(syms[off:]))
		if nameOff < uint64(len(strs)) && bytes.HasPrefix(strs[nameOff:], want) {
			return f.ByteOrder.Uint64(syms[off+8:]), f.ByteOrder.Uint64(syms[off+16:]), true, nil
		}
	}
	return 0, 0, false, nil
}

// pathToPrefix is cmd/internal/objabi.PathToPrefix: the linker's
// spelling of an import path as a symbol prefix, with control
// characters, spaces, '%', '"' and non-ASCII bytes, and dots after the
// last slash, %-escaped.
func pathToPrefix(s string) string {
	slash := strings.LastIndex(s, "/")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || (i > slash && c == '.') || c == '%' || c == '"' || c >= 0x7F {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
