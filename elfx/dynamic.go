package elfx

import (
	"bytes"
	"debug/elf"
	"strings"
)

// Tags that debug/elf does not define.
const (
	DT_RELRSZ  elf.DynTag = 35 // size of the DT_RELR table
	DT_RELR    elf.DynTag = 36 // packed relative relocations
	DT_RELRENT elf.DynTag = 37 // size of one DT_RELR entry
)

// DynEntry is one entry of the dynamic array.
type DynEntry struct {
	Tag elf.DynTag
	Val uint64
	Str string // the string Val points at, for tags where IsStringTag holds
}

// Dynamic is the decoded PT_DYNAMIC array: every entry in order, and the
// values the loader acts on, with their strings resolved through DT_STRTAB.
type Dynamic struct {
	Off     uint64     // file offset of the array
	Entries []DynEntry // in file order, up to but not including the first DT_NULL

	Needed    []string
	Soname    string
	Rpath     []string // DT_RPATH split on ':', unexpanded
	Runpath   []string // DT_RUNPATH split on ':', unexpanded
	Auxiliary []string
	Filter    []string
	Flags     elf.DynFlag
	Flags1    elf.DynFlag1
}

// Value returns the value of the first entry with the tag.
func (d *Dynamic) Value(tag elf.DynTag) (uint64, bool) {
	for _, e := range d.Entries {
		if e.Tag == tag {
			return e.Val, true
		}
	}
	return 0, false
}

// Has reports whether the array holds an entry with the tag.
func (d *Dynamic) Has(tag elf.DynTag) bool {
	_, ok := d.Value(tag)
	return ok
}

// BindNow reports whether the loader resolves every symbol at load time for
// this object: DT_BIND_NOW, DF_BIND_NOW or DF_1_NOW.
func (d *Dynamic) BindNow() bool {
	return d.Has(elf.DT_BIND_NOW) || d.Flags&elf.DF_BIND_NOW != 0 || d.Flags1&elf.DF_1_NOW != 0
}

// Symbolic reports whether the object searches itself before the global
// scope: DT_SYMBOLIC or DF_SYMBOLIC.
func (d *Dynamic) Symbolic() bool {
	return d.Has(elf.DT_SYMBOLIC) || d.Flags&elf.DF_SYMBOLIC != 0
}

// TextRel reports whether relocations modify a read-only segment.
func (d *Dynamic) TextRel() bool {
	return d.Has(elf.DT_TEXTREL) || d.Flags&elf.DF_TEXTREL != 0
}

// IsStringTag reports whether the tag's value is an offset in DT_STRTAB.
func IsStringTag(tag elf.DynTag) bool {
	switch tag {
	case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH,
		elf.DT_AUXILIARY, elf.DT_FILTER, elf.DT_CONFIG, elf.DT_DEPAUDIT, elf.DT_AUDIT, elf.DT_USED:
		return true
	}
	return false
}

// Dynamic decodes the PT_DYNAMIC array. It returns nil and no error for a
// file without PT_DYNAMIC, such as a static executable.
func (f *File) Dynamic() (*Dynamic, error) {
	f.dynOnce.Do(func() { f.dyn, f.dynErr = f.readDynamic() })
	return f.dyn, f.dynErr
}

func (f *File) readDynamic() (*Dynamic, error) {
	p, ok := f.Prog(elf.PT_DYNAMIC)
	if !ok {
		return nil, nil
	}
	// The loader reads the array at p_vaddr in its mapping, not at p_offset.
	size := uint64(f.layout.dyn)
	n := p.Filesz / size
	off, ok := f.offsetOf(p.Vaddr, n*size)
	if !ok {
		return nil, f.formatErr(f.PhOff, "PT_DYNAMIC at address %#x (%d bytes) is not in the file image of any PT_LOAD segment", p.Vaddr, p.Filesz)
	}
	raw, err := f.read(off, n*size, "dynamic array")
	if err != nil {
		return nil, err
	}
	d := &Dynamic{Off: off}
	word := f.layout.word
	for i := uint64(0); i < n; i++ {
		dec := f.decoder(raw[i*size:])
		e := DynEntry{Tag: elf.DynTag(dec.word(0, word)), Val: dec.word(word, word)}
		if e.Tag == elf.DT_NULL {
			break
		}
		d.Entries = append(d.Entries, e)
	}
	if err := f.readStrtab(d); err != nil {
		return nil, err
	}
	// Entries may name overlapping strings of the table any number of
	// times, so the search paths DT_RPATH and DT_RUNPATH split into are
	// counted against the table's size, not against the product of the
	// two.
	paths := 0
	strs := dynStrings{f: f}
	for i := range d.Entries {
		e := &d.Entries[i]
		switch e.Tag {
		case elf.DT_FLAGS:
			d.Flags = elf.DynFlag(e.Val)
		case elf.DT_FLAGS_1:
			d.Flags1 = elf.DynFlag1(e.Val)
		}
		if !IsStringTag(e.Tag) {
			continue
		}
		s, ok := strs.at(e.Val)
		if !ok {
			return nil, f.formatErr(off+uint64(i)*size, "%v string offset %#x outside DT_STRTAB (%d bytes)", e.Tag, e.Val, f.strtabSize)
		}
		switch e.Tag {
		case elf.DT_NEEDED:
			d.Needed = append(d.Needed, s)
		case elf.DT_SONAME:
			d.Soname = s
		case elf.DT_RPATH, elf.DT_RUNPATH:
			if paths += strings.Count(s, ":") + 1; uint64(paths) > f.strtabSize+uint64(len(d.Entries)) {
				return nil, f.formatErr(off+uint64(i)*size, "DT_RPATH and DT_RUNPATH entries name %d search paths, more than DT_STRTAB (%d bytes) holds", paths, f.strtabSize)
			}
			if e.Tag == elf.DT_RPATH {
				d.Rpath = append(d.Rpath, strings.Split(s, ":")...)
			} else {
				d.Runpath = append(d.Runpath, strings.Split(s, ":")...)
			}
		case elf.DT_AUXILIARY:
			d.Auxiliary = append(d.Auxiliary, s)
		case elf.DT_FILTER:
			d.Filter = append(d.Filter, s)
		}
		e.Str = s
	}
	return d, nil
}

// dynStrings hands out the strings the dynamic entries name, each copied
// on its own: a reader after the needed libraries and search paths does
// not pay for the whole table. Entries may name overlapping strings of a
// table any number of times, so once the copies outweigh the table it is
// copied whole and shared instead.
type dynStrings struct {
	f      *File
	copied uint64
	whole  string
}

func (s *dynStrings) at(off uint64) (string, bool) {
	f := s.f
	if s.whole != "" {
		return stringAt(s.whole, off)
	}
	if off >= f.strtabSize {
		return "", false
	}
	str, ok := f.stringAtOff(off)
	if s.copied += uint64(len(str)); ok && s.copied > f.strtabSize {
		s.whole = f.stringTable()
		return stringAt(s.whole, off)
	}
	return str, ok
}

// stringAtOff reads the string at off in DT_STRTAB, copied. From a
// mapping it scans the table in place; through a reader it reads a
// growing window from off, so that a few names cost a few small reads.
func (f *File) stringAtOff(off uint64) (string, bool) {
	rest := f.strtabSize - off
	if f.src.mapped != nil {
		b := f.src.mapped[f.strtabOff+off : f.strtabOff+f.strtabSize]
		if n := bytes.IndexByte(b, 0); n >= 0 {
			return string(b[:n]), true
		}
		return "", false
	}
	for win := uint64(256); ; win *= 2 {
		b, err := f.read(f.strtabOff+off, min(win, rest), "DT_STRTAB")
		if err != nil {
			return "", false
		}
		if n := bytes.IndexByte(b, 0); n >= 0 {
			return string(b[:n]), true
		}
		if win >= rest {
			return "", false
		}
	}
}

// stringTable is DT_STRTAB copied out of the file, once: symbol and
// version names are substrings of it.
func (f *File) stringTable() string {
	f.strOnce.Do(func() {
		if b, err := f.read(f.strtabOff, f.strtabSize, "DT_STRTAB"); err == nil {
			f.strtab = string(b)
		}
	})
	return f.strtab
}

// readStrtab locates DT_STRTAB, which is read only as strings are asked
// for. Without DT_STRSZ, the table may run to the end of its segment's
// file image.
func (f *File) readStrtab(d *Dynamic) error {
	addr, ok := d.Value(elf.DT_STRTAB)
	if !ok {
		return nil
	}
	size, ok := d.Value(elf.DT_STRSZ)
	if !ok {
		size = f.loadedBytesAt(addr)
	}
	off, ok := f.offsetOf(addr, size)
	if !ok {
		return f.formatErr(d.Off, "DT_STRTAB at address %#x (%d bytes) is not in the file image of any PT_LOAD segment", addr, size)
	}
	f.strtabOff, f.strtabSize = off, size
	return nil
}

// DynTagName names a tag the way debug/elf does (DT_NEEDED), including the
// DT_RELR tags it lacks.
func DynTagName(tag elf.DynTag) string {
	switch tag {
	case DT_RELRSZ:
		return "DT_RELRSZ"
	case DT_RELR:
		return "DT_RELR"
	case DT_RELRENT:
		return "DT_RELRENT"
	}
	return tag.String()
}
