package elfx

import (
	"debug/elf"
	"fmt"
)

// SectionHeaders decodes the section header table. The dynamic view never
// depends on it (the loader ignores sections); it is used only where a
// section's size is more precise than what the dynamic array says, and to
// name sections. A file without section headers gives an empty list.
func (f *File) SectionHeaders() ([]elf.SectionHeader, error) {
	f.secOnce.Do(func() { f.sections, f.secErr = f.readSections() })
	return f.sections, f.secErr
}

func (f *File) readSections() ([]elf.SectionHeader, error) {
	if f.shErr != nil {
		return nil, f.shErr
	}
	if f.ShOff == 0 || f.ShNum == 0 {
		return nil, nil
	}
	table, err := f.sectionTable()
	if err != nil {
		return nil, err
	}
	shs := make([]elf.SectionHeader, f.ShNum)
	nameOffs := make([]uint32, f.ShNum)
	for i := range shs {
		shs[i], nameOffs[i] = f.decodeSection(table[i*f.layout.shdr:])
	}
	if f.ShStrNdx <= 0 || f.ShStrNdx >= len(shs) {
		return shs, nil
	}
	names := shs[f.ShStrNdx]
	if names.Type == elf.SHT_NOBITS {
		return shs, nil
	}
	b, err := f.read(names.Offset, names.Size, "section name table")
	if err != nil {
		return nil, err
	}
	tab := string(b)
	for i := range shs {
		name, ok := stringAt(tab, uint64(nameOffs[i]))
		if !ok {
			return nil, f.formatErr(f.ShOff+uint64(i*f.layout.shdr), "section %d name offset %#x outside the section name table", i, nameOffs[i])
		}
		shs[i].Name = name
	}
	return shs, nil
}

// sectionTable returns the raw section header table.
func (f *File) sectionTable() ([]byte, error) {
	return f.read(f.ShOff, uint64(f.ShNum)*uint64(f.layout.shdr), fmt.Sprintf("section header table (%d entries)", f.ShNum))
}

// dynsymSectionCount returns the number of symbols in the SHT_DYNSYM
// section at addr, or false when there is no such section (or no readable
// section header table: sections are optional for everything dynamic).
func (f *File) dynsymSectionCount(addr uint64) (uint64, bool) {
	if f.ShOff == 0 || f.ShNum == 0 {
		return 0, false
	}
	table, err := f.sectionTable()
	if err != nil {
		return 0, false
	}
	for i := 0; i < f.ShNum; i++ {
		sh, _ := f.decodeSection(table[i*f.layout.shdr:])
		if sh.Type == elf.SHT_DYNSYM && sh.Addr == addr && sh.Entsize == uint64(f.layout.sym) {
			return sh.Size / sh.Entsize, true
		}
	}
	return 0, false
}

// decodeSection decodes the section header at the start of b and returns
// the offset of its name in the section name table.
func (f *File) decodeSection(b []byte) (elf.SectionHeader, uint32) {
	d := f.decoder(b)
	var sh elf.SectionHeader
	if f.Class == elf.ELFCLASS64 {
		sh = elf.SectionHeader{
			Type: elf.SectionType(d.u32(4)), Flags: elf.SectionFlag(d.u64(8)),
			Addr: d.u64(16), Offset: d.u64(24), Size: d.u64(32),
			Link: d.u32(40), Info: d.u32(44), Addralign: d.u64(48), Entsize: d.u64(56),
		}
	} else {
		sh = elf.SectionHeader{
			Type: elf.SectionType(d.u32(4)), Flags: elf.SectionFlag(d.u32(8)),
			Addr: uint64(d.u32(12)), Offset: uint64(d.u32(16)), Size: uint64(d.u32(20)),
			Link: d.u32(24), Info: d.u32(28), Addralign: uint64(d.u32(32)), Entsize: uint64(d.u32(36)),
		}
	}
	sh.FileSize = sh.Size
	if sh.Type == elf.SHT_NOBITS {
		sh.FileSize = 0
	}
	return sh, d.u32(0)
}
