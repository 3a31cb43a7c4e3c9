package compat

import (
	"debug/elf"
	"fmt"
	"path"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// uses is what consumers take from one library.
type uses struct {
	soname   bool               // some consumer names the library in DT_NEEDED
	symbols  map[string]useKind // names they reference, and how
	versions map[string]bool    // versions of the library they require
}

// useKind says how a consumer uses a symbol, as far as a change cares.
type useKind uint8

const (
	referenced useKind = 1 << iota
	copied             // a copy relocation holds the consumer's own copy of the data
	canonical          // the consumer's canonical PLT entry is the function's address (its pointer is compared)
)

// judgeForConsumers keeps as breaking only the changes that touch what
// the consumers use of the library whose old SONAME is soname.
func (r *DiffReport) judgeForConsumers(consumers []string, soname string) error {
	u := uses{symbols: map[string]useKind{}, versions: map[string]bool{}}
	for _, c := range consumers {
		if err := u.read(c, soname); err != nil {
			return err
		}
	}
	for i := range r.Changes {
		c := &r.Changes[i]
		if !c.Breaking || u.touches(*c) {
			continue
		}
		c.Breaking = false
		c.Detail += " (no consumer given uses it)"
	}
	return nil
}

// read adds what the binary at p uses of the library soname.
func (u *uses) read(p, soname string) error {
	f, err := elfx.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := f.Dynamic()
	if err != nil {
		return err
	}
	if d == nil {
		return fmt.Errorf("%s: no PT_DYNAMIC: not a consumer of a shared library", p)
	}
	for _, n := range d.Needed {
		u.soname = u.soname || n == soname
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return err
	}
	for _, s := range syms {
		if s.Name != "" && !s.Defined() {
			u.symbols[s.Name] |= referenced
			// An executable's undefined function with a value: its PLT
			// entry stands for the function's address.
			if s.Value != 0 && s.Type() == elf.STT_FUNC && f.Type == elf.ET_EXEC {
				u.symbols[s.Name] |= canonical
			}
		}
	}
	tables, err := f.RelocTables()
	if err != nil {
		return err
	}
	for _, t := range tables {
		for r := range t.All() {
			if elfx.ClassifyReloc(f.Machine, r.Type) == elfx.RelocCopy && int(r.Sym) < len(syms) {
				u.symbols[syms[r.Sym].Name] |= referenced | copied
			}
		}
	}
	needs, err := f.VersionNeeds()
	if err != nil {
		return err
	}
	for _, n := range needs {
		if n.File == soname {
			for _, a := range n.Needs {
				u.versions[a.Name] = true
			}
		}
	}
	return nil
}

// touches reports whether a change concerns something the consumers use.
func (u *uses) touches(c Change) bool {
	switch c.Kind {
	case SonameChanged:
		return u.soname
	case VersionRemoved:
		return u.versions[c.Symbol]
	}
	name, _, _ := strings.Cut(c.Symbol, "@")
	use := u.symbols[name]
	switch c.Kind {
	case SizeChanged:
		return use&copied != 0 // reached through the GOT, the library's own object is used
	case VisibilityChanged:
		return use&(copied|canonical) != 0
	}
	return use != 0
}

// Suppression drops the changes of a kind whose symbol matches a
// pattern, as a suppression file lists them.
type Suppression struct {
	Kind    string // a change kind, or "*"
	Pattern string // a path.Match pattern on the symbol, or "*"
}

// Matches reports whether the suppression drops c.
func (s Suppression) Matches(c Change) bool {
	if s.Kind != "*" && s.Kind != c.Kind {
		return false
	}
	ok, _ := path.Match(s.Pattern, c.Symbol)
	return ok || s.Pattern == "*"
}

// ParseSuppressions reads a suppression file: a line "KIND PATTERN" per
// rule (KIND a change kind or *, PATTERN a shell pattern on the symbol,
// e.g. "symbol-removed internal_*"), blank lines and # comments ignored.
func ParseSuppressions(name, text string) ([]Suppression, error) {
	var out []Suppression
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want KIND PATTERN, got %q", name, i+1, line)
		}
		if _, err := path.Match(f[1], ""); err != nil {
			return nil, fmt.Errorf("%s:%d: pattern %q: %w", name, i+1, f[1], err)
		}
		out = append(out, Suppression{Kind: f[0], Pattern: f[1]})
	}
	return out, nil
}
