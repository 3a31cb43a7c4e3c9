package compat

import (
	"debug/elf"
	"fmt"
	"slices"

	"github.com/elfx/elfx/elfx"
)

// Change is one difference between two versions of a library, judged by
// whether binaries built against the old one still load and work with
// the new one.
type Change struct {
	Kind     string
	Symbol   string
	Breaking bool
	Detail   string
}

// Change kinds.
const (
	SymbolRemoved       = "symbol-removed"        // no definition of the new library answers an old reference
	SymbolAdded         = "symbol-added"          // a new export
	TypeChanged         = "type-changed"          // function, object or TLS became another kind
	SizeChanged         = "size-changed"          // a data object or TLS variable changed size (st_size)
	BindingChanged      = "binding-changed"       // global and weak
	VisibilityChanged   = "visibility-changed"    // default and protected
	VersionAdded        = "version-added"         // a version definition
	VersionRemoved      = "version-removed"       // a version definition old binaries may require
	DefaultVersionMoved = "default-version-moved" // new links bind another version of the symbol
	VersionsIntroduced  = "versions-introduced"   // an unversioned library got a version script
	SonameChanged       = "soname-changed"        // old binaries name the old one in DT_NEEDED
	NeededAdded         = "needed-added"
	NeededRemoved       = "needed-removed"
	TypeLayoutChanged   = "type-changed-layout" // DWARF: a parameter, result or data type changed for callers
)

// DiffReport is the difference between two versions of a library.
type DiffReport struct {
	Old, New string
	// Compatible reports that no change is breaking: binaries built
	// against Old still load and work with New, as far as the dynamic
	// symbols show.
	Compatible bool
	Changes    []Change
}

// DiffOptions tune Diff.
type DiffOptions struct {
	// Consumers are binaries built against the old library: when given,
	// a change breaks only if one of them uses what changed (a symbol it
	// references, a version it requires, the SONAME it names); the
	// others are kept as non-breaking, said so.
	Consumers []string
	// Suppress drops the changes a rule matches (see ParseSuppressions).
	Suppress []Suppression
}

// library is what Diff compares of one file.
type library struct {
	f       *elfx.File
	dyn     *elfx.Dynamic
	exports []elfx.Symbol
	defs    []elfx.VersionDef
}

func openLibrary(path string) (*library, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	l := &library{f: f}
	if l.dyn, err = f.Dynamic(); err != nil {
		f.Close()
		return nil, err
	}
	if l.dyn == nil {
		f.Close()
		return nil, fmt.Errorf("%s: no PT_DYNAMIC: not a library the loader links against", path)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		f.Close()
		return nil, err
	}
	for _, s := range syms {
		if exported(s) {
			l.exports = append(l.exports, s)
		}
	}
	if l.defs, err = f.VersionDefs(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// exported reports whether s is a definition another object can bind to:
// defined, global, weak or unique, not hidden or internal, not the symbol
// naming a version.
func exported(s elfx.Symbol) bool {
	switch {
	case !s.Defined() || s.Name == "":
		return false
	case s.Bind() != elf.STB_GLOBAL && s.Bind() != elf.STB_WEAK && s.Bind() != elfx.STB_GNU_UNIQUE:
		return false
	case s.Visibility() == elf.STV_HIDDEN || s.Visibility() == elf.STV_INTERNAL:
		return false
	case s.Section == elf.SHN_ABS && s.Value == 0 && s.Name == s.Version:
		return false
	}
	return true
}

// Diff compares the library at oldPath with the one at newPath at the
// level of the dynamic linker: for each definition an old binary may
// reference, the reference it makes (name and, in a versioned library,
// version) is looked up in the new library as the loader looks it up
// (elfx's check_match), and what it finds is compared; then SONAME,
// DT_NEEDED and version definitions. Layout changes of types are not
// visible at this level.
func Diff(oldPath, newPath string, opts DiffOptions) (*DiffReport, error) {
	old, err := openLibrary(oldPath)
	if err != nil {
		return nil, err
	}
	defer old.f.Close()
	nw, err := openLibrary(newPath)
	if err != nil {
		return nil, err
	}
	defer nw.f.Close()
	r := &DiffReport{Old: oldPath, New: newPath}
	r.diffSoname(old, nw)
	kept := r.diffSymbols(old, nw)
	r.diffVersions(old, nw)
	r.diffNeeded(old, nw)
	oldTypes, err := readABITypes(old.f)
	if err != nil {
		return nil, err
	}
	newTypes, err := readABITypes(nw.f)
	if err != nil {
		return nil, err
	}
	if oldTypes != nil && newTypes != nil {
		r.diffTypes(oldTypes, newTypes, kept)
	}
	if len(opts.Consumers) > 0 {
		if err := r.judgeForConsumers(opts.Consumers, old.dyn.Soname); err != nil {
			return nil, err
		}
	}
	r.Changes = slices.DeleteFunc(r.Changes, func(c Change) bool {
		return slices.ContainsFunc(opts.Suppress, func(s Suppression) bool { return s.Matches(c) })
	})
	r.Compatible = !slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Breaking })
	return r, nil
}

func (r *DiffReport) add(c Change) { r.Changes = append(r.Changes, c) }

func (r *DiffReport) diffSoname(old, nw *library) {
	if old.dyn.Soname != nw.dyn.Soname {
		r.add(Change{Kind: SonameChanged, Breaking: true,
			Detail: fmt.Sprintf("SONAME %q is now %q: binaries built against the old one ask the loader for %q", old.dyn.Soname, nw.dyn.Soname, old.dyn.Soname)})
	}
}

// reference is what a binary built against lib writes for its export s:
// the name, and the version a versioned library defines it with.
func reference(s elfx.Symbol) elfx.SymbolRef {
	ref := elfx.SymbolRef{Name: s.Name}
	if s.Version != "" {
		ref.Version, ref.VersionHash = s.Version, elfx.SysVHash(s.Version)
	}
	return ref
}

// diffSymbols compares the exports and returns the names of those old
// references still find.
func (r *DiffReport) diffSymbols(old, nw *library) []string {
	var kept []string
	oldVersioned := len(old.defs) > 0
	newVersioned := len(nw.defs) > 0
	for _, s := range old.exports {
		name := versionedName(s)
		i, got, err := nw.f.Lookup(reference(s))
		switch {
		case err != nil:
			r.add(Change{Kind: SymbolRemoved, Symbol: name, Breaking: true, Detail: fmt.Sprintf("the new library's symbol table cannot be read: %v", err)})
			continue
		case i < 0:
			r.add(Change{Kind: SymbolRemoved, Symbol: name, Breaking: true, Detail: removalDetail(s, nw)})
			continue
		}
		kept = append(kept, s.Name)
		r.compareDefinition(name, s, got)
		if !oldVersioned && newVersioned && got.Version != "" {
			r.add(Change{Kind: VersionsIntroduced, Symbol: name,
				Detail: fmt.Sprintf("old binaries reference %s without a version; the loader gives them %s, %s", s.Name, versionedName(got), unversionedRule(got))})
		}
	}
	// An unversioned export that gained a version is the same symbol
	// (reported as versions-introduced).
	before := map[string]bool{}
	for _, o := range old.exports {
		before[o.Name+"@"+o.Version] = true
		before[o.Name] = true
	}
	for _, s := range nw.exports {
		if !before[s.Name+"@"+s.Version] && !(before[s.Name] && !oldVersioned) {
			r.add(Change{Kind: SymbolAdded, Symbol: versionedName(s), Detail: "new; binaries built against the new library need it"})
		}
	}
	return kept
}

// compareDefinition compares what an old reference finds in the new
// library with what it found in the old.
func (r *DiffReport) compareDefinition(name string, was, now elfx.Symbol) {
	if kind(was) != kind(now) {
		r.add(Change{Kind: TypeChanged, Symbol: name, Breaking: true, Detail: fmt.Sprintf("was %s, is %s", kind(was), kind(now))})
		return
	}
	if (was.Type() == elf.STT_OBJECT || was.Type() == elf.STT_TLS) && was.Size != now.Size {
		why := "a program's copy relocation copies the old size, and code built against the old one reads and writes that many bytes"
		if was.Type() == elf.STT_TLS {
			why = "code built against the old size addresses the old layout of the thread's block"
		}
		r.add(Change{Kind: SizeChanged, Symbol: name, Breaking: true, Detail: fmt.Sprintf("size %d is now %d: %s", was.Size, now.Size, why)})
	}
	if was.Bind() != now.Bind() {
		r.add(Change{Kind: BindingChanged, Symbol: name, Detail: fmt.Sprintf("%s is now %s: it still binds old references", elfx.SymBindName(was.Bind()), elfx.SymBindName(now.Bind()))})
	}
	switch {
	case was.Visibility() == now.Visibility():
	case now.Visibility() == elf.STV_PROTECTED && now.Type() == elf.STT_OBJECT:
		r.add(Change{Kind: VisibilityChanged, Symbol: name, Breaking: true,
			Detail: "made protected: the library now uses its own copy while a program's copy relocation gave the program another; they drift apart (glibc only warns)"})
	case now.Visibility() == elf.STV_PROTECTED:
		r.add(Change{Kind: VisibilityChanged, Symbol: name, Breaking: true,
			Detail: "made protected: a program that takes its address gets its own PLT entry, no longer equal to the library's pointer (glibc only warns)"})
	default:
		r.add(Change{Kind: VisibilityChanged, Symbol: name, Detail: fmt.Sprintf("%s is now %s: old references still bind to it", visibility(was), visibility(now))})
	}
}

// kind names what a definition is: code, data or thread-local data.
func kind(s elfx.Symbol) string {
	switch s.Type() {
	case elf.STT_FUNC, elf.STT_GNU_IFUNC:
		return "a function"
	case elf.STT_TLS:
		return "a thread-local variable"
	case elf.STT_OBJECT, elf.STT_COMMON:
		return "a data object"
	}
	return "untyped (" + elfx.SymTypeName(s.Type()) + ")"
}

func visibility(s elfx.Symbol) string {
	if s.Visibility() == elf.STV_PROTECTED {
		return "protected"
	}
	return "default"
}

// removalDetail says why an old reference finds nothing in the new
// library.
func removalDetail(s elfx.Symbol, nw *library) string {
	syms, _ := nw.f.DynamicSymbols()
	for _, n := range syms {
		if n.Name != s.Name || !n.Defined() {
			continue
		}
		switch {
		case n.Bind() == elf.STB_LOCAL || n.Visibility() == elf.STV_HIDDEN || n.Visibility() == elf.STV_INTERNAL:
			return "made hidden or local: old binaries' references find nothing (symbol lookup error)"
		case s.Version != "" && n.Version != s.Version:
			return fmt.Sprintf("defined only as %s now: old binaries ask for version %s (the loader refuses to start them)", versionedName(n), s.Version)
		}
	}
	return "gone: old binaries that use it fail with an undefined symbol"
}

// unversionedRule says why an unversioned reference takes def, as
// check_match decides.
func unversionedRule(def elfx.Symbol) string {
	if def.VersionIndex.Index() <= 2 {
		return "the library's first version, which an unversioned reference takes"
	}
	return "its only version, which an unversioned reference takes when there is no other"
}

func (r *DiffReport) diffVersions(old, nw *library) {
	has := func(defs []elfx.VersionDef, name string) bool {
		return slices.ContainsFunc(defs, func(d elfx.VersionDef) bool { return d.Name == name })
	}
	for _, d := range old.defs {
		if d.Flags&elf.VER_FLG_BASE == 0 && !has(nw.defs, d.Name) {
			r.add(Change{Kind: VersionRemoved, Symbol: d.Name, Breaking: true,
				Detail: fmt.Sprintf("binaries built against the old library require %s in DT_VERNEED; the loader refuses to start them without it", d.Name)})
		}
	}
	for _, d := range nw.defs {
		if d.Flags&elf.VER_FLG_BASE == 0 && !has(old.defs, d.Name) && len(old.defs) > 0 {
			r.add(Change{Kind: VersionAdded, Symbol: d.Name, Detail: "new version node"})
		}
	}
	for _, s := range nw.exports {
		if !s.DefaultVersion() {
			continue
		}
		for _, o := range old.exports {
			if o.Name == s.Name && o.DefaultVersion() && o.Version != s.Version {
				r.add(Change{Kind: DefaultVersionMoved, Symbol: s.Name,
					Detail: fmt.Sprintf("new links bind %s, where they bound %s", versionedName(s), versionedName(o))})
			}
		}
	}
}

func (r *DiffReport) diffNeeded(old, nw *library) {
	for _, n := range nw.dyn.Needed {
		if !slices.Contains(old.dyn.Needed, n) {
			r.add(Change{Kind: NeededAdded, Symbol: n, Detail: "the new library needs " + n + ": it must be present where old binaries run"})
		}
	}
	for _, n := range old.dyn.Needed {
		if !slices.Contains(nw.dyn.Needed, n) {
			r.add(Change{Kind: NeededRemoved, Symbol: n, Detail: "no longer needed"})
		}
	}
}

// versionedName spells a definition name@@VERSION, name@VERSION or name.
func versionedName(s elfx.Symbol) string {
	switch {
	case s.Version == "":
		return s.Name
	case s.DefaultVersion():
		return s.Name + "@@" + s.Version
	}
	return s.Name + "@" + s.Version
}
