package elfx

import "debug/elf"

// VersionNeed is one DT_VERNEED entry: the versions this object requires
// from one library.
type VersionNeed struct {
	File  string // the library, as named in DT_NEEDED
	Needs []VersionNeedAux
}

// VersionNeedAux is one required version.
type VersionNeedAux struct {
	Name  string
	Hash  uint32 // vna_hash: the SysV hash of Name, which the loader compares first
	Flags elf.DynamicVersionFlag
	Index uint16 // vna_other: the index symbols use in DT_VERSYM; bit 15 marks it hidden
}

// VersionDef is one DT_VERDEF entry: a version this object defines.
type VersionDef struct {
	Index   uint16
	Flags   elf.DynamicVersionFlag
	Hash    uint32
	Name    string   // the first auxiliary name
	Parents []string // the further auxiliary names, the versions this one inherits
}

// versionTables holds the decoded DT_VERNEED and DT_VERDEF and, like the
// loader's l_versions, what each DT_VERSYM index stands for.
type versionTables struct {
	needs []VersionNeed
	defs  []VersionDef
	// slot maps a version index to its entry in infos, plus one; 0
	// where the index is not defined. A file may use index 0x7fff with
	// a single record, so the table by index holds two bytes an index,
	// and infos one entry a defined index.
	slot  []uint16
	infos []versionInfo

	// auxBytes counts the bytes of the auxiliary entries that the
	// entries read so far claim. Entries may share one auxiliary chain,
	// so each count is checked against the file's size in sum, not
	// alone.
	auxBytes uint64
}

// setIndex records what version index i stands for. Indexes are 15 bits,
// so the table stays small however the file sets them.
func (v *versionTables) setIndex(i uint16, info versionInfo) {
	i &= 0x7fff
	if int(i) >= len(v.slot) {
		v.slot = append(v.slot, make([]uint16, int(i)+1-len(v.slot))...)
	}
	if s := v.slot[i]; s != 0 {
		v.infos[s-1] = info
		return
	}
	v.infos = append(v.infos, info) // at most 0x8000 entries, one an index
	v.slot[i] = uint16(len(v.infos))
}

// lookup returns what version index i stands for.
func (v *versionTables) lookup(i uint16) (versionInfo, bool) {
	if int(i) >= len(v.slot) || v.slot[i] == 0 {
		return versionInfo{}, false
	}
	return v.infos[v.slot[i]-1], true
}

// versionInfo is what one version index names.
type versionInfo struct {
	name   string
	hash   uint32
	file   string // the library a needed version comes from; "" for a defined version
	hidden bool   // a needed version whose vna_other has the hidden bit
}

// VersionNeeds returns the DT_VERNEED entries in file order.
func (f *File) VersionNeeds() ([]VersionNeed, error) {
	v, err := f.versions()
	if err != nil {
		return nil, err
	}
	return v.needs, nil
}

// VersionDefs returns the DT_VERDEF entries in file order, the base entry
// (the object's own name, VER_FLG_BASE) first.
func (f *File) VersionDefs() ([]VersionDef, error) {
	v, err := f.versions()
	if err != nil {
		return nil, err
	}
	return v.defs, nil
}

func (f *File) versions() (*versionTables, error) {
	if f.closed.Load() {
		return nil, ErrClosed
	}
	f.verOnce.Do(func() { f.vers, f.verErr = f.readVersions() })
	return f.vers, f.verErr
}

func (f *File) readVersions() (*versionTables, error) {
	v := &versionTables{}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		return v, err
	}
	if addr, ok := d.Value(elf.DT_VERNEED); ok {
		count, hasCount := d.Value(elf.DT_VERNEEDNUM)
		if err := f.walkVersionChain(d, addr, 16, count, hasCount, "DT_VERNEED", func(ent decoder, addr, off uint64) (uint32, error) {
			return f.readVerneed(d, v, ent, addr, off)
		}); err != nil {
			return nil, err
		}
	}
	if addr, ok := d.Value(elf.DT_VERDEF); ok {
		count, hasCount := d.Value(elf.DT_VERDEFNUM)
		if err := f.walkVersionChain(d, addr, 20, count, hasCount, "DT_VERDEF", func(ent decoder, addr, off uint64) (uint32, error) {
			return f.readVerdef(d, v, ent, addr, off)
		}); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// walkVersionChain visits the records of a version chain linked by a
// byte offset to the next record (vn_next, vd_next, at offset 12 and 16 of
// the record). It stops after count records when the dynamic array gives
// a count, else at a zero link, and rejects a chain that loops.
func (f *File) walkVersionChain(d *Dynamic, addr, size, count uint64, hasCount bool, what string,
	visit func(ent decoder, addr, off uint64) (next uint32, err error)) error {
	if hasCount && count > f.src.size/size {
		return f.formatErr(d.Off, "%s count %d exceeds what the file can hold", what, count)
	}
	seen := map[uint64]bool{}
	for i := uint64(0); !hasCount || i < count; i++ {
		off, ok := f.offsetOf(addr, size)
		if !ok {
			return f.formatErr(d.Off, "%s entry %d at address %#x is not in the file image of any PT_LOAD segment", what, i, addr)
		}
		if seen[off] {
			return f.formatErr(off, "%s chain loops back to entry %d", what, i)
		}
		seen[off] = true
		b, err := f.read(off, size, what)
		if err != nil {
			return err
		}
		next, err := visit(f.decoder(b), addr, off)
		if err != nil {
			return err
		}
		if next == 0 {
			if hasCount && i+1 < count {
				return f.formatErr(off, "%s chain ends after %d of %d entries", what, i+1, count)
			}
			return nil
		}
		addr += uint64(next)
	}
	return nil
}

func (f *File) readVerneed(d *Dynamic, v *versionTables, ent decoder, addr, off uint64) (uint32, error) {
	if ver := ent.u16(0); ver != 1 {
		return 0, f.formatErr(off, "DT_VERNEED entry has version %d, want 1", ver)
	}
	cnt, fileOff, auxOff, next := ent.u16(2), ent.u32(4), ent.u32(8), ent.u32(12)
	file, ok := stringAt(f.stringTable(), uint64(fileOff))
	if !ok {
		return 0, f.formatErr(off, "DT_VERNEED file name offset %#x outside DT_STRTAB", fileOff)
	}
	if v.auxBytes += uint64(cnt) * 16; v.auxBytes > f.src.size {
		return 0, f.formatErr(off, "DT_VERNEED entry of %s claims %d versions, more than the file can hold with the entries before it", file, cnt)
	}
	need := VersionNeed{File: file, Needs: make([]VersionNeedAux, 0, cnt)}
	addr += uint64(auxOff)
	for j := 0; j < int(cnt); j++ {
		aoff, ok := f.offsetOf(addr, 16)
		if !ok {
			return 0, f.formatErr(off, "DT_VERNEED auxiliary entry %d of %s is outside the file", j, file)
		}
		b, err := f.read(aoff, 16, "DT_VERNEED auxiliary entry")
		if err != nil {
			return 0, err
		}
		a := f.decoder(b)
		aux := VersionNeedAux{Hash: a.u32(0), Flags: elf.DynamicVersionFlag(a.u16(4)), Index: a.u16(6)}
		if aux.Name, ok = stringAt(f.stringTable(), uint64(a.u32(8))); !ok {
			return 0, f.formatErr(aoff, "DT_VERNEED version name offset %#x outside DT_STRTAB", a.u32(8))
		}
		need.Needs = append(need.Needs, aux)
		v.setIndex(aux.Index, versionInfo{name: aux.Name, hash: aux.Hash, file: file, hidden: aux.Index&0x8000 != 0})
		anext := a.u32(12)
		if anext == 0 {
			if j+1 < int(cnt) {
				return 0, f.formatErr(aoff, "DT_VERNEED auxiliary chain of %s ends after %d of %d entries", file, j+1, cnt)
			}
			break
		}
		addr += uint64(anext)
	}
	v.needs = append(v.needs, need)
	return next, nil
}

func (f *File) readVerdef(d *Dynamic, v *versionTables, ent decoder, addr, off uint64) (uint32, error) {
	if ver := ent.u16(0); ver != 1 {
		return 0, f.formatErr(off, "DT_VERDEF entry has version %d, want 1", ver)
	}
	def := VersionDef{
		Flags: elf.DynamicVersionFlag(ent.u16(2)), Index: ent.u16(4),
		Hash: ent.u32(8),
	}
	cnt, auxOff, next := ent.u16(6), ent.u32(12), ent.u32(16)
	if v.auxBytes += uint64(cnt) * 8; v.auxBytes > f.src.size {
		return 0, f.formatErr(off, "DT_VERDEF entry for index %d claims %d names, more than the file can hold with the entries before it", def.Index, cnt)
	}
	addr += uint64(auxOff)
	for j := 0; j < int(cnt); j++ {
		aoff, ok := f.offsetOf(addr, 8)
		if !ok {
			return 0, f.formatErr(off, "DT_VERDEF auxiliary entry %d of version index %d is outside the file", j, def.Index)
		}
		b, err := f.read(aoff, 8, "DT_VERDEF auxiliary entry")
		if err != nil {
			return 0, err
		}
		a := f.decoder(b)
		name, ok := stringAt(f.stringTable(), uint64(a.u32(0)))
		if !ok {
			return 0, f.formatErr(aoff, "DT_VERDEF version name offset %#x outside DT_STRTAB", a.u32(0))
		}
		if j == 0 {
			def.Name = name
		} else {
			def.Parents = append(def.Parents, name)
		}
		anext := a.u32(4)
		if anext == 0 {
			break
		}
		addr += uint64(anext)
	}
	if cnt == 0 {
		return 0, f.formatErr(off, "DT_VERDEF entry for index %d has no name", def.Index)
	}
	v.defs = append(v.defs, def)
	// Like the loader, the base entry (the object's own name) names no index.
	if def.Flags&elf.VER_FLG_BASE == 0 {
		v.setIndex(def.Index, versionInfo{name: def.Name, hash: def.Hash})
	}
	return next, nil
}
