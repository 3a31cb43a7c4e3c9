package inspect

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// ScopeStep is one object a lookup looked at.
type ScopeStep struct {
	Object *Object
	// Reason says why the lookup passed the object over; "" for the
	// object whose definition it took.
	Reason string
}

// Walk is the scope walk of one binding: every object the loader looked
// at, in order, up to the one that defined the symbol.
type Walk struct {
	Binding Binding
	Steps   []ScopeStep
	// Note says how the loader changed the answer after the walk: a
	// protected symbol kept by its own object, a unique symbol bound to
	// the process's first definition.
	Note string
}

// Why returns the scope walk of every binding of symbol in bs, one per
// referencing object and version (an object's relocations of one symbol
// all make the same walk, but a copy relocation's own walk is shown
// apart).
func (bs *Bindings) Why(symbol string) []Walk {
	b := newBinder(bs.LinkMap)
	defer b.close()
	type key struct {
		from      *Object
		version   string
		plt, copy bool
	}
	seen := map[key]bool{}
	var walks []Walk
	for _, bd := range bs.Bindings {
		copyReloc := bd.Class == elfx.RelocCopy
		k := key{bd.From, bd.Version, pltClass(bd.Class), copyReloc}
		if bd.Symbol != symbol || seen[k] {
			continue
		}
		seen[k] = true
		bf := b.files[bd.From]
		if bf.err != nil {
			continue
		}
		ref, err := bf.f.Reference(int(bd.sym))
		if err != nil {
			continue
		}
		ref.PLT = k.plt
		w := Walk{Binding: bd}
		var first *Object
	walk:
		for _, list := range bf.scope {
			for _, bf := range list {
				reason := passOver(bf, ref, copyReloc)
				w.Steps = append(w.Steps, ScopeStep{Object: bf.o, Reason: reason})
				if reason == "" {
					first = bf.o
					break walk
				}
			}
		}
		switch {
		case bd.To == nil && bd.Weak:
			w.Note = "no object defines it: the weak reference is left at zero"
		case bd.To == nil:
			w.Note = "no object defines it: the loader fails with \"undefined symbol\""
		case bd.Protected && bd.To == bd.From && first != bd.From:
			w.Note = fmt.Sprintf("the symbol is protected in %s, which keeps its own definition", bd.From.Path)
		case first != nil && bd.To != first:
			w.Note = fmt.Sprintf("%s is a unique symbol (STB_GNU_UNIQUE): every lookup gets the first definition the process met, in %s", symbol, bd.To.Path)
		}
		walks = append(walks, w)
	}
	return walks
}

// passOver says why a lookup of ref passes o over, or "" when o defines
// it: the tests of do_lookup_x and check_match, told in words.
func passOver(bf *boundFile, ref elfx.SymbolRef, copyReloc bool) string {
	switch {
	case bf.err != nil:
		return "cannot be read: " + bf.err.Error()
	case copyReloc && bf.exec:
		return "the program is not searched for a copy relocation's source"
	}
	i, _, err := bf.f.Lookup(ref)
	switch {
	case err != nil:
		return "its symbol table cannot be read: " + err.Error()
	case i >= 0:
		return ""
	}
	var reasons []string
	for s, err := range bf.f.AllSymbols() {
		if err != nil {
			return "its symbol table cannot be read: " + err.Error()
		}
		if s.Name != ref.Name {
			continue
		}
		if r := symbolMismatch(s, ref); r != "" && !strings.Contains(strings.Join(reasons, "; "), r) {
			reasons = append(reasons, r)
		}
	}
	if len(reasons) == 0 {
		return "does not define it"
	}
	return strings.Join(reasons, "; ")
}

// symbolMismatch says why symbol s, named as ref asks, is no definition
// for it.
func symbolMismatch(s elfx.Symbol, ref elfx.SymbolRef) string {
	switch {
	case s.Section == elf.SHN_UNDEF && (ref.PLT || s.Value == 0):
		return "only refers to it"
	case s.Bind() == elf.STB_LOCAL:
		return "has it as a local symbol"
	case s.Visibility() == elf.STV_HIDDEN || s.Visibility() == elf.STV_INTERNAL:
		return "has it hidden (" + strings.ToLower(strings.TrimPrefix(s.Visibility().String(), "STV_")) + ")"
	case s.Value == 0 && s.Section != elf.SHN_ABS && s.Type() != elf.STT_TLS:
		return "has it with no value"
	case ref.Version != "" && s.Version != ref.Version:
		return fmt.Sprintf("defines it as %s, not version %s", versioned(s), ref.Version)
	case ref.Version == "" && s.Version != "":
		return fmt.Sprintf("defines only %s, which an unversioned reference takes only when it is the one version", versioned(s))
	}
	return "has it of a type that defines nothing (" + elfx.SymTypeName(s.Type()) + ")"
}

// versioned spells a definition as name@VERSION or name@@VERSION.
func versioned(s elfx.Symbol) string {
	switch {
	case s.Version == "":
		return s.Name
	case s.DefaultVersion():
		return s.Name + "@@" + s.Version
	}
	return s.Name + "@" + s.Version
}

// Interposition is a symbol that more than one object of the link map
// defines for others to use.
type Interposition struct {
	Symbol string
	// Definers are the objects that define it, in the order of the
	// global scope: the first is the one a lookup from an object without
	// DT_SYMBOLIC gets, unless versions narrow the choice.
	Definers []Definition
}

// Definition is one object's definition of a symbol.
type Definition struct {
	Object *Object
	Def    elfx.Symbol
}

// Interpositions lists every symbol defined, visible to other objects,
// by more than one object of the link map, in the order the global scope
// first meets each symbol. Objects that cannot be read are left out.
func (bs *Bindings) Interpositions() []Interposition {
	b := newBinder(bs.LinkMap)
	defer b.close()
	byName := map[string]*Interposition{}
	var order []string
	for _, bf := range b.global {
		if bf.err != nil {
			continue
		}
		seen := map[string]bool{} // one definition an object: the default version's, or the first
		for s, err := range bf.f.AllSymbols() {
			if err != nil {
				break
			}
			if !exported(s) || seen[s.Name] && !s.DefaultVersion() {
				continue
			}
			ip := byName[s.Name]
			if ip == nil {
				ip = &Interposition{Symbol: s.Name}
				byName[s.Name] = ip
				order = append(order, s.Name)
			}
			if seen[s.Name] {
				ip.Definers[len(ip.Definers)-1].Def = s
				continue
			}
			seen[s.Name] = true
			ip.Definers = append(ip.Definers, Definition{Object: bf.o, Def: s})
		}
	}
	var out []Interposition
	for _, name := range order {
		if ip := byName[name]; len(ip.Definers) > 1 {
			out = append(out, *ip)
		}
	}
	return out
}

// exported reports whether s is a definition another object's lookup can
// take: defined, global, weak or unique, not hidden, of a type that
// defines code or data, not a version's name.
func exported(s elfx.Symbol) bool {
	switch {
	case !s.Defined() || s.Name == "":
		return false
	case s.Bind() != elf.STB_GLOBAL && s.Bind() != elf.STB_WEAK && s.Bind() != elfx.STB_GNU_UNIQUE:
		return false
	case s.Visibility() == elf.STV_HIDDEN || s.Visibility() == elf.STV_INTERNAL:
		return false
	case s.Section == elf.SHN_ABS && s.Value == 0 && s.Name == s.Version:
		return false // the symbol naming a version
	}
	switch s.Type() {
	case elf.STT_NOTYPE, elf.STT_OBJECT, elf.STT_FUNC, elf.STT_COMMON, elf.STT_TLS, elf.STT_GNU_IFUNC:
		return true
	}
	return false
}
