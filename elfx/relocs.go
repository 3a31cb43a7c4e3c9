package elfx

import (
	"debug/elf"
	"fmt"
	"iter"
)

// Reloc is one dynamic relocation.
type Reloc struct {
	Offset uint64 // r_offset: the address the loader writes
	Type   uint32 // machine-specific; see RelocTypeName and ClassifyReloc
	Sym    uint32 // index into DynamicSymbols; 0 for none
	Addend int64  // r_addend; 0 in REL and RELR tables, whose addend is in place
}

// RelocTable is one of the relocation tables the dynamic array points at.
type RelocTable struct {
	// Tag names the table: DT_RELA, DT_REL, DT_RELR, or DT_JMPREL for the
	// PLT relocations (whose format DT_PLTREL gives).
	Tag      elf.DynTag
	Addr     uint64
	Size     uint64
	Off      uint64   // file offset of the table
	Addend   bool     // entries carry r_addend (RELA format)
	Relocs   []Reloc  // the entries of a DT_REL, DT_RELA or DT_JMPREL table
	Relr     []uint64 // the raw words of a DT_RELR table; All expands them
	relative uint32   // the machine's RELATIVE type, which DT_RELR entries stand for
	word     uint64   // bytes in an address, the stride of DT_RELR bitmaps
}

// All yields the table's relocations in order, expanding DT_RELR: an even
// word is an address to relocate; an odd word is a bitmap of the word-size
// slots that follow the last address, bit i (from 1) for slot i-1. The
// expansion is lazy because a hostile bitmap multiplies the table's size by
// the word's bit count.
func (t *RelocTable) All() iter.Seq[Reloc] {
	return func(yield func(Reloc) bool) {
		for _, r := range t.Relocs {
			if !yield(r) {
				return
			}
		}
		word := t.word
		var next uint64
		for _, e := range t.Relr {
			if e&1 == 0 {
				if !yield(Reloc{Offset: e, Type: t.relative}) {
					return
				}
				next = e + word
				continue
			}
			for bit, where := e>>1, next; bit != 0; bit, where = bit>>1, where+word {
				if bit&1 != 0 && !yield(Reloc{Offset: where, Type: t.relative}) {
					return
				}
			}
			next += (word*8 - 1) * word
		}
	}
}

// RelocTables decodes every dynamic relocation table in the order the
// loader applies them: DT_RELR, DT_REL, DT_RELA, then DT_JMPREL.
func (f *File) RelocTables() ([]RelocTable, error) {
	d, err := f.Dynamic()
	if err != nil || d == nil {
		return nil, err
	}
	pltAddr, hasPLT := d.Value(elf.DT_JMPREL)
	pltSize, _ := d.Value(elf.DT_PLTRELSZ)
	pltKind, _ := d.Value(elf.DT_PLTREL)
	if hasPLT && elf.DynTag(pltKind) != elf.DT_RELA && elf.DynTag(pltKind) != elf.DT_REL {
		return nil, f.formatErr(d.Off, "DT_PLTREL is %d, want DT_REL (17) or DT_RELA (7)", pltKind)
	}
	var tables []RelocTable
	add := func(tag, sizeTag, entTag elf.DynTag, addend bool) error {
		addr, ok := d.Value(tag)
		if !ok {
			return nil
		}
		size, _ := d.Value(sizeTag)
		// Some linkers (32-bit PowerPC's) make DT_RELASZ cover the PLT
		// relocations too. Like glibc's _ELF_DYNAMIC_DO_RELOC, a table
		// that ends where DT_JMPREL ends gives those entries up to it.
		if hasPLT && tag == elf.DynTag(pltKind) && addr+size == pltAddr+pltSize && size >= pltSize {
			size -= pltSize
		}
		t := RelocTable{Tag: tag, Addr: addr, Size: size, Addend: addend}
		if err := f.decodeRelocs(d, &t, entTag); err != nil {
			return err
		}
		tables = append(tables, t)
		return nil
	}
	if err := add(DT_RELR, DT_RELRSZ, DT_RELRENT, false); err != nil {
		return nil, err
	}
	if err := add(elf.DT_REL, elf.DT_RELSZ, elf.DT_RELENT, false); err != nil {
		return nil, err
	}
	if err := add(elf.DT_RELA, elf.DT_RELASZ, elf.DT_RELAENT, true); err != nil {
		return nil, err
	}
	if hasPLT {
		if err := add(elf.DT_JMPREL, elf.DT_PLTRELSZ, elf.DT_NULL, elf.DynTag(pltKind) == elf.DT_RELA); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

func (f *File) decodeRelocs(d *Dynamic, t *RelocTable, entTag elf.DynTag) error {
	ent := uint64(f.layout.rel)
	switch {
	case t.Tag == DT_RELR:
		ent = uint64(f.layout.word)
	case t.Addend:
		ent = uint64(f.layout.rela)
	}
	if v, ok := d.Value(entTag); ok && entTag != elf.DT_NULL && v != ent {
		return f.formatErr(d.Off, "%s is %d, want %d", DynTagName(entTag), v, ent)
	}
	if t.Size%ent != 0 {
		return f.formatErr(d.Off, "%s size %d is not a multiple of the entry size %d", DynTagName(t.Tag), t.Size, ent)
	}
	b, err := f.readAddr(t.Addr, t.Size, DynTagName(t.Tag), d.Off)
	if err != nil {
		return err
	}
	t.Off, _ = f.offsetOf(t.Addr, t.Size)
	if t.Tag == DT_RELR {
		return f.decodeRelr(t, b)
	}
	n := t.Size / ent
	t.Relocs = make([]Reloc, n)
	word := f.layout.word
	for i := range t.Relocs {
		dec := f.decoder(b[uint64(i)*ent:])
		r := &t.Relocs[i]
		r.Offset = dec.word(0, word)
		info := dec.word(word, word)
		if f.Class == elf.ELFCLASS64 {
			r.Sym, r.Type = uint32(info>>32), uint32(info)
		} else {
			r.Sym, r.Type = uint32(info>>8), uint32(info&0xff)
		}
		if t.Addend {
			r.Addend = int64(dec.word(2*word, word))
			if word == 4 {
				r.Addend = int64(int32(r.Addend))
			}
		}
	}
	return nil
}

// decodeRelr keeps a DT_RELR table's words for All to expand.
func (f *File) decodeRelr(t *RelocTable, b []byte) error {
	rel, ok := relativeType(f.Machine)
	if !ok {
		return f.formatErr(t.Off, "DT_RELR on %v, which has no known RELATIVE relocation type", f.Machine)
	}
	t.relative = rel
	word := f.layout.word
	t.word = uint64(word)
	t.Relr = make([]uint64, len(b)/word)
	for i := range t.Relr {
		t.Relr[i] = f.decoder(b[i*word:]).word(0, word)
	}
	if len(t.Relr) > 0 && t.Relr[0]&1 != 0 {
		return f.formatErr(t.Off, "DT_RELR table starts with a bitmap, not an address")
	}
	return nil
}

// RelocTypeName names relocation type t of machine m the way debug/elf
// spells it (R_X86_64_JUMP_SLOT), or gives the number for machines it does
// not know ("EM_MIPS type 3").
func RelocTypeName(m elf.Machine, t uint32) string {
	if name, ok := relocTypeName(m, t); ok {
		return name
	}
	return fmt.Sprintf("%v type %d", m, t)
}
