package elfx

import (
	"debug/elf"
	"fmt"
	"iter"
	"strings"
)

// Symbol is one entry of the dynamic symbol table with its version.
type Symbol struct {
	Name    string
	Info    uint8 // st_info: binding and type
	Other   uint8 // st_other: visibility
	Section elf.SectionIndex
	Value   uint64
	Size    uint64

	// HasVersion reports whether the file has DT_VERSYM; VersionIndex is
	// then the symbol's raw entry, hidden bit included.
	HasVersion   bool
	VersionIndex elf.VersionIndex
	Version      string // the version name, "" for local and global (index 0 and 1)
	Library      string // for a needed version, the library it is needed from
}

func (s *Symbol) Bind() elf.SymBind      { return elf.ST_BIND(s.Info) }
func (s *Symbol) Type() elf.SymType      { return elf.ST_TYPE(s.Info) }
func (s *Symbol) Visibility() elf.SymVis { return elf.ST_VISIBILITY(s.Other) }

// Defined reports whether the symbol is a definition rather than a
// reference to another object.
func (s *Symbol) Defined() bool { return s.Section != elf.SHN_UNDEF }

// DefaultVersion reports whether a defined symbol carries its version as
// the default (name@@VERSION) rather than hidden (name@VERSION).
func (s *Symbol) DefaultVersion() bool {
	return s.Version != "" && s.Defined() && !s.VersionIndex.IsHidden()
}

// symbolTable locates DT_SYMTAB and the tables that index it.
type symbolTable struct {
	raw    []byte // count records
	count  int
	strtab string
	versym []byte // 2 bytes a symbol, or nil
	gnu    *gnuHashTable
	sysv   *sysvHashTable
	vers   *versionTables
	off    uint64 // file offset of DT_SYMTAB
}

func (f *File) symbols() (*symbolTable, error) {
	if f.closed.Load() {
		return nil, ErrClosed
	}
	f.symOnce.Do(func() { f.syms, f.symErr = f.readSymbolTable() })
	return f.syms, f.symErr
}

func (f *File) readSymbolTable() (*symbolTable, error) {
	t := &symbolTable{}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		return t, err
	}
	addr, ok := d.Value(elf.DT_SYMTAB)
	if !ok {
		return t, nil
	}
	if ent, ok := d.Value(elf.DT_SYMENT); ok && ent != uint64(f.layout.sym) {
		return nil, f.formatErr(d.Off, "DT_SYMENT is %d, want %d", ent, f.layout.sym)
	}
	t.strtab = f.stringTable()
	if t.gnu, err = f.readGNUHash(d); err != nil {
		return nil, err
	}
	if t.sysv, err = f.readSysVHash(d); err != nil {
		return nil, err
	}
	count, err := f.symbolCount(addr, t)
	if err != nil {
		return nil, err
	}
	size := uint64(f.layout.sym)
	if count > f.src.size/size {
		return nil, f.formatErr(d.Off, "%d dynamic symbols do not fit in the file", count)
	}
	if t.raw, err = f.readAddr(addr, count*size, fmt.Sprintf("DT_SYMTAB (%d symbols)", count), d.Off); err != nil {
		return nil, err
	}
	t.count = int(count)
	t.off, _ = f.offsetOf(addr, count*size)
	if vaddr, ok := d.Value(elf.DT_VERSYM); ok {
		if t.versym, err = f.readAddr(vaddr, 2*count, "DT_VERSYM", d.Off); err != nil {
			return nil, err
		}
		if t.vers, err = f.versions(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// symbolCount sizes DT_SYMTAB, which the dynamic array does not, from the
// loader's own view: nchain of DT_HASH, or the end of DT_GNU_HASH's last
// chain (the symbols before symoffset and the hashed ones after it are
// all of them). Only a file with neither table falls back to its .dynsym
// section header, which also saves reading the end of every file.
func (f *File) symbolCount(addr uint64, t *symbolTable) (uint64, error) {
	if t.sysv != nil {
		return uint64(t.sysv.nchain), nil
	}
	if t.gnu != nil {
		n, err := t.gnu.symbolCount(f)
		return uint64(n), err
	}
	if n, ok := f.dynsymSectionCount(addr); ok {
		return n, nil
	}
	return 0, f.formatErr(0, "neither DT_HASH, DT_GNU_HASH nor a .dynsym section header gives the size of DT_SYMTAB")
}

// DynamicSymbols returns every entry of the dynamic symbol table, the null
// symbol at index 0 included, so that a relocation's symbol index is an
// index into the result.
func (f *File) DynamicSymbols() ([]Symbol, error) {
	t, err := f.symbols()
	if err != nil {
		return nil, err
	}
	syms := make([]Symbol, t.count)
	for i := range syms {
		if err := f.decodeSymbol(t, i, &syms[i]); err != nil {
			return nil, err
		}
	}
	return syms, nil
}

// AllSymbols yields the entries of the dynamic symbol table in index order,
// the null symbol included, decoding each when it is reached: a walk over
// the symbols of many files needs no slice per file. On malformed input it
// yields the error once and stops.
func (f *File) AllSymbols() iter.Seq2[Symbol, error] {
	return func(yield func(Symbol, error) bool) {
		t, err := f.symbols()
		if err != nil {
			yield(Symbol{}, err)
			return
		}
		for i := 0; i < t.count; i++ {
			var s Symbol
			if err := f.decodeSymbol(t, i, &s); err != nil {
				yield(Symbol{}, err)
				return
			}
			if !yield(s, nil) {
				return
			}
		}
	}
}

// Symbol returns dynamic symbol i.
func (f *File) Symbol(i int) (Symbol, error) {
	t, err := f.symbols()
	if err != nil {
		return Symbol{}, err
	}
	if i < 0 || i >= t.count {
		return Symbol{}, fmt.Errorf("%s: symbol index %d out of range (%d dynamic symbols)", f.path, i, t.count)
	}
	var s Symbol
	err = f.decodeSymbol(t, i, &s)
	return s, err
}

// NumSymbols returns the number of dynamic symbols, index 0 included.
func (f *File) NumSymbols() (int, error) {
	t, err := f.symbols()
	if err != nil {
		return 0, err
	}
	return t.count, nil
}

func (f *File) decodeSymbol(t *symbolTable, i int, s *Symbol) error {
	nameOff := f.rawSymbol(t, i, s)
	name, ok := stringAt(t.strtab, uint64(nameOff))
	if !ok {
		return f.formatErr(t.off+uint64(i*f.layout.sym), "symbol %d name offset %#x outside DT_STRTAB (%d bytes)", i, nameOff, len(t.strtab))
	}
	s.Name = name
	if t.versym == nil {
		return nil
	}
	s.HasVersion = true
	s.VersionIndex = elf.VersionIndex(f.decoder(t.versym).u16(2 * i))
	if ndx := s.VersionIndex.Index(); ndx > 1 {
		info, ok := t.vers.lookup(ndx)
		if !ok {
			return f.formatErr(t.off+uint64(i*f.layout.sym), "symbol %d (%s) has version index %d, which no DT_VERNEED or DT_VERDEF entry defines", i, name, ndx)
		}
		s.Version, s.Library = info.name, info.file
	}
	return nil
}

// rawSymbol decodes symbol i's fixed fields into s and returns its name
// offset.
func (f *File) rawSymbol(t *symbolTable, i int, s *Symbol) uint32 {
	d := f.decoder(t.raw[i*f.layout.sym:])
	if f.Class == elf.ELFCLASS64 {
		s.Info, s.Other, s.Section = d.b[4], d.b[5], elf.SectionIndex(d.u16(6))
		s.Value, s.Size = d.u64(8), d.u64(16)
	} else {
		s.Value, s.Size = uint64(d.u32(4)), uint64(d.u32(8))
		s.Info, s.Other, s.Section = d.b[12], d.b[13], elf.SectionIndex(d.u16(14))
	}
	return d.u32(0)
}

// SymTypeName names a symbol type without its STT_ prefix, as readelf
// does, with the GNU name for the OS-specific value (IFUNC, not LOOS).
func SymTypeName(t elf.SymType) string {
	if t == elf.STT_GNU_IFUNC {
		return "IFUNC"
	}
	return strings.TrimPrefix(t.String(), "STT_")
}

// STB_GNU_UNIQUE is the binding of a symbol the loader keeps unique across
// the process; debug/elf knows the value only as STB_LOOS.
const STB_GNU_UNIQUE elf.SymBind = 10

// SymBindName names a symbol binding without its STB_ prefix, with the GNU
// name for the OS-specific value (UNIQUE, not LOOS).
func SymBindName(b elf.SymBind) string {
	if b == STB_GNU_UNIQUE {
		return "UNIQUE"
	}
	return strings.TrimPrefix(b.String(), "STB_")
}
