package elfx

import "debug/elf"

// SymbolRef is what a reference asks the loader to find in one object.
type SymbolRef struct {
	Name string
	// Version is the version the reference needs, "" for an unversioned
	// reference; VersionHash is its SysV hash (vna_hash) and VersionHidden
	// the hidden bit of the reference's version index.
	Version       string
	VersionHash   uint32
	VersionHidden bool
	// PLT marks a reference from a PLT relocation, for which an undefined
	// symbol's value (a canonical PLT address in an executable) is no
	// definition.
	PLT bool
	// Newest gives dlsym's rule for unversioned names: the default version
	// wins, where references from objects built without versions get the
	// oldest.
	Newest bool

	// The name's GNU hash, when Prehash computed it: a lookup walks
	// many objects with one name, and the loader hashes it once.
	gnuHash uint32
	hashed  bool
}

// Prehash computes the name's GNU hash once, for the lookups of ref in
// every object of a scope. (The SysV hash is computed by each lookup that
// needs it: only objects without DT_GNU_HASH do, few nowadays.)
func (ref *SymbolRef) Prehash() {
	ref.gnuHash, ref.hashed = GNUHash(ref.Name), true
}

func (ref *SymbolRef) gnu() uint32 {
	if ref.hashed {
		return ref.gnuHash
	}
	return GNUHash(ref.Name)
}

// Reference returns what a relocation naming symbol i asks the loader to
// find: the symbol's name and, when the object has DT_VERSYM and the
// symbol's index names a version other than the base, that version with
// the hash and hidden bit of its entry, as _dl_check_map_versions fills
// l_versions and the relocation code passes it to the lookup. An index no
// entry defines is an unversioned reference, as in the loader's zeroed
// table. PLT is left for the caller, who knows the relocation.
func (f *File) Reference(i int) (SymbolRef, error) {
	t, err := f.symbols()
	if err != nil {
		return SymbolRef{}, err
	}
	if i < 0 || i >= t.count {
		return SymbolRef{}, f.formatErr(t.off, "symbol index %d outside the dynamic symbol table (%d symbols)", i, t.count)
	}
	var s Symbol
	nameOff := f.rawSymbol(t, i, &s)
	name, ok := stringAt(t.strtab, uint64(nameOff))
	if !ok {
		return SymbolRef{}, f.formatErr(t.off+uint64(i*f.layout.sym), "symbol %d name offset %#x outside DT_STRTAB (%d bytes)", i, nameOff, len(t.strtab))
	}
	ref := SymbolRef{Name: name}
	if t.versym != nil {
		ndx := f.decoder(t.versym).u16(2*i) & 0x7fff
		if v, ok := t.vers.lookup(ndx); ok && v.hash != 0 {
			ref.Version, ref.VersionHash, ref.VersionHidden = v.name, v.hash, v.hidden
		}
	}
	return ref, nil
}

// Lookup finds the definition of ref in this object as glibc's do_lookup_x
// does: through DT_GNU_HASH (bloom filter, bucket, chain) when present, else
// DT_HASH, with check_match's tests of value, type, name and version, and
// the fallback to the only non-hidden version of an unversioned name.
// Local symbols and hidden or internal ones are no definition for another
// object. It returns the symbol's index, or -1 when this object does not
// define it.
func (f *File) Lookup(ref SymbolRef) (int, Symbol, error) {
	i, err := f.LookupIndex(&ref)
	if i < 0 || err != nil {
		return -1, Symbol{}, err
	}
	sym, err := f.Symbol(i)
	if err != nil {
		return -1, Symbol{}, err
	}
	return i, sym, nil
}

// LookupIndex is Lookup without decoding the definition: the index of the
// symbol that defines ref in this object, or -1. A scope walk asks most
// objects in vain, and those answers cost no more than the bloom filter.
func (f *File) LookupIndex(ref *SymbolRef) (int, error) {
	t, err := f.symbols()
	if err != nil {
		return -1, err
	}
	if t.gnu != nil && (t.gnu.nbuckets == 0 || !t.gnu.mayContain(f, ref.gnu())) {
		return -1, nil // most objects of a scope: the bloom filter says no
	}
	found, versioned, numVersions := -1, -1, 0
	var sym Symbol
	try := func(i uint32) bool {
		if f.checkMatch(t, ref, int(i), &sym, &versioned, &numVersions) {
			found = int(i)
			return true
		}
		return false
	}
	switch {
	case t.gnu != nil:
		err = t.gnu.candidates(f, ref.gnu(), try)
	case t.sysv != nil:
		err = t.sysv.candidates(f, SysVHash(ref.Name), try)
	}
	if err != nil {
		return -1, err
	}
	if found < 0 && numVersions == 1 {
		found = versioned
	}
	if found < 0 {
		return -1, nil
	}
	f.rawSymbol(t, found, &sym)
	if sym.Bind() == elf.STB_LOCAL || sym.Visibility() == elf.STV_HIDDEN || sym.Visibility() == elf.STV_INTERNAL {
		return -1, nil
	}
	return found, nil
}

// allowedTypes are the symbol types that define code or data.
const allowedTypes = 1<<elf.STT_NOTYPE | 1<<elf.STT_OBJECT | 1<<elf.STT_FUNC |
	1<<elf.STT_COMMON | 1<<elf.STT_TLS | 1<<elf.STT_GNU_IFUNC

// checkMatch is glibc's check_match for symbol i. It records in versioned
// and numVersions the non-hidden versioned definitions an unversioned
// reference passed over.
func (f *File) checkMatch(t *symbolTable, ref *SymbolRef, i int, s *Symbol, versioned, numVersions *int) bool {
	if i >= t.count {
		return false
	}
	nameOff := f.rawSymbol(t, i, s)
	if (s.Value == 0 && s.Section != elf.SHN_ABS && s.Type() != elf.STT_TLS) ||
		(ref.PLT && s.Section == elf.SHN_UNDEF) {
		return false
	}
	if 1<<s.Type()&allowedTypes == 0 {
		return false
	}
	if name, ok := stringAt(t.strtab, uint64(nameOff)); !ok || name != ref.Name {
		return false
	}
	if t.versym == nil {
		return true // an object without versions satisfies any version
	}
	raw := f.decoder(t.versym).u16(2 * i)
	ndx, hidden := raw&0x7fff, raw&0x8000 != 0
	if ref.Version != "" {
		def, _ := t.vers.lookup(ndx)
		return (def.hash == ref.VersionHash && def.name == ref.Version) ||
			!(ref.VersionHidden || def.hash != 0 || hidden)
	}
	limit := uint16(3)
	if ref.Newest {
		limit = 2
	}
	if ndx >= limit {
		if !hidden {
			if *numVersions == 0 {
				*versioned = i
			}
			*numVersions++
		}
		return false
	}
	return true
}
