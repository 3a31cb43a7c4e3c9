package inspect

import (
	"debug/elf"
	"errors"
	"fmt"

	"github.com/elfx/elfx/elfx"
)

// Binding is one symbol lookup the glibc loader makes to apply a
// relocation: the object whose relocation names the symbol, what it asks
// for, and the object whose definition the lookup returns.
type Binding struct {
	From    *Object
	Symbol  string
	Version string // the version the reference asks for; "" when unversioned
	Reloc   string // the relocation type's name, e.g. R_X86_64_GLOB_DAT
	Class   elfx.RelocClass
	Offset  uint64 // r_offset, a link-time address in From
	// To is the object whose definition the lookup returns; nil when the
	// symbol is not found.
	To  *Object
	Def elfx.Symbol // the definition in To
	// Weak marks a weak reference, which the loader leaves at zero
	// without complaint when no object defines the symbol.
	Weak bool
	// Protected marks a reference to a symbol From defines as protected:
	// the loader keeps From's own definition unless the scope finds none
	// elsewhere.
	Protected bool

	ref elfx.SymbolRef // the lookup made
}

// Unresolved reports whether the loader fails on this binding: a strong
// reference no object in scope defines ("undefined symbol" of ldd -r).
func (b *Binding) Unresolved() bool { return b.To == nil && !b.Weak }

// Bindings are the lookups the loader makes when it relocates a link map
// with every PLT slot bound at load (LD_BIND_NOW).
type Bindings struct {
	LinkMap  *LinkMap
	Bindings []Binding // by object in the order the loader relocates them, each object's in table order
	// Errors are the objects that could not be read: their relocations
	// are missing from Bindings.
	Errors []error
}

// Bind predicts every symbol lookup glibc's loader makes to relocate lm,
// as _dl_relocate_object does under LD_BIND_NOW, without running
// anything: for each relocation that names a symbol, the lookup scope of
// its object (itself first under DT_SYMBOLIC, then the global scope in
// link-map order), each object of the scope tested as do_lookup_x and
// check_match test it (versions, hidden and local symbols, undefined
// entries of PLT references, copy relocations passing over the
// executable), weak definitions taken like strong ones, STB_GNU_UNIQUE
// symbols bound to the first definition the process saw, and protected
// symbols kept by their object as _dl_lookup_symbol_x keeps them.
//
// Objects are relocated in the loader's order, the last loaded first and
// the program last, and the interpreter after them all, as rtld does.
// An object that cannot be read is reported in Errors and its lookups
// left out; a link map built by musl's rules is an error, since musl's
// lookup is another model.
func Bind(lm *LinkMap) (*Bindings, error) {
	if lm.musl {
		return nil, errors.New("symbol bindings are modelled for glibc's loader; this program uses musl's")
	}
	b := newBinder(lm)
	res := &Bindings{LinkMap: lm}
	defer b.close()
	for _, o := range b.relocationOrder() {
		bs, err := b.relocate(o)
		res.Bindings = append(res.Bindings, bs...)
		if err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	return res, nil
}

// binder holds the loaded objects' files and the process-wide table of
// unique symbols while a link map is relocated.
type binder struct {
	lm     *LinkMap
	global []*Object // the main program's search list: the global scope
	files  map[*Object]*boundFile
	unique map[string]uniqueDef // _ns_unique_sym_table
}

// boundFile is an object's file, or why it could not be read.
type boundFile struct {
	f        *elfx.File
	err      error
	symbolic bool // DT_SYMBOLIC or DF_SYMBOLIC: it searches itself first
	exec     bool // the program (l_type == lt_executable), even when it is a shared library
}

type uniqueDef struct {
	o   *Object
	def elfx.Symbol
}

func newBinder(lm *LinkMap) *binder {
	b := &binder{lm: lm, files: map[*Object]*boundFile{}, unique: map[string]uniqueDef{}}
	for _, o := range lm.Objects {
		if o.Found() {
			b.global = append(b.global, o)
		}
	}
	return b
}

func (b *binder) close() {
	for _, bf := range b.files {
		if bf.f != nil {
			bf.f.Close()
		}
	}
}

// file opens o's file once.
func (b *binder) file(o *Object) *boundFile {
	if bf, ok := b.files[o]; ok {
		return bf
	}
	bf := &boundFile{exec: o == b.lm.Objects[0]}
	b.files[o] = bf
	path := o.Path
	if b.lm.hostPath != nil && o != b.lm.Objects[0] {
		hp, err := b.lm.hostPath(path)
		if err != nil {
			bf.err = fmt.Errorf("%s: %w", path, err)
			return bf
		}
		path = hp
	}
	f, err := elfx.Open(path)
	if err != nil {
		bf.err = err
		return bf
	}
	bf.f = f
	d, err := f.Dynamic()
	if err != nil {
		bf.err = err
		return bf
	}
	if d != nil {
		_, sym := d.Value(elf.DT_SYMBOLIC)
		flags, _ := d.Value(elf.DT_FLAGS)
		bf.symbolic = sym || elf.DynFlag(flags)&elf.DF_SYMBOLIC != 0
	}
	return bf
}

// relocationOrder is the order in which the loader relocates the link
// map: from the last object of the chain back to the program, then the
// interpreter, which rtld relocates again once the others are done.
func (b *binder) relocationOrder() []*Object {
	var order []*Object
	var interp *Object
	for i := len(b.global) - 1; i >= 0; i-- {
		if o := b.global[i]; o.interp {
			interp = o
		} else {
			order = append(order, o)
		}
	}
	if interp != nil {
		order = append(order, interp)
	}
	return order
}

// scope is o's l_scope: itself alone first when it is DT_SYMBOLIC (but
// not the program, whose own search list is the global scope), then the
// global scope.
func (b *binder) scope(o *Object) [][]*Object {
	if bf := b.file(o); bf.symbolic && o != b.lm.Objects[0] {
		return [][]*Object{{o}, b.global}
	}
	return [][]*Object{b.global}
}

// relocate makes the lookups of o's relocations.
func (b *binder) relocate(o *Object) ([]Binding, error) {
	bf := b.file(o)
	if bf.err != nil {
		return nil, bf.err
	}
	f := bf.f
	tables, err := f.RelocTables()
	if err != nil {
		return nil, err
	}
	var out []Binding
	for _, t := range tables {
		if t.Tag == elfx.DT_RELR {
			continue // relative relocations only
		}
		for r := range t.All() {
			if r.Sym == 0 {
				continue
			}
			class := elfx.ClassifyReloc(f.Machine, r.Type)
			if !symbolLookup(class) {
				continue
			}
			sym, err := f.Symbol(int(r.Sym))
			if err != nil {
				return out, err
			}
			// RESOLVE_MAP: a local symbol, or one whose visibility binds
			// it locally, is the object's own without a lookup.
			if sym.Bind() == elf.STB_LOCAL || sym.Visibility() == elf.STV_HIDDEN || sym.Visibility() == elf.STV_INTERNAL {
				continue
			}
			ref, err := f.Reference(int(r.Sym))
			if err != nil {
				return out, err
			}
			ref.PLT = pltClass(class)
			bd := Binding{
				From: o, Symbol: ref.Name, Version: ref.Version,
				Reloc: elfx.RelocTypeName(f.Machine, r.Type), Class: class, Offset: r.Offset,
				Weak: sym.Bind() == elf.STB_WEAK, ref: ref,
			}
			to, def, protected, err := b.lookup(o, sym, ref, class == elfx.RelocCopy)
			if err != nil {
				return out, err
			}
			bd.To, bd.Def, bd.Protected = to, def, protected
			out = append(out, bd)
		}
	}
	return out, nil
}

// symbolLookup reports whether a relocation of class c that names a
// symbol makes the loader look it up: all but R_*_NONE and the relative
// kinds, and types the loader does not know.
func symbolLookup(c elfx.RelocClass) bool {
	switch c {
	case elfx.RelocUnknown, elfx.RelocNone, elfx.RelocRelative, elfx.RelocIRelative:
		return false
	}
	return true
}

// pltClass is elf_machine_type_class's ELF_RTYPE_CLASS_PLT: PLT slots
// and, on every glibc port, the TLS relocations. A lookup of this class
// does not take an undefined symbol's value (a canonical PLT address in
// the executable) as a definition.
func pltClass(c elfx.RelocClass) bool { return c == elfx.RelocJumpSlot || c.TLS() }

// lookup is _dl_lookup_symbol_x for a reference ref of object from,
// whose symbol table entry is sym.
func (b *binder) lookup(from *Object, sym elfx.Symbol, ref elfx.SymbolRef, copyReloc bool) (*Object, elfx.Symbol, bool, error) {
	var to *Object
	var def elfx.Symbol
	for _, list := range b.scope(from) {
		o, d, found, err := b.lookupIn(list, from, ref, copyReloc)
		if err != nil {
			return nil, def, false, err
		}
		if found {
			to, def = o, d
			break
		}
	}
	if to == nil {
		return nil, def, false, nil
	}
	protected := sym.Visibility() == elf.STV_PROTECTED
	if protected && to != from {
		// The reference's own object defines it protected: a PLT lookup
		// keeps that definition; another keeps it when the scope has a
		// definition elsewhere to bind a PLT lookup to.
		keep := ref.PLT
		if !keep {
			pltRef := ref
			pltRef.PLT = true
			for _, list := range b.scope(from) {
				o, _, found, err := b.lookupIn(list, nil, pltRef, copyReloc)
				if err != nil {
					return nil, def, false, err
				}
				if found {
					keep = o != from
					break
				}
			}
		}
		if keep {
			to, def = from, sym
		}
	}
	return to, def, protected, nil
}

// lookupIn is do_lookup_x over one scope list: the first object whose
// definition check_match accepts, with weak definitions taken like
// strong ones (LD_DYNAMIC_WEAK unset) and unique symbols bound to the
// process's first definition. from is the object whose reference is
// looked up, nil for the loader's second lookup of a protected symbol.
func (b *binder) lookupIn(list []*Object, from *Object, ref elfx.SymbolRef, copyReloc bool) (*Object, elfx.Symbol, bool, error) {
	for _, o := range list {
		bf := b.file(o)
		if bf.err != nil {
			continue // the object was reported when it was relocated
		}
		if copyReloc && bf.exec {
			continue // a copy relocation's source is never the executable
		}
		i, def, err := bf.f.Lookup(ref)
		if err != nil {
			return nil, def, false, fmt.Errorf("looking up %s in %s: %w", ref.Name, o.Path, err)
		}
		if i < 0 {
			continue
		}
		if def.Bind() == elfx.STB_GNU_UNIQUE {
			return b.uniqueDef(o, def, from, ref, copyReloc)
		}
		return o, def, true, nil
	}
	return nil, elfx.Symbol{}, false, nil
}

// uniqueDef is do_lookup_unique: the first definition of a unique symbol
// the process meets is the one every later lookup of the name gets,
// whichever object the lookup found it in. A copy relocation enters the
// executable's copy in the table but still binds to the definition found.
func (b *binder) uniqueDef(o *Object, def elfx.Symbol, from *Object, ref elfx.SymbolRef, copyReloc bool) (*Object, elfx.Symbol, bool, error) {
	if u, ok := b.unique[ref.Name]; ok {
		if copyReloc {
			return o, def, true, nil
		}
		return u.o, u.def, true, nil
	}
	if copyReloc && from != nil {
		b.unique[ref.Name] = uniqueDef{from, def}
	} else {
		b.unique[ref.Name] = uniqueDef{o, def}
	}
	return o, def, true, nil
}
