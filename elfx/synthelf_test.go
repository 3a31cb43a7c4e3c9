package elfx

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// This file is a small ELF writer for tests: it lays out a dynamic object
// (ELF header, program headers, PT_DYNAMIC and the tables the dynamic array
// points at) in either class and either byte order, so that the fuzz
// targets have well-formed seeds and the hostile-input tests can corrupt
// exactly one field of an otherwise good file.

// synthBase is the address of file offset 0: one PT_LOAD maps the whole
// file there, so addr = synthBase + offset, and an address is never
// mistaken for an offset.
const synthBase = 0x10000

// Hash table styles for synthELF.hash.
const (
	synthHashBoth = iota // DT_HASH and DT_GNU_HASH
	synthHashSysV
	synthHashGNU
	synthHashNone
)

// synthELF describes the object synthELF.build lays out.
type synthELF struct {
	class   elf.Class
	order   binary.ByteOrder
	machine elf.Machine
	typ     elf.Type // ET_DYN when zero

	strs      []synthDynStr // string-valued dynamic entries, in order
	syms      []synthSym    // the symbols after the null symbol, index 1 on
	hash      int           // synthHash*
	versym    bool          // emit DT_VERSYM from synthSym.ver
	verneed   []synthNeed
	verdef    []synthDef
	rela      []Reloc
	rel       []Reloc
	relr      []uint64
	jmprel    []Reloc
	jmprelRel bool // DT_PLTREL is DT_REL rather than DT_RELA
	notes     []synthNote
	noteAlign uint64 // p_align of PT_NOTE: 4 when zero
	interp    string // PT_INTERP, when not ""
	sections  bool   // emit section headers: null, .dynstr, .dynsym, .shstrtab

	aliasLoad  uint64   // when nonzero, a second PT_LOAD maps the file again at synthBase+aliasLoad
	spareProgs int      // PT_NULL program headers at the end of the table, for tests to fill
	pad        int      // zero bytes reserved at offset "pad", for tests to fill
	extraStrs  []string // more strings in DT_STRTAB, for tests that write records by hand
	extraDyn   []synthDyn
}

type synthDynStr struct {
	tag elf.DynTag
	s   string
}

type synthDyn struct {
	tag elf.DynTag
	val uint64
}

type synthSym struct {
	name        string
	value, size uint64
	info, other uint8
	shndx       uint16
	ver         uint16 // the DT_VERSYM entry, hidden bit included
}

type synthNeed struct {
	file string
	vers []synthVer
}

type synthVer struct {
	name  string
	index uint16 // vna_other, hidden bit included
	flags uint16
}

type synthDef struct {
	index uint16
	flags uint16
	names []string // the version, then its parents
}

type synthNote struct {
	owner string
	typ   uint32
	desc  []byte
}

// synthImage is a laid-out file and where each part of it went.
type synthImage struct {
	data   []byte
	class  elf.Class
	order  binary.ByteOrder
	lay    layout
	off    map[string]uint64 // file offset of each table: "phdr", "dynamic", "dynstr", "dynsym", ...
	size   map[string]uint64
	dyn    []elf.DynTag // tags of the dynamic array, DT_NULL excluded
	strOff map[string]uint32
	progs  []elf.ProgType // types of the program headers, in order
}

// synthStrtab accumulates a string table, each string once.
type synthStrtab struct {
	b    []byte
	offs map[string]uint32
}

func newSynthStrtab() *synthStrtab {
	return &synthStrtab{b: []byte{0}, offs: map[string]uint32{"": 0}}
}

func (s *synthStrtab) add(str string) uint32 {
	if off, ok := s.offs[str]; ok {
		return off
	}
	off := uint32(len(s.b))
	s.b = append(append(s.b, str...), 0)
	s.offs[str] = off
	return off
}

// synthBuf is a growable little writer with the file's byte order.
type synthBuf struct {
	b     []byte
	order binary.ByteOrder // LittleEndian or BigEndian, both AppendByteOrders
	word  int
}

func (w *synthBuf) app() binary.AppendByteOrder { return w.order.(binary.AppendByteOrder) }

func (w *synthBuf) u8(v uint8)   { w.b = append(w.b, v) }
func (w *synthBuf) u16(v uint16) { w.b = w.app().AppendUint16(w.b, v) }
func (w *synthBuf) u32(v uint32) { w.b = w.app().AppendUint32(w.b, v) }
func (w *synthBuf) u64(v uint64) { w.b = w.app().AppendUint64(w.b, v) }
func (w *synthBuf) addr(v uint64) {
	if w.word == 4 {
		w.u32(uint32(v))
	} else {
		w.u64(v)
	}
}
func (w *synthBuf) align(a int) {
	for len(w.b)%a != 0 {
		w.b = append(w.b, 0)
	}
}

func (s *synthELF) layout() layout {
	if s.class == elf.ELFCLASS32 {
		return layout32
	}
	return layout64
}

// hashEnt is the size of a DT_HASH entry on the machine.
func (s *synthELF) hashEnt() int {
	if s.machine == elf.EM_ALPHA || s.machine == elf.EM_S390 && s.class == elf.ELFCLASS64 {
		return 8
	}
	return 4
}

func (s *synthELF) newBuf() *synthBuf {
	return &synthBuf{order: s.order, word: s.layout().word}
}

func (s *synthELF) relocBlob(rs []Reloc, addend bool) []byte {
	w := s.newBuf()
	for _, r := range rs {
		w.addr(r.Offset)
		if s.class == elf.ELFCLASS64 {
			w.u64(uint64(r.Sym)<<32 | uint64(r.Type))
		} else {
			w.u32(r.Sym<<8 | r.Type&0xff)
		}
		if addend {
			w.addr(uint64(r.Addend))
		}
	}
	return w.b
}

// build lays the object out. The order of the tables in the file is fixed:
// headers, PT_INTERP, the dynamic array, DT_STRTAB, DT_SYMTAB, DT_VERSYM,
// DT_VERNEED, DT_VERDEF, the relocation tables, DT_HASH, the notes, the
// pad, DT_GNU_HASH, and the section headers last.
func (s *synthELF) build() *synthImage {
	lay := s.layout()
	order := s.order
	img := &synthImage{class: s.class, order: order, lay: lay,
		off: map[string]uint64{}, size: map[string]uint64{}}

	str := newSynthStrtab()
	for _, e := range s.strs {
		str.add(e.s)
	}
	for _, sym := range s.syms {
		str.add(sym.name)
	}
	for _, n := range s.verneed {
		str.add(n.file)
		for _, v := range n.vers {
			str.add(v.name)
		}
	}
	for _, d := range s.verdef {
		for _, n := range d.names {
			str.add(n)
		}
	}
	for _, e := range s.extraStrs {
		str.add(e)
	}

	blobs := map[string][]byte{}

	// DT_SYMTAB, DT_VERSYM.
	sym := s.newBuf()
	versym := s.newBuf()
	nsyms := 1 + len(s.syms)
	for i := range nsyms {
		var e synthSym
		if i > 0 {
			e = s.syms[i-1]
		}
		name := str.add(e.name)
		if i == 0 {
			name = 0
		}
		if s.class == elf.ELFCLASS64 {
			sym.u32(name)
			sym.u8(e.info)
			sym.u8(e.other)
			sym.u16(e.shndx)
			sym.u64(e.value)
			sym.u64(e.size)
		} else {
			sym.u32(name)
			sym.u32(uint32(e.value))
			sym.u32(uint32(e.size))
			sym.u8(e.info)
			sym.u8(e.other)
			sym.u16(e.shndx)
		}
		versym.u16(e.ver)
	}
	blobs["dynsym"] = sym.b
	if s.versym {
		blobs["versym"] = versym.b
	}

	// DT_VERNEED.
	if len(s.verneed) > 0 {
		w := s.newBuf()
		for i, n := range s.verneed {
			w.u16(1)
			w.u16(uint16(len(n.vers)))
			w.u32(str.add(n.file))
			w.u32(16)
			next := uint32(16 + 16*len(n.vers))
			if i == len(s.verneed)-1 {
				next = 0
			}
			w.u32(next)
			for j, v := range n.vers {
				w.u32(SysVHash(v.name))
				w.u16(v.flags)
				w.u16(v.index)
				w.u32(str.add(v.name))
				anext := uint32(16)
				if j == len(n.vers)-1 {
					anext = 0
				}
				w.u32(anext)
			}
		}
		blobs["verneed"] = w.b
	}

	// DT_VERDEF.
	if len(s.verdef) > 0 {
		w := s.newBuf()
		for i, d := range s.verdef {
			w.u16(1)
			w.u16(d.flags)
			w.u16(d.index)
			w.u16(uint16(len(d.names)))
			var h uint32
			if len(d.names) > 0 {
				h = SysVHash(d.names[0])
			}
			w.u32(h)
			w.u32(20)
			next := uint32(20 + 8*len(d.names))
			if i == len(s.verdef)-1 {
				next = 0
			}
			w.u32(next)
			for j, n := range d.names {
				w.u32(str.add(n))
				anext := uint32(8)
				if j == len(d.names)-1 {
					anext = 0
				}
				w.u32(anext)
			}
		}
		blobs["verdef"] = w.b
	}

	// Relocations.
	if len(s.rela) > 0 {
		blobs["rela"] = s.relocBlob(s.rela, true)
	}
	if len(s.rel) > 0 {
		blobs["rel"] = s.relocBlob(s.rel, false)
	}
	if len(s.relr) > 0 {
		w := s.newBuf()
		for _, v := range s.relr {
			w.addr(v)
		}
		blobs["relr"] = w.b
	}
	if len(s.jmprel) > 0 {
		blobs["jmprel"] = s.relocBlob(s.jmprel, !s.jmprelRel)
	}

	// DT_HASH: nbucket 3, the usual head-insertion chains.
	if s.hash == synthHashBoth || s.hash == synthHashSysV {
		const nbucket = 3
		buckets := make([]uint64, nbucket)
		chain := make([]uint64, nsyms)
		for i := 1; i < nsyms; i++ {
			b := SysVHash(s.syms[i-1].name) % nbucket
			chain[i] = buckets[b]
			buckets[b] = uint64(i)
		}
		w := s.newBuf()
		put := func(v uint64) {
			if s.hashEnt() == 8 {
				w.u64(v)
			} else {
				w.u32(uint32(v))
			}
		}
		put(nbucket)
		put(uint64(nsyms))
		for _, b := range buckets {
			put(b)
		}
		for _, c := range chain {
			put(c)
		}
		blobs["hash"] = w.b
	}

	// DT_GNU_HASH: one bucket, one bloom word; the symbols after the
	// leading undefined ones are hashed, in their order.
	if s.hash == synthHashBoth || s.hash == synthHashGNU {
		symoffset := 1
		for symoffset < nsyms && s.syms[symoffset-1].shndx == 0 {
			symoffset++
		}
		const shift = 5
		bits := uint32(lay.word * 8)
		var bloom uint64
		for i := symoffset; i < nsyms; i++ {
			h := GNUHash(s.syms[i-1].name)
			bloom |= 1<<(h%bits) | 1<<((h>>shift)%bits)
		}
		w := s.newBuf()
		w.u32(1)
		w.u32(uint32(symoffset))
		w.u32(1)
		w.u32(shift)
		w.addr(bloom)
		if symoffset < nsyms {
			w.u32(uint32(symoffset))
		} else {
			w.u32(0)
		}
		for i := symoffset; i < nsyms; i++ {
			h := GNUHash(s.syms[i-1].name) &^ 1
			if i == nsyms-1 {
				h |= 1
			}
			w.u32(h)
		}
		blobs["gnuhash"] = w.b
	}

	// Notes.
	noteAlign := s.noteAlign
	if noteAlign == 0 {
		noteAlign = 4
	}
	if len(s.notes) > 0 {
		w := s.newBuf()
		for _, n := range s.notes {
			w.u32(uint32(len(n.owner) + 1))
			w.u32(uint32(len(n.desc)))
			w.u32(n.typ)
			w.b = append(append(w.b, n.owner...), 0)
			w.align(4)
			w.b = append(w.b, n.desc...)
			w.align(int(noteAlign))
		}
		blobs["notes"] = w.b
	}
	if s.interp != "" {
		blobs["interp"] = append([]byte(s.interp), 0)
	}
	if s.pad > 0 {
		blobs["pad"] = make([]byte, s.pad)
	}
	blobs["dynstr"] = str.b

	// The dynamic array: values are offsets in blobs, fixed up below.
	type dynEnt struct {
		tag  elf.DynTag
		val  uint64
		blob string // when set, val is the address of the blob
	}
	var dyn []dynEnt
	for _, e := range s.strs {
		dyn = append(dyn, dynEnt{tag: e.tag, val: uint64(str.add(e.s))})
	}
	dyn = append(dyn,
		dynEnt{tag: elf.DT_STRTAB, blob: "dynstr"},
		dynEnt{tag: elf.DT_STRSZ, val: uint64(len(str.b))},
		dynEnt{tag: elf.DT_SYMTAB, blob: "dynsym"},
		dynEnt{tag: elf.DT_SYMENT, val: uint64(lay.sym)})
	if blobs["hash"] != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_HASH, blob: "hash"})
	}
	if blobs["gnuhash"] != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_GNU_HASH, blob: "gnuhash"})
	}
	if blobs["versym"] != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_VERSYM, blob: "versym"})
	}
	if blobs["verneed"] != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_VERNEED, blob: "verneed"},
			dynEnt{tag: elf.DT_VERNEEDNUM, val: uint64(len(s.verneed))})
	}
	if blobs["verdef"] != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_VERDEF, blob: "verdef"},
			dynEnt{tag: elf.DT_VERDEFNUM, val: uint64(len(s.verdef))})
	}
	if b := blobs["rela"]; b != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_RELA, blob: "rela"},
			dynEnt{tag: elf.DT_RELASZ, val: uint64(len(b))},
			dynEnt{tag: elf.DT_RELAENT, val: uint64(lay.rela)})
	}
	if b := blobs["rel"]; b != nil {
		dyn = append(dyn, dynEnt{tag: elf.DT_REL, blob: "rel"},
			dynEnt{tag: elf.DT_RELSZ, val: uint64(len(b))},
			dynEnt{tag: elf.DT_RELENT, val: uint64(lay.rel)})
	}
	if b := blobs["relr"]; b != nil {
		dyn = append(dyn, dynEnt{tag: DT_RELR, blob: "relr"},
			dynEnt{tag: DT_RELRSZ, val: uint64(len(b))},
			dynEnt{tag: DT_RELRENT, val: uint64(lay.word)})
	}
	if b := blobs["jmprel"]; b != nil {
		kind := elf.DT_RELA
		if s.jmprelRel {
			kind = elf.DT_REL
		}
		dyn = append(dyn, dynEnt{tag: elf.DT_JMPREL, blob: "jmprel"},
			dynEnt{tag: elf.DT_PLTRELSZ, val: uint64(len(b))},
			dynEnt{tag: elf.DT_PLTREL, val: uint64(kind)})
	}
	for _, e := range s.extraDyn {
		dyn = append(dyn, dynEnt{tag: e.tag, val: e.val})
	}
	dynSize := (len(dyn) + 1) * lay.dyn

	// Program headers.
	progs := []elf.ProgType{elf.PT_LOAD, elf.PT_DYNAMIC}
	if blobs["notes"] != nil {
		progs = append(progs, elf.PT_NOTE)
	}
	if blobs["interp"] != nil {
		progs = append(progs, elf.PT_INTERP)
	}
	if s.aliasLoad != 0 {
		progs = append(progs, elf.PT_LOAD)
	}
	for range s.spareProgs {
		progs = append(progs, elf.PT_NULL)
	}
	img.progs = progs

	// Layout.
	pos := uint64(lay.ehdr)
	place := func(name string, n int) {
		pos = (pos + 7) &^ 7
		img.off[name], img.size[name] = pos, uint64(n)
		pos += uint64(n)
	}
	place("phdr", len(progs)*lay.phdr)
	for _, name := range []string{"interp", "dynamic", "dynstr", "dynsym", "versym", "verneed", "verdef",
		"rela", "rel", "relr", "jmprel", "hash", "notes", "pad", "gnuhash"} {
		if name == "dynamic" {
			place(name, dynSize)
		} else if b, ok := blobs[name]; ok {
			place(name, len(b))
		}
	}
	var shstr *synthStrtab
	if s.sections {
		shstr = newSynthStrtab()
		for _, n := range []string{".dynstr", ".dynsym", ".shstrtab"} {
			shstr.add(n)
		}
		blobs["shstrtab"] = shstr.b
		place("shstrtab", len(shstr.b))
		place("shdr", 4*lay.shdr)
	}
	data := make([]byte, pos)
	img.data = data
	for name, b := range blobs {
		copy(data[img.off[name]:], b)
	}

	// The dynamic array.
	w := s.newBuf()
	for _, e := range dyn {
		val := e.val
		if e.blob != "" {
			val = synthBase + img.off[e.blob]
		}
		w.addr(uint64(e.tag))
		w.addr(val)
		img.dyn = append(img.dyn, e.tag)
	}
	w.addr(0)
	w.addr(0)
	copy(data[img.off["dynamic"]:], w.b)

	// Program headers.
	for i, t := range progs {
		var p elf.ProgHeader
		switch t {
		case elf.PT_LOAD:
			p = elf.ProgHeader{Type: t, Flags: elf.PF_R | elf.PF_W, Off: 0, Vaddr: synthBase,
				Filesz: pos, Memsz: pos, Align: 0x1000}
			if i > 0 {
				p.Vaddr += s.aliasLoad
			}
		case elf.PT_DYNAMIC:
			p = elf.ProgHeader{Type: t, Flags: elf.PF_R | elf.PF_W, Off: img.off["dynamic"],
				Filesz: uint64(dynSize), Memsz: uint64(dynSize), Align: uint64(lay.word)}
		case elf.PT_NOTE:
			p = elf.ProgHeader{Type: t, Flags: elf.PF_R, Off: img.off["notes"],
				Filesz: img.size["notes"], Memsz: img.size["notes"], Align: noteAlign}
		case elf.PT_INTERP:
			p = elf.ProgHeader{Type: t, Flags: elf.PF_R, Off: img.off["interp"],
				Filesz: img.size["interp"], Memsz: img.size["interp"], Align: 1}
		}
		if t != elf.PT_LOAD && t != elf.PT_NULL {
			p.Vaddr = synthBase + p.Off
		}
		p.Paddr = p.Vaddr
		img.setProg(i, p)
	}

	// The ELF header.
	copy(data, elf.ELFMAG)
	data[elf.EI_CLASS] = byte(s.class)
	if order == binary.BigEndian {
		data[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
	} else {
		data[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	}
	data[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	typ := s.typ
	if typ == 0 {
		typ = elf.ET_DYN
	}
	img.setEhdr("type", uint64(typ))
	img.setEhdr("machine", uint64(s.machine))
	img.setEhdr("version", 1)
	img.setEhdr("phoff", img.off["phdr"])
	img.setEhdr("ehsize", uint64(lay.ehdr))
	img.setEhdr("phentsize", uint64(lay.phdr))
	img.setEhdr("phnum", uint64(len(progs)))

	// Section headers: null, .dynstr, .dynsym, .shstrtab.
	if s.sections {
		img.setEhdr("shoff", img.off["shdr"])
		img.setEhdr("shentsize", uint64(lay.shdr))
		img.setEhdr("shnum", 4)
		img.setEhdr("shstrndx", 3)
		img.setSection(1, elf.SectionHeader{Type: elf.SHT_STRTAB, Flags: elf.SHF_ALLOC,
			Addr: synthBase + img.off["dynstr"], Offset: img.off["dynstr"], Size: img.size["dynstr"], Addralign: 1},
			shstr.add(".dynstr"))
		img.setSection(2, elf.SectionHeader{Type: elf.SHT_DYNSYM, Flags: elf.SHF_ALLOC,
			Addr: synthBase + img.off["dynsym"], Offset: img.off["dynsym"], Size: img.size["dynsym"],
			Link: 1, Info: 1, Addralign: uint64(lay.word), Entsize: uint64(lay.sym)},
			shstr.add(".dynsym"))
		img.setSection(3, elf.SectionHeader{Type: elf.SHT_STRTAB,
			Offset: img.off["shstrtab"], Size: img.size["shstrtab"], Addralign: 1},
			shstr.add(".shstrtab"))
	}
	img.strOff = str.offs
	return img
}

// Field offsets in the ELF header, ELF32 then ELF64, and their sizes.
var synthEhdrFields = map[string][3]int{
	"type": {16, 16, 2}, "machine": {18, 18, 2}, "version": {20, 20, 4},
	"entry": {24, 24, 0}, "phoff": {28, 32, 0}, "shoff": {32, 40, 0}, "flags": {36, 48, 4},
	"ehsize": {40, 52, 2}, "phentsize": {42, 54, 2}, "phnum": {44, 56, 2},
	"shentsize": {46, 58, 2}, "shnum": {48, 60, 2}, "shstrndx": {50, 62, 2},
}

// setEhdr writes an ELF header field; size 0 in the table means a word.
func (m *synthImage) setEhdr(field string, v uint64) {
	f, ok := synthEhdrFields[field]
	if !ok {
		panic("unknown ELF header field " + field)
	}
	off := f[0]
	if m.class == elf.ELFCLASS64 {
		off = f[1]
	}
	m.put(uint64(off), f[2], v)
}

// put writes v as an n-byte field at off; n 0 means a word of the class.
func (m *synthImage) put(off uint64, n int, v uint64) {
	if n == 0 {
		n = m.lay.word
	}
	switch n {
	case 1:
		m.data[off] = byte(v)
	case 2:
		m.order.PutUint16(m.data[off:], uint16(v))
	case 4:
		m.order.PutUint32(m.data[off:], uint32(v))
	case 8:
		m.order.PutUint64(m.data[off:], v)
	default:
		panic(fmt.Sprint("bad field size ", n))
	}
}

func (m *synthImage) put16(off uint64, v uint16)   { m.put(off, 2, uint64(v)) }
func (m *synthImage) put32(off uint64, v uint32)   { m.put(off, 4, uint64(v)) }
func (m *synthImage) putWord(off uint64, v uint64) { m.put(off, 0, v) }

// addr is the address that file offset off is loaded at.
func (m *synthImage) addr(off uint64) uint64 { return synthBase + off }

// phdrOff is the file offset of program header i.
func (m *synthImage) phdrOff(i int) uint64 { return m.off["phdr"] + uint64(i*m.lay.phdr) }

// progIndex is the index of the first program header of type t.
func (m *synthImage) progIndex(t elf.ProgType) int {
	for i, pt := range m.progs {
		if pt == t {
			return i
		}
	}
	panic(fmt.Sprint("no program header of type ", t))
}

func (m *synthImage) prog(i int) elf.ProgHeader {
	d := decoder{m.data[m.phdrOff(i):], m.order == binary.LittleEndian}
	if m.class == elf.ELFCLASS64 {
		return elf.ProgHeader{Type: elf.ProgType(d.u32(0)), Flags: elf.ProgFlag(d.u32(4)),
			Off: d.u64(8), Vaddr: d.u64(16), Paddr: d.u64(24), Filesz: d.u64(32), Memsz: d.u64(40), Align: d.u64(48)}
	}
	return elf.ProgHeader{Type: elf.ProgType(d.u32(0)), Off: uint64(d.u32(4)), Vaddr: uint64(d.u32(8)),
		Paddr: uint64(d.u32(12)), Filesz: uint64(d.u32(16)), Memsz: uint64(d.u32(20)),
		Flags: elf.ProgFlag(d.u32(24)), Align: uint64(d.u32(28))}
}

func (m *synthImage) setProg(i int, p elf.ProgHeader) {
	o := m.phdrOff(i)
	if m.class == elf.ELFCLASS64 {
		m.put32(o, uint32(p.Type))
		m.put32(o+4, uint32(p.Flags))
		for j, v := range []uint64{p.Off, p.Vaddr, p.Paddr, p.Filesz, p.Memsz, p.Align} {
			m.put(o+8+uint64(8*j), 8, v)
		}
		return
	}
	m.put32(o, uint32(p.Type))
	for j, v := range []uint64{p.Off, p.Vaddr, p.Paddr, p.Filesz, p.Memsz} {
		m.put32(o+4+uint64(4*j), uint32(v))
	}
	m.put32(o+24, uint32(p.Flags))
	m.put32(o+28, uint32(p.Align))
}

// editProg rewrites program header i through fn.
func (m *synthImage) editProg(i int, fn func(p *elf.ProgHeader)) {
	p := m.prog(i)
	fn(&p)
	m.setProg(i, p)
}

func (m *synthImage) shdrOff(i int) uint64 { return m.off["shdr"] + uint64(i*m.lay.shdr) }

func (m *synthImage) setSection(i int, sh elf.SectionHeader, name uint32) {
	o := m.shdrOff(i)
	m.put32(o, name)
	m.put32(o+4, uint32(sh.Type))
	if m.class == elf.ELFCLASS64 {
		m.put(o+8, 8, uint64(sh.Flags))
		m.put(o+16, 8, sh.Addr)
		m.put(o+24, 8, sh.Offset)
		m.put(o+32, 8, sh.Size)
		m.put32(o+40, sh.Link)
		m.put32(o+44, sh.Info)
		m.put(o+48, 8, sh.Addralign)
		m.put(o+56, 8, sh.Entsize)
		return
	}
	for j, v := range []uint64{uint64(sh.Flags), sh.Addr, sh.Offset, sh.Size, uint64(sh.Link), uint64(sh.Info), sh.Addralign, sh.Entsize} {
		m.put32(o+8+uint64(4*j), uint32(v))
	}
}

// dynOff is the file offset of the first dynamic entry with the tag.
func (m *synthImage) dynOff(tag elf.DynTag) uint64 {
	for i, t := range m.dyn {
		if t == tag {
			return m.off["dynamic"] + uint64(i*m.lay.dyn)
		}
	}
	panic(fmt.Sprint("no dynamic entry ", tag))
}

// setDyn rewrites the value of the first dynamic entry with the tag.
func (m *synthImage) setDyn(tag elf.DynTag, v uint64) {
	m.putWord(m.dynOff(tag)+uint64(m.lay.word), v)
}

// dynVal reads the value of the first dynamic entry with the tag.
func (m *synthImage) dynVal(tag elf.DynTag) uint64 {
	d := decoder{m.data, m.order == binary.LittleEndian}
	return d.word(int(m.dynOff(tag))+m.lay.word, m.lay.word)
}

// dropDyn turns the first entry with the tag into a harmless DT_DEBUG.
func (m *synthImage) dropDyn(tag elf.DynTag) {
	o := m.dynOff(tag)
	m.putWord(o, uint64(elf.DT_DEBUG))
	m.putWord(o+uint64(m.lay.word), 0)
	for i, t := range m.dyn {
		if t == tag {
			m.dyn[i] = elf.DT_DEBUG
			break
		}
	}
}

// symOff is the file offset of dynamic symbol i.
func (m *synthImage) symOff(i int) uint64 { return m.off["dynsym"] + uint64(i*m.lay.sym) }

// Symbol-info shorthands.
var (
	synthFunc   = elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC)
	synthObject = elf.ST_INFO(elf.STB_GLOBAL, elf.STT_OBJECT)
	synthTLS    = elf.ST_INFO(elf.STB_GLOBAL, elf.STT_TLS)
	synthWeak   = elf.ST_INFO(elf.STB_WEAK, elf.STT_FUNC)
)

// synthLib is a small versioned shared library for the given class, byte
// order and machine: one needed library, a soname and runpath, five
// symbols (an undefined one, foo@V1, foo@@V2, bar@@V2 and a TLS symbol),
// DT_VERNEED and DT_VERDEF, RELA, RELR and PLT relocations and the three
// GNU notes. Tests change it before they build it.
func synthLib(class elf.Class, order binary.ByteOrder, machine elf.Machine) *synthELF {
	rel, _ := relativeType(machine)
	word := uint64(8)
	if class == elf.ELFCLASS32 {
		word = 4
	}
	prop := (&synthBuf{order: order, word: int(word)})
	prop.u32(GNU_PROPERTY_X86_FEATURE_1_AND)
	prop.u32(4)
	prop.u32(GNU_PROPERTY_X86_FEATURE_1_IBT | GNU_PROPERTY_X86_FEATURE_1_SHSTK)
	prop.align(int(word))
	prop.u32(GNU_PROPERTY_X86_ISA_1_NEEDED)
	prop.u32(4)
	prop.u32(1)
	prop.align(int(word))
	abi := (&synthBuf{order: order})
	abi.u32(0)
	abi.u32(3)
	abi.u32(2)
	abi.u32(0)
	s := &synthELF{
		class: class, order: order, machine: machine,
		strs: []synthDynStr{
			{elf.DT_NEEDED, "libc.so.6"},
			{elf.DT_SONAME, "libsynth.so.1"},
			{elf.DT_RUNPATH, "$ORIGIN:/opt/synth/lib"},
		},
		syms: []synthSym{
			{name: "puts", info: synthFunc, ver: 2},
			{name: "foo", value: 0x1000, size: 8, info: synthFunc, shndx: 5, ver: 3 | 0x8000},
			{name: "foo", value: 0x1010, size: 8, info: synthFunc, shndx: 5, ver: 4},
			{name: "bar", value: 0x1020, size: 4, info: synthObject, shndx: 6, ver: 4},
			{name: "tlsvar", value: 0, size: 4, info: synthTLS, shndx: 7, ver: 3},
			{name: "weakfn", value: 0x1030, size: 4, info: synthWeak, shndx: 5, ver: 1},
		},
		versym: true,
		verneed: []synthNeed{{file: "libc.so.6", vers: []synthVer{
			{name: "GLIBC_2.2.5", index: 2},
		}}},
		verdef: []synthDef{
			{index: 1, flags: uint16(elf.VER_FLG_BASE), names: []string{"libsynth.so.1"}},
			{index: 3, names: []string{"V1"}},
			{index: 4, names: []string{"V2", "V1"}},
		},
		rela: []Reloc{
			{Offset: 0x2000, Type: rel, Addend: 0x1000},
			{Offset: 0x2000 + word, Type: 1, Sym: 4, Addend: 0},
		},
		relr:   []uint64{0x3000, 0x3000 + word, 0b1011},
		jmprel: []Reloc{{Offset: 0x4000, Type: 7, Sym: 1}},
		notes: []synthNote{
			{"GNU", NT_GNU_BUILD_ID, []byte("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67")},
			{"GNU", NT_GNU_ABI_TAG, abi.b},
			{"GNU", NT_GNU_PROPERTY_TYPE_0, prop.b},
		},
		noteAlign: word,
		sections:  true,
	}
	return s
}

// synthTargets are the class, byte order and machine combinations the
// builder's seeds cover; s390x is the 64-bit machine with 8-byte DT_HASH
// entries.
var synthTargets = []struct {
	class   elf.Class
	order   binary.ByteOrder
	machine elf.Machine
}{
	{elf.ELFCLASS64, binary.LittleEndian, elf.EM_X86_64},
	{elf.ELFCLASS32, binary.LittleEndian, elf.EM_386},
	{elf.ELFCLASS64, binary.BigEndian, elf.EM_PPC64},
	{elf.ELFCLASS32, binary.BigEndian, elf.EM_ARM},
	{elf.ELFCLASS64, binary.BigEndian, elf.EM_S390},
	{elf.ELFCLASS64, binary.LittleEndian, elf.EM_AARCH64},
}
