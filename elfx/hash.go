package elfx

import (
	"debug/elf"
	"fmt"
)

// GNUHash is the hash function of DT_GNU_HASH (Bernstein's h*33 + c).
func GNUHash(name string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(name); i++ {
		h = h*33 + uint32(name[i])
	}
	return h
}

// SysVHash is the hash function of DT_HASH, also used for version names
// (vna_hash, vd_hash).
func SysVHash(name string) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<4 + uint32(name[i])
		g := h & 0xf0000000
		h ^= g >> 24
		h &^= g
	}
	return h
}

// gnuHashTable is a decoded DT_GNU_HASH table. The chain is kept as the
// bytes that follow the buckets up to the end of the segment, since its
// length is known only by walking it.
type gnuHashTable struct {
	nbuckets, symoffset, shift uint32
	bloom                      []byte // bloomSize words of the file's class
	bloomSize                  uint32
	buckets                    []byte
	chain                      []byte // chain[i-symoffset] for symbol i
	off                        uint64 // file offset of the table, for errors
}

// sysvHashTable is a decoded DT_HASH table.
type sysvHashTable struct {
	nbucket, nchain uint32
	ent             int // bytes per entry
	buckets, chain  []byte
	off             uint64
}

func (h *sysvHashTable) at(f *File, tab []byte, i uint32) uint32 {
	return uint32(f.decoder(tab).word(int(i)*h.ent, h.ent))
}

func (f *File) readGNUHash(d *Dynamic) (*gnuHashTable, error) {
	addr, ok := d.Value(elf.DT_GNU_HASH)
	if !ok {
		return nil, nil
	}
	avail := f.loadedBytesAt(addr)
	b, err := f.readAddr(addr, avail, "DT_GNU_HASH", d.Off)
	if err != nil {
		return nil, err
	}
	off, _ := f.offsetOf(addr, avail)
	if len(b) < 16 {
		return nil, f.formatErr(off, "DT_GNU_HASH header truncated")
	}
	dec := f.decoder(b)
	h := &gnuHashTable{nbuckets: dec.u32(0), symoffset: dec.u32(4), bloomSize: dec.u32(8), shift: dec.u32(12), off: off}
	word := uint64(f.layout.word)
	bloomEnd := 16 + uint64(h.bloomSize)*word
	bucketsEnd := bloomEnd + uint64(h.nbuckets)*4
	if bucketsEnd > uint64(len(b)) {
		return nil, f.formatErr(off, "DT_GNU_HASH with %d bloom words and %d buckets does not fit its segment (%d bytes)", h.bloomSize, h.nbuckets, len(b))
	}
	if h.bloomSize == 0 || h.bloomSize&(h.bloomSize-1) != 0 {
		return nil, f.formatErr(off, "DT_GNU_HASH bloom filter size %d is not a power of two", h.bloomSize)
	}
	h.bloom, h.buckets, h.chain = b[16:bloomEnd], b[bloomEnd:bucketsEnd], b[bucketsEnd:]
	return h, nil
}

func (h *gnuHashTable) bucket(f *File, i uint32) uint32 {
	return f.decoder(h.buckets).u32(4 * int(i))
}

// chainAt returns chain[sym-symoffset], or false when it lies outside.
func (h *gnuHashTable) chainAt(f *File, sym uint32) (uint32, bool) {
	if sym < h.symoffset {
		return 0, false
	}
	i := uint64(sym-h.symoffset) * 4
	if i+4 > uint64(len(h.chain)) {
		return 0, false
	}
	return f.decoder(h.chain).u32(int(i)), true
}

// symbolCount walks the chain of the highest bucket to its end: the symbols
// the table covers are symoffset up to there, and the loader needs no more.
func (h *gnuHashTable) symbolCount(f *File) (uint32, error) {
	var last uint32
	for i := uint32(0); i < h.nbuckets; i++ {
		last = max(last, h.bucket(f, i))
	}
	if last == 0 {
		return h.symoffset, nil
	}
	if last < h.symoffset {
		return 0, f.formatErr(h.off, "DT_GNU_HASH bucket names symbol %d below symoffset %d", last, h.symoffset)
	}
	for sym := last; ; sym++ {
		v, ok := h.chainAt(f, sym)
		if !ok {
			return 0, f.formatErr(h.off, "DT_GNU_HASH chain of symbol %d runs past the end of its segment", last)
		}
		if v&1 != 0 {
			return sym + 1, nil
		}
	}
}

// mayContain is the bloom filter test the loader makes before it looks at
// a bucket.
func (h *gnuHashTable) mayContain(f *File, hash uint32) bool {
	bits := uint32(f.layout.word * 8)
	i := (hash / bits) & (h.bloomSize - 1)
	w := f.decoder(h.bloom).word(int(i)*f.layout.word, f.layout.word)
	return (w>>(hash%bits))&(w>>((hash>>h.shift)%bits))&1 != 0
}

// candidates calls try with every symbol whose hash matches, in the order
// the loader visits them, until try returns true.
func (h *gnuHashTable) candidates(f *File, hash uint32, try func(sym uint32) bool) error {
	if h.nbuckets == 0 || !h.mayContain(f, hash) {
		return nil
	}
	sym := h.bucket(f, hash%h.nbuckets)
	if sym == 0 {
		return nil
	}
	for ; ; sym++ {
		v, ok := h.chainAt(f, sym)
		if !ok {
			return f.formatErr(h.off, "DT_GNU_HASH chain at symbol %d runs past the end of its segment", sym)
		}
		if (v^hash)>>1 == 0 && try(sym) {
			return nil
		}
		if v&1 != 0 {
			return nil
		}
	}
}

func (f *File) readSysVHash(d *Dynamic) (*sysvHashTable, error) {
	addr, ok := d.Value(elf.DT_HASH)
	if !ok {
		return nil, nil
	}
	// DT_HASH entries are 4 bytes on every machine except 64-bit s390 and
	// alpha, whose Elf_Symndx is 8 bytes.
	h := &sysvHashTable{ent: 4}
	if f.Machine == elf.EM_ALPHA || f.Machine == elf.EM_S390 && f.Class == elf.ELFCLASS64 {
		h.ent = 8
	}
	ent := uint64(h.ent)
	head, err := f.readAddr(addr, 2*ent, "DT_HASH header", d.Off)
	if err != nil {
		return nil, err
	}
	dec := f.decoder(head)
	h.nbucket, h.nchain = uint32(dec.word(0, h.ent)), uint32(dec.word(h.ent, h.ent))
	h.off, _ = f.offsetOf(addr, 2*ent)
	size := ent * (2 + uint64(h.nbucket) + uint64(h.nchain))
	b, err := f.readAddr(addr, size, fmt.Sprintf("DT_HASH (%d buckets, %d chains)", h.nbucket, h.nchain), d.Off)
	if err != nil {
		return nil, err
	}
	h.buckets = b[2*ent : (2+uint64(h.nbucket))*ent]
	h.chain = b[(2+uint64(h.nbucket))*ent:]
	return h, nil
}

// candidates calls try with each symbol of hash's bucket chain, in the
// loader's order, until try returns true. A chain that loops is an error.
func (h *sysvHashTable) candidates(f *File, hash uint32, try func(sym uint32) bool) error {
	if h.nbucket == 0 {
		return nil
	}
	sym := h.at(f, h.buckets, hash%h.nbucket)
	for steps := uint32(0); sym != 0; steps++ {
		if sym >= h.nchain || steps > h.nchain {
			return f.formatErr(h.off, "DT_HASH chain for hash %#x is broken at symbol %d (nchain %d)", hash, sym, h.nchain)
		}
		if try(sym) {
			return nil
		}
		sym = h.at(f, h.chain, sym)
	}
	return nil
}
