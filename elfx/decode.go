package elfx

import (
	"debug/elf"
	"encoding/binary"
)

// decoder reads fixed-size fields of one record. Callers slice records to
// their full size first, so field offsets are always in range. It calls
// binary.LittleEndian or BigEndian directly rather than through the
// ByteOrder interface, so that each field read is inlined: symbol tables
// are decoded by the hundred thousand.
type decoder struct {
	b      []byte
	little bool
}

func (f *File) decoder(b []byte) decoder { return decoder{b, f.Data == elf.ELFDATA2LSB} }

func (d decoder) u16(off int) uint16 {
	if d.little {
		return binary.LittleEndian.Uint16(d.b[off:])
	}
	return binary.BigEndian.Uint16(d.b[off:])
}

func (d decoder) u32(off int) uint32 {
	if d.little {
		return binary.LittleEndian.Uint32(d.b[off:])
	}
	return binary.BigEndian.Uint32(d.b[off:])
}

func (d decoder) u64(off int) uint64 {
	if d.little {
		return binary.LittleEndian.Uint64(d.b[off:])
	}
	return binary.BigEndian.Uint64(d.b[off:])
}

// word reads an address-sized field: 4 bytes in ELF32, 8 in ELF64.
func (d decoder) word(off, size int) uint64 {
	if size == 4 {
		return uint64(d.u32(off))
	}
	return d.u64(off)
}
