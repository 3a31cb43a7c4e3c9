package inspect

import (
	"debug/elf"
	"errors"
	"fmt"
	"slices"

	"github.com/elfx/elfx/elfx"
)

// DlopenMode is the part of dlopen's flags that decides a library's
// lookup scope.
type DlopenMode int

const (
	// RTLDLocal keeps the library's symbols out of the global scope:
	// its own lookups walk the global scope, then its local scope.
	RTLDLocal DlopenMode = iota
	// RTLDGlobal adds the library's search list to the global scope
	// once it is relocated: its own lookups are those of RTLDLocal,
	// later loads see its symbols.
	RTLDGlobal
	// RTLDDeepbind puts the library's local scope before the global one
	// for its own lookups.
	RTLDDeepbind
)

func (m DlopenMode) String() string {
	switch m {
	case RTLDLocal:
		return "RTLD_LOCAL"
	case RTLDGlobal:
		return "RTLD_GLOBAL"
	case RTLDDeepbind:
		return "RTLD_DEEPBIND"
	}
	return fmt.Sprintf("DlopenMode(%d)", int(m))
}

// Dlopened is what dlopen does to a program that is running: the
// library, the objects it brought in, and its search list.
type Dlopened struct {
	Host    *LinkMap
	Library *Object
	Mode    DlopenMode
	// Loaded are the objects this dlopen added to the process, in load
	// order: the only ones it relocates. Empty when the library was
	// already loaded.
	Loaded []*Object
	// SearchList is the library's l_searchlist, its local scope: the
	// library and its dependencies breadth first, objects the program
	// had loaded already included.
	SearchList []*Object
}

// Dlopen predicts what dlopen(path, mode) called by the program does,
// once the program's link map is loaded, as glibc's dl_open_worker does:
// the library is opened as the program asks for it (a name with a slash
// as it is, $ORIGIN being the program's), an object already loaded
// answers to its names, soname and file as at startup, and the new
// library's dependencies are searched with its own DT_RPATH and
// DT_RUNPATH, the program's DT_RPATH, LD_LIBRARY_PATH, the cache and the
// default directories: a dlopened library has no loader of its own, so
// the DT_RPATH chain stops at it. Filtees of a dlopened library are
// searched like its other dependencies but not placed before their
// filter.
func (lm *LinkMap) Dlopen(path string, mode DlopenMode) (*Dlopened, error) {
	r := lm.resolver
	if r == nil || lm.musl {
		return nil, errors.New("dlopen is modelled for glibc's loader; this program uses musl's")
	}
	for _, o := range lm.Objects {
		if !o.Found() {
			return nil, fmt.Errorf("%s cannot run: %s is missing, so it never calls dlopen", lm.Objects[0].Path, o.Name)
		}
	}
	before := len(r.loaded)
	lib := r.mapObject(r.main, path, false)
	if !lib.Found() {
		return nil, fmt.Errorf("dlopen %s: %w", path, lib.Err)
	}
	d := &Dlopened{Host: lm, Library: lib, Mode: mode}
	isNew := func(o *Object) bool { return slices.Contains(r.loaded[before:], o) }
	if isNew(lib) {
		lib.loader = nil // __RTLD_CALLMAP: the library acts as its own loader
		lib.Rule, lib.NeededBy, lib.Depth = RuleDirect, nil, 0
	}
	// _dl_map_object_deps from the library: breadth first, every object
	// walked once, those loaded before included but left as they are.
	listed := map[*Object]bool{lib: true}
	d.SearchList = []*Object{lib}
	for i := 0; i < len(d.SearchList); i++ {
		o := d.SearchList[i]
		fresh := isNew(o)
		for _, dep := range o.deps {
			got := r.mapObject(o, dep.name, false)
			if dep.tag == elf.DT_AUXILIARY && !got.Found() {
				r.drop(got)
				continue
			}
			if !got.Found() {
				return nil, fmt.Errorf("dlopen %s: %s, needed by %s: %w", path, dep.name, o.Path, got.Err)
			}
			if fresh {
				o.Deps = append(o.Deps, got)
				o.DepNames = append(o.DepNames, dep.name)
			}
			if isNew(got) && got.NeededBy == nil && got != lib {
				got.NeededBy, got.Depth = o, o.Depth+1
			}
			if !listed[got] {
				listed[got] = true
				d.SearchList = append(d.SearchList, got)
			}
		}
	}
	d.Loaded = append(d.Loaded, r.loaded[before:]...)
	return d, nil
}

// BindDlopen predicts the symbol lookups dlopen makes to relocate the
// objects it loaded: each in its l_scope, which is the global scope then
// the library's search list, or the other way round under RTLD_DEEPBIND;
// an object with DT_SYMBOLIC (without RTLD_DEEPBIND) searches itself
// first. The new objects are relocated dependencies first.
func BindDlopen(d *Dlopened) (*Bindings, error) {
	b := newBinder(d.Host)
	defer b.close()
	local := b.searchList(d)
	// dl_open_worker relocates the new objects of the library's
	// l_initfini, sorted, from the end: dependencies first.
	fresh := map[*Object]*boundFile{}
	var maps []*boundFile
	for i, o := range d.SearchList {
		if slices.Contains(d.Loaded, o) {
			fresh[o] = local[i]
			maps = append(maps, local[i])
		}
	}
	sorted := sortMaps(maps, func(bf *boundFile) []*Object { return bf.o.Deps }, func(o *Object) *boundFile { return fresh[o] })
	var order []*boundFile
	for i := len(sorted) - 1; i >= 0; i-- {
		bf := sorted[i]
		switch {
		case d.Mode == RTLDDeepbind:
			bf.scope = [][]*boundFile{local, b.global}
		case bf.symbolic:
			bf.scope = [][]*boundFile{{bf}, b.global, local}
		default:
			bf.scope = [][]*boundFile{b.global, local}
		}
		order = append(order, bf)
	}
	return b.bind(order), nil
}

// Dlsym predicts dlsym(handle, name) for each name, the handle being the
// library d opened, as glibc's do_sym looks a name up on a handle: an
// unversioned lookup in which the default version wins, in the library's
// search list, made on the library's behalf (LD_DEBUG shows the library
// binding to the definition). A name no object defines has a nil To.
func (d *Dlopened) Dlsym(names ...string) ([]Binding, error) {
	b := newBinder(d.Host)
	defer b.close()
	list := b.searchList(d)
	var out []Binding
	for _, name := range names {
		ref := elfx.SymbolRef{Name: name, Newest: true}
		ref.Prehash()
		to, def, err := b.lookupIn(list, list[0], ref, false)
		if err != nil {
			return out, err
		}
		bd := Binding{From: d.Library, Symbol: name, Dlsym: true}
		if to != nil {
			bd.To, bd.Def = to.o, b.keep(def)
		}
		out = append(out, bd)
	}
	return out, nil
}

// searchList is d's search list with the binder's files, opening those
// of the objects the dlopen loaded.
func (b *binder) searchList(d *Dlopened) []*boundFile {
	list := make([]*boundFile, len(d.SearchList))
	for i, o := range d.SearchList {
		if bf, ok := b.files[o]; ok {
			list[i] = bf
		} else {
			list[i] = b.open(o)
		}
	}
	return list
}
