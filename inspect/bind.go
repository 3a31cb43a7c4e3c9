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
	Def *elfx.Symbol // the definition in To; nil when To is
	// Weak marks a weak reference, which the loader leaves at zero
	// without complaint when no object defines the symbol.
	Weak bool
	// Protected marks a reference to a symbol From defines as protected:
	// the loader keeps From's own definition unless the scope finds none
	// elsewhere.
	Protected bool
	// Internal marks a lookup rtld makes for itself, not for a
	// relocation: its allocator's functions, looked up for the program
	// once the link map is relocated. Reloc is "" then.
	Internal bool
	// Dlsym marks a lookup dlsym makes on a handle (Dlopened.Dlsym), not
	// for a relocation. Reloc is "" then.
	Dlsym bool

	sym uint32 // the relocation's symbol index in From
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
// Objects are relocated in the loader's order, each after its
// dependencies and the program last; when a DT_NEEDED names the
// interpreter, rtld then looks up its allocator's functions and
// relocates itself again, as a real start does (trace mode, ldd -r,
// stops before). An object that cannot be read is reported in Errors and
// its lookups left out; a link map built by musl's rules is an error,
// since musl's lookup is another model.
func Bind(lm *LinkMap) (*Bindings, error) {
	if lm.musl {
		return nil, errors.New("symbol bindings are modelled for glibc's loader; this program uses musl's")
	}
	b := newBinder(lm)
	defer b.close()
	return b.bind(b.relocationOrder()), nil
}

// rtldAllocator are the functions rtld takes over from the process once
// the link map is relocated, in the order __rtld_malloc_init_real looks
// them up (elf/dl-minimal.c).
var rtldAllocator = []string{"calloc", "free", "malloc", "realloc"}

// rtldLookups are the lookups rtld makes for itself when a DT_NEEDED
// names it (rtld_multiple_ref), between relocating the others and
// relocating itself again: its allocator's functions, looked up in the
// program's scope with libc's oldest version (GLIBC_2.0's name on the
// port, libc's first version definition), so that a program or preload
// defining malloc replaces rtld's minimal one too.
func (b *binder) rtldLookups() ([]Binding, error) {
	var libc *boundFile
	for _, bf := range b.global {
		if bf.o.Soname == "libc.so.6" && bf.err == nil {
			libc = bf
			break
		}
	}
	if libc == nil {
		return nil, nil
	}
	defs, err := libc.f.VersionDefs()
	if err != nil {
		return nil, err
	}
	var base string
	for _, d := range defs {
		if d.Flags&elf.VER_FLG_BASE == 0 {
			base = d.Name
			break
		}
	}
	if base == "" {
		return nil, nil
	}
	main := b.files[b.lm.Objects[0]]
	var out []Binding
	for _, name := range rtldAllocator {
		ref := elfx.SymbolRef{Name: name, Version: base, VersionHash: elfx.SysVHash(base)}
		ref.Prehash()
		bd := Binding{From: main.o, Symbol: name, Version: base, Internal: true}
		to, def, err := b.lookupIn(b.global, main, ref, false)
		if err != nil {
			return out, err
		}
		if to != nil {
			bd.To, bd.Def = to.o, b.keep(def)
		}
		out = append(out, bd)
	}
	return out, nil
}

// bind relocates the objects in order.
func (b *binder) bind(order []*boundFile) *Bindings {
	res := &Bindings{LinkMap: b.lm}
	n := 0
	for _, bf := range order {
		n += bf.relocCount()
		if bf.o.interp {
			n += len(rtldAllocator)
		}
	}
	res.Bindings = make([]Binding, 0, n)
	for _, bf := range order {
		if bf.o.interp && bf.o != b.lm.Objects[0] {
			internal, err := b.rtldLookups()
			res.Bindings = append(res.Bindings, internal...)
			if err != nil {
				res.Errors = append(res.Errors, err)
			}
		}
		var err error
		if res.Bindings, err = b.relocate(bf, res.Bindings); err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	return res
}

// binder holds the loaded objects' files and the process-wide table of
// unique symbols while a link map is relocated.
type binder struct {
	lm     *LinkMap
	global []*boundFile // the main program's search list: the global scope
	files  map[*Object]*boundFile
	unique map[string]uniqueDef // _ns_unique_sym_table
	defs   []elfx.Symbol        // where the definitions bindings point to are kept
}

// keep returns a pointer to a lasting copy of def. Definitions are kept
// in chunks, one allocation for many lookups.
func (b *binder) keep(def elfx.Symbol) *elfx.Symbol {
	if len(b.defs) == cap(b.defs) {
		b.defs = make([]elfx.Symbol, 0, 1024)
	}
	b.defs = append(b.defs, def)
	return &b.defs[len(b.defs)-1]
}

// boundFile is a loaded object with its file, or why it could not be
// read.
type boundFile struct {
	o        *Object
	f        *elfx.File
	err      error
	symbolic bool // DT_SYMBOLIC or DF_SYMBOLIC: it searches itself first
	exec     bool // the program (l_type == lt_executable), even when it is a shared library
	// scope is l_scope: the lists a lookup from this object walks.
	scope [][]*boundFile
	// maxVersion is versionLimit's answer.
	maxVersion int
	tables     []elfx.RelocTable // relocTables's, until relocate takes them
	tablesErr  error
	nreloc     int // relocCount's answer; -1 until it is counted
}

type uniqueDef struct {
	bf  *boundFile
	def elfx.Symbol
}

// newBinder opens every object of lm's global scope.
func newBinder(lm *LinkMap) *binder {
	b := &binder{lm: lm, files: map[*Object]*boundFile{}, unique: map[string]uniqueDef{}}
	for _, o := range lm.Objects {
		if o.Found() {
			b.global = append(b.global, b.open(o))
		}
	}
	for _, bf := range b.global {
		// The program's own search list is the global scope.
		if bf.symbolic && !bf.exec {
			bf.scope = [][]*boundFile{{bf}, b.global}
		} else {
			bf.scope = [][]*boundFile{b.global}
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

// open opens o's file and reads what its lookups depend on.
func (b *binder) open(o *Object) *boundFile {
	bf := &boundFile{o: o, exec: o == b.lm.Objects[0], nreloc: -1}
	b.files[o] = bf
	path, err := b.lm.HostPath(o)
	if err != nil {
		bf.err = fmt.Errorf("%s: %w", o.Path, err)
		return bf
	}
	f, err := elfx.Open(path)
	if err != nil {
		bf.err = err
		return bf
	}
	bf.f = f
	bf.maxVersion = bf.versionLimit()
	d, err := f.Dynamic()
	if err != nil {
		bf.err = err
		return bf
	}
	bf.symbolic = d != nil && d.Symbolic()
	return bf
}

// relocationOrder is the order in which the loader relocates the link
// map: the program's l_initfini, dependencies sorted before the objects
// that need them, walked from its end, so that every object is relocated
// after its dependencies and the program last; then the interpreter,
// which rtld relocates again once the others are done. Only unique
// symbols, bound to the first definition a lookup met, see the order.
func (b *binder) relocationOrder() []*boundFile {
	main := b.files[b.lm.Objects[0]]
	sorted := sortMaps(b.global, func(bf *boundFile) []*Object {
		if bf == main {
			return nil // its l_initfini is still being built when it is sorted
		}
		return bf.o.Deps
	}, func(o *Object) *boundFile {
		if dep := b.files[o]; dep != main {
			return dep
		}
		return nil
	})
	var order []*boundFile
	var interp *boundFile
	for i := len(sorted) - 1; i >= 0; i-- {
		if bf := sorted[i]; bf.o.interp {
			interp = bf
		} else {
			order = append(order, bf)
		}
	}
	if interp != nil {
		order = append(order, interp)
	}
	return order
}

// sortMaps is _dl_sort_maps_dfs, glibc's default since 2.35: a depth-first
// walk from each object, the last first, along its dependencies (deps,
// each mapped to its file by file, nil for one the walk must not enter),
// placing each object after its walk in reverse postorder. The result
// lists every object before the ones it depends on.
func sortMaps(maps []*boundFile, deps func(*boundFile) []*Object, file func(*Object) *boundFile) []*boundFile {
	visited := make(map[*boundFile]bool, len(maps))
	rpo := make([]*boundFile, len(maps))
	head := len(rpo)
	var walk func(bf *boundFile)
	walk = func(bf *boundFile) {
		if visited[bf] {
			return
		}
		visited[bf] = true
		for _, o := range deps(bf) {
			if dep := file(o); dep != nil && !visited[dep] {
				walk(dep)
			}
		}
		if head > 0 { // an object outside maps is walked but not placed
			head--
			rpo[head] = bf
		}
	}
	for i := len(maps) - 1; i >= 0 && head > 0; i-- {
		walk(maps[i])
	}
	return rpo[head:]
}

// lookupKey identifies the lookups of one object that give the same
// answer: one symbol, looked up for a PLT-class or a copy relocation or
// neither. The loader itself caches only the last (l_lookup_cache).
type lookupKey struct {
	sym       uint32
	plt, copy bool
}

// kind numbers the lookups of one symbol: 0 for a plain one, 1 for a
// PLT-class one, 2 for a copy relocation's.
func (k lookupKey) kind() int {
	switch {
	case k.plt:
		return 1
	case k.copy:
		return 2
	}
	return 0
}

type lookupResult struct {
	local         bool // the symbol binds locally: no lookup
	name, version string
	weak          bool
	to            *boundFile
	def           *elfx.Symbol
	protected     bool
}

// lookupReloc is RESOLVE_MAP for the relocations of bf that key stands
// for: a local symbol, or one whose visibility binds it locally, is the
// object's own without a lookup; any other is looked up with the
// version its index names.
func (b *binder) lookupReloc(bf *boundFile, key lookupKey) (lookupResult, error) {
	sym, err := bf.f.Symbol(int(key.sym))
	if err != nil {
		return lookupResult{}, err
	}
	if sym.Bind() == elf.STB_LOCAL || sym.Visibility() == elf.STV_HIDDEN || sym.Visibility() == elf.STV_INTERNAL {
		return lookupResult{local: true}, nil
	}
	ref, err := bf.f.Reference(int(key.sym))
	if err != nil {
		return lookupResult{}, err
	}
	if bf.maxVersion >= 0 && int(sym.VersionIndex.Index()) > bf.maxVersion {
		ref.Version, ref.VersionHash, ref.VersionHidden = "", 0, false
	}
	ref.PLT = key.plt
	ref.Prehash()
	res, err := b.lookup(bf, sym, ref, key.copy)
	res.name, res.version, res.weak = ref.Name, ref.Version, sym.Bind() == elf.STB_WEAK
	return res, err
}

// versionLimit is the highest version index l_versions holds when some
// of bf's dependencies are missing, -1 when none is. The loader cannot
// run such a program, but ldd -r (trace mode) relocates it anyway, and
// _dl_check_map_versions then sizes l_versions by the DT_VERNEED entries
// of the libraries it found and the DT_VERDEF entries only: a reference
// to a version of a missing library with a higher index is looked up
// without a version.
func (bf *boundFile) versionLimit() int {
	missing := map[string]bool{}
	for i, dep := range bf.o.Deps {
		if !dep.Found() {
			missing[bf.o.DepNames[i]] = true
		}
	}
	if len(missing) == 0 {
		return -1
	}
	high := 0
	needs, _ := bf.f.VersionNeeds()
	for _, n := range needs {
		if missing[n.File] {
			continue
		}
		for _, a := range n.Needs {
			high = max(high, int(a.Index&0x7fff))
		}
	}
	defs, _ := bf.f.VersionDefs()
	for _, d := range defs {
		high = max(high, int(d.Index&0x7fff))
	}
	return high
}

// relocTables decodes bf's relocation tables once: Bind counts their
// entries before it relocates them.
func (bf *boundFile) relocTables() ([]elfx.RelocTable, error) {
	if bf.tables == nil && bf.tablesErr == nil {
		bf.tables, bf.tablesErr = bf.f.RelocTables()
		if bf.tables == nil && bf.tablesErr == nil {
			bf.tables = []elfx.RelocTable{}
		}
	}
	return bf.tables, bf.tablesErr
}

// relocCount is an upper bound on the lookups of bf's relocations: the
// entries of its tables that name a symbol, counted once.
func (bf *boundFile) relocCount() int {
	if bf.err != nil {
		return 0
	}
	if bf.nreloc < 0 {
		bf.nreloc = 0
		tables, _ := bf.relocTables()
		for _, t := range tables {
			for _, r := range t.Relocs {
				if r.Sym != 0 {
					bf.nreloc++
				}
			}
		}
	}
	return bf.nreloc
}

// relocate appends to out the lookups of bf's relocations.
func (b *binder) relocate(bf *boundFile, out []Binding) ([]Binding, error) {
	if bf.err != nil {
		return out, bf.err
	}
	f := bf.f
	tables, err := bf.relocTables()
	if err != nil {
		return out, err
	}
	defer func() { bf.tables = nil }() // read once: let them go with this object's lookups
	nsyms, err := f.NumSymbols()
	if err != nil {
		return out, err
	}
	// The answers so far, by symbol and kind of lookup: the index in
	// results plus one.
	seen := make([]int32, 3*nsyms)
	results := make([]lookupResult, 0, min(nsyms, bf.relocCount()))
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
			if int(r.Sym) >= nsyms {
				return out, fmt.Errorf("%s: relocation at %#x names symbol %d of %d", bf.o.Path, r.Offset, r.Sym, nsyms)
			}
			key := lookupKey{r.Sym, pltClass(class), class == elfx.RelocCopy}
			slot := &seen[3*int(r.Sym)+key.kind()]
			if *slot == 0 {
				res, err := b.lookupReloc(bf, key)
				if err != nil {
					return out, err
				}
				results = append(results, res)
				*slot = int32(len(results))
			}
			res := &results[*slot-1]
			if res.local {
				continue
			}
			bd := Binding{
				From: bf.o, Symbol: res.name, Version: res.version,
				Reloc: elfx.RelocTypeName(f.Machine, r.Type), Class: class, Offset: r.Offset,
				Def: res.def, Weak: res.weak, Protected: res.protected, sym: r.Sym,
			}
			if res.to != nil {
				bd.To = res.to.o
			}
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
func (b *binder) lookup(from *boundFile, sym elfx.Symbol, ref elfx.SymbolRef, copyReloc bool) (lookupResult, error) {
	var res lookupResult
	for _, list := range from.scope {
		to, def, err := b.lookupIn(list, from, ref, copyReloc)
		if err != nil {
			return res, err
		}
		if to != nil {
			res.to, res.def = to, b.keep(def)
			break
		}
	}
	if res.to == nil {
		return res, nil
	}
	res.protected = sym.Visibility() == elf.STV_PROTECTED
	if res.protected && res.to != from {
		// The reference's own object defines it protected: a PLT lookup
		// keeps that definition; another keeps it when the scope has a
		// definition elsewhere to bind a PLT lookup to.
		keep := ref.PLT
		if !keep {
			pltRef := ref
			pltRef.PLT = true
			for _, list := range from.scope {
				to, _, err := b.lookupIn(list, nil, pltRef, copyReloc)
				if err != nil {
					return res, err
				}
				if to != nil {
					keep = to != from
					break
				}
			}
		}
		if keep {
			res.to, res.def = from, b.keep(sym)
		}
	}
	return res, nil
}

// lookupIn is do_lookup_x over one scope list: the first object whose
// definition check_match accepts, with weak definitions taken like
// strong ones (LD_DYNAMIC_WEAK unset) and unique symbols bound to the
// process's first definition. from is the object whose reference is
// looked up, nil for the loader's second lookup of a protected symbol.
func (b *binder) lookupIn(list []*boundFile, from *boundFile, ref elfx.SymbolRef, copyReloc bool) (*boundFile, elfx.Symbol, error) {
	var def elfx.Symbol
	for _, bf := range list {
		if bf.err != nil {
			continue // the object was reported when it was relocated
		}
		if copyReloc && bf.exec {
			continue // a copy relocation's source is never the executable
		}
		i, err := bf.f.LookupIndex(&ref)
		if err == nil && i >= 0 {
			def, err = bf.f.Symbol(i)
		}
		if err != nil {
			return nil, def, fmt.Errorf("looking up %s in %s: %w", ref.Name, bf.o.Path, err)
		}
		if i < 0 {
			continue
		}
		if def.Bind() == elfx.STB_GNU_UNIQUE {
			to, udef := b.uniqueDef(bf, def, from, ref, copyReloc)
			return to, udef, nil
		}
		return bf, def, nil
	}
	return nil, elfx.Symbol{}, nil
}

// uniqueDef is do_lookup_unique: the first definition of a unique symbol
// the process meets is the one every later lookup of the name gets,
// whichever object the lookup found it in. A copy relocation enters the
// executable's copy in the table but still binds to the definition found.
func (b *binder) uniqueDef(bf *boundFile, def elfx.Symbol, from *boundFile, ref elfx.SymbolRef, copyReloc bool) (*boundFile, elfx.Symbol) {
	if u, ok := b.unique[ref.Name]; ok {
		if copyReloc {
			return bf, def
		}
		return u.bf, u.def
	}
	if copyReloc && from != nil {
		b.unique[ref.Name] = uniqueDef{from, def}
	} else {
		b.unique[ref.Name] = uniqueDef{bf, def}
	}
	return bf, def
}
