package compat

import (
	"debug/elf"

	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// Floors maps a version family (the part of a version name before "_"
// and a digit: GLIBC, GLIBCXX, CXXABI, GCC, ...) to the newest version of
// it the target provides, e.g. {"GLIBC": "2.17"}.
type Floors map[string]string

// Options say what to check a file against.
type Options struct {
	Floors Floors
	// Policy names a built-in policy (Policies): its floors apply where
	// Floors sets none, and only its libraries may be needed.
	Policy string
	// Sysroot checks against the target's own files: every needed
	// library found there (as its loader searches), every versioned
	// reference defined by the library it names, every strong
	// reference defined in the scope.
	Sysroot string
	// Deep also checks the libraries the file brings along: those its
	// loader finds outside the system's directories.
	Deep bool
}

// TooNew is a versioned reference above its family's floor.
type TooNew struct {
	Symbol  string // "" for a version the file requires that no symbol uses (GLIBC_ABI_DT_RELR)
	Version string // the version's name, e.g. GLIBC_2.34
	Library string // the DT_VERNEED file that provides it
	Object  string // the file that requires it
}

// Violation kinds.
const (
	LibraryNotAllowed = "library-not-allowed" // a needed library the policy does not allow
	VersionNotAllowed = "version-not-allowed" // a version the policy does not list (e.g. GLIBC_PRIVATE)
	MissingLibrary    = "missing-library"     // a needed library the target lacks
	MissingVersion    = "missing-version"     // a version the library on the target does not define
	UndefinedSymbol   = "undefined-symbol"    // a strong reference nothing in the target's scope defines
)

// Violation is a finding other than a too-new version.
type Violation struct {
	Kind    string
	Object  string // the file the finding is about
	Library string
	Symbol  string
	Version string
	Detail  string
}

// Report is what Check found in one file.
type Report struct {
	File string
	OK   bool
	// Required is, by family, the highest version the file and (with
	// Deep) the libraries it brings require.
	Required   map[string]string
	TooNew     []TooNew
	Violations []Violation
}

// Check checks the file at path, and with opts.Deep the libraries it
// brings along, against opts: floors by version family, a policy, a
// sysroot.
func Check(path string, opts Options) (*Report, error) {
	floors, policy, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	r := &Report{File: path, Required: map[string]string{}}
	objects := []string{path}
	var lm *inspect.LinkMap
	if opts.Deep || opts.Sysroot != "" {
		if lm, err = inspect.Resolve(path, inspect.Config{Root: opts.Sysroot}); err != nil {
			return nil, err
		}
	}
	if opts.Deep {
		objects = append(objects, bundled(lm)...)
	}
	for _, obj := range objects {
		if err := r.checkVersions(obj, floors, policy); err != nil {
			return nil, err
		}
	}
	if opts.Sysroot != "" {
		if err := r.checkTarget(lm); err != nil {
			return nil, err
		}
	}
	r.OK = len(r.TooNew) == 0 && len(r.Violations) == 0
	return r, nil
}

// resolve merges the policy's floors under the explicit ones.
func (o Options) resolve() (Floors, *Policy, error) {
	floors := Floors{}
	var policy *Policy
	if o.Policy != "" {
		p, ok := LookupPolicy(o.Policy)
		if !ok {
			return nil, nil, fmt.Errorf("unknown policy %q (known: %s)", o.Policy, strings.Join(PolicyNames(), ", "))
		}
		policy = p
	}
	for fam, v := range o.Floors {
		if _, ok := numericVersion(v); !ok {
			return nil, nil, fmt.Errorf("floor %s %q is not a dotted version", fam, v)
		}
		floors[fam] = v
	}
	return floors, policy, nil
}

// checkVersions checks one file's DT_VERNEED entries and the symbols that
// use them.
func (r *Report) checkVersions(path string, floors Floors, policy *Policy) error {
	f, err := elfx.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	needs, err := f.VersionNeeds()
	if err != nil {
		return err
	}
	floorOf := func(fam string, m elf.Machine) (string, bool) {
		if v, ok := floors[fam]; ok {
			return v, true
		}
		if policy != nil {
			return policy.Ceiling(m, fam)
		}
		return "", false
	}
	used := map[string]bool{} // library + version, used by a symbol
	syms, err := f.DynamicSymbols()
	if err != nil {
		return err
	}
	for _, s := range syms {
		// A reference is a symbol whose version a DT_VERNEED entry names:
		// undefined ones, and the copies copy relocations made of a
		// library's data, which the file defines.
		if s.Library == "" || s.Version == "" || s.Name == "" {
			continue
		}
		used[s.Library+"\x00"+s.Version] = true
		fam, num, ok := SplitVersion(s.Version)
		if !ok {
			continue
		}
		if floor, ok := floorOf(fam, f.Machine); ok && CompareVersions(num, floor) > 0 {
			r.TooNew = append(r.TooNew, TooNew{Symbol: s.Name, Version: s.Version, Library: s.Library, Object: path})
		}
	}
	if d, err := f.Dynamic(); err != nil {
		return err
	} else if d != nil && policy != nil {
		for _, lib := range d.Needed {
			if !policy.AllowsLibrary(lib) {
				r.addViolation(Violation{Kind: LibraryNotAllowed, Object: path, Library: lib, Detail: fmt.Sprintf("%s is not among the libraries %s allows", lib, policy.Name)})
			}
		}
	}
	for _, n := range needs {
		for _, a := range n.Needs {
			fam, num, ok := SplitVersion(a.Name)
			if !ok {
				if policy != nil && !policy.AllowsVersion(f.Machine, a.Name) {
					r.addViolation(Violation{Kind: VersionNotAllowed, Object: path, Library: n.File, Version: a.Name, Detail: fmt.Sprintf("%s is not a version %s allows", a.Name, policy.Name)})
				}
				continue
			}
			if cur, ok := r.Required[fam]; !ok || CompareVersions(num, cur) > 0 {
				r.Required[fam] = num
			}
			floor, ok := floorOf(fam, f.Machine)
			if ok && CompareVersions(num, floor) > 0 && !used[n.File+"\x00"+a.Name] {
				r.TooNew = append(r.TooNew, TooNew{Version: a.Name, Library: n.File, Object: path})
			}
		}
	}
	return nil
}

func (r *Report) addViolation(v Violation) {
	if !slices.Contains(r.Violations, v) {
		r.Violations = append(r.Violations, v)
	}
}

// checkTarget checks the link map the target's loader builds: every
// library found; every version an object needs defined by the library it
// names, as _dl_check_map_versions demands before binding anything (weak
// references included; only a DT_VERNEED entry marked weak may be
// missing); every strong reference bound.
func (r *Report) checkTarget(lm *inspect.LinkMap) error {
	for _, o := range lm.Objects[1:] {
		if !o.Found() {
			by := lm.Objects[0].Path
			if o.NeededBy != nil {
				by = o.NeededBy.Path
			}
			r.addViolation(Violation{Kind: MissingLibrary, Object: by, Library: o.Name, Detail: fmt.Sprintf("%s is not found in the target: %v", o.Name, o.Err)})
		}
	}
	missing := map[string]bool{} // object + version reported missing
	for _, o := range lm.Objects {
		if !o.Found() || o.IsInterpreter() {
			continue
		}
		gaps, err := missingVersions(lm, o)
		if err != nil {
			return err
		}
		for _, g := range gaps {
			missing[o.Path+"\x00"+g.Version] = true
			r.addViolation(g)
		}
	}
	bound, err := inspect.Bind(lm)
	if err != nil {
		return err
	}
	for _, b := range bound.Bindings {
		if b.From.IsInterpreter() || b.Internal || !b.Unresolved() || !neededFound(b.From) || missing[b.From.Path+"\x00"+b.Version] {
			continue
		}
		if b.Version != "" {
			r.addViolation(Violation{Kind: MissingVersion, Object: b.From.Path, Symbol: b.Symbol, Version: b.Version,
				Detail: fmt.Sprintf("no library of the target defines %s version %s", b.Symbol, b.Version)})
			continue
		}
		r.addViolation(Violation{Kind: UndefinedSymbol, Object: b.From.Path, Symbol: b.Symbol, Detail: fmt.Sprintf("no library of the target defines %s", b.Symbol)})
	}
	return nil
}

// missingVersions are the versions o's DT_VERNEED entries require that
// the library found for each entry does not define.
func missingVersions(lm *inspect.LinkMap, o *inspect.Object) ([]Violation, error) {
	path, err := lm.HostPath(o)
	if err != nil {
		return nil, err
	}
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	needs, err := f.VersionNeeds()
	f.Close()
	if err != nil {
		return nil, err
	}
	var out []Violation
	for _, n := range needs {
		lib := dependency(o, n.File)
		if lib == nil {
			continue // not loaded: reported as a missing library
		}
		libPath, err := lm.HostPath(lib)
		if err != nil {
			return nil, err
		}
		defined, err := definedVersions(libPath)
		if err != nil {
			return nil, err
		}
		for _, a := range n.Needs {
			if a.Flags&elf.VER_FLG_WEAK != 0 || defined[a.Name] {
				continue
			}
			out = append(out, Violation{Kind: MissingVersion, Object: o.Path, Library: n.File, Version: a.Name,
				Detail: fmt.Sprintf("version %s not found in %s (%s), required by %s", a.Name, n.File, lib.Path, o.Path)})
		}
	}
	return out, nil
}

// dependency is the object o's DT_NEEDED entry name was loaded as.
func dependency(o *inspect.Object, name string) *inspect.Object {
	for i, d := range o.Deps {
		if o.DepNames[i] == name && d.Found() {
			return d
		}
	}
	return nil
}

// definedVersions are the version names a library defines.
func definedVersions(path string) (map[string]bool, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	defs, err := f.VersionDefs()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, d := range defs {
		out[d.Name] = true
	}
	return out, nil
}

// neededFound reports whether every library o needs was found: the
// references of an object with a missing library are already explained.
func neededFound(o *inspect.Object) bool {
	for _, d := range o.Deps {
		if !d.Found() {
			return false
		}
	}
	return true
}

// bundled are the libraries of the link map the loader finds outside the
// default directories and the cache: the ones shipped with the file.
func bundled(lm *inspect.LinkMap) []string {
	var out []string
	for _, o := range lm.Objects[1:] {
		switch o.Rule {
		case inspect.RuleRPATH, inspect.RuleRUNPATH, inspect.RuleLDLibraryPath, inspect.RuleDirect:
			if o.Found() && !o.IsInterpreter() {
				out = append(out, o.Path)
			}
		}
	}
	return out
}

// SplitVersion splits a version name into its family and dotted number:
// GLIBC_2.2.5 is GLIBC and 2.2.5, GLIBCXX_3.4.19 is GLIBCXX and 3.4.19.
// GLIBC_ABI_DT_RELR counts as GLIBC 2.36, the release that brought
// DT_RELR; names without a dotted number after the family's first "_"
// and digit (GLIBC_PRIVATE, CXXABI_TM_1, GNUTLS_3_4) are not ordered.
func SplitVersion(name string) (family, version string, ok bool) {
	if name == "GLIBC_ABI_DT_RELR" {
		return "GLIBC", "2.36", true
	}
	for i := 0; i+1 < len(name); i++ {
		if name[i] == '_' && name[i+1] >= '0' && name[i+1] <= '9' {
			if _, ok := numericVersion(name[i+1:]); ok {
				return name[:i], name[i+1:], true
			}
			return "", "", false // GNUTLS_3_4: numbered otherwise
		}
	}
	return "", "", false
}

// numericVersion parses a dotted version.
func numericVersion(v string) ([]int, bool) {
	parts := strings.Split(v, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		out[i] = n
	}
	return out, len(out) > 0
}

// CompareVersions compares dotted versions numerically, "2.10" after
// "2.9" and "2.2.5" after "2.2": -1, 0 or 1. Versions that are not
// dotted numbers compare as strings.
func CompareVersions(a, b string) int {
	x, okA := numericVersion(a)
	y, okB := numericVersion(b)
	if !okA || !okB {
		return strings.Compare(a, b)
	}
	return slices.Compare(x, y)
}
