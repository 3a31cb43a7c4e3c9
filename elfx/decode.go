package elfx

import "encoding/binary"

// decoder reads fixed-size fields of one record. Callers slice records to
// their full size first, so field offsets are always in range.
type decoder struct {
	b     []byte
	order binary.ByteOrder
}

func (f *File) decoder(b []byte) decoder { return decoder{b, f.ByteOrder} }

func (d decoder) u16(off int) uint16 { return d.order.Uint16(d.b[off:]) }
func (d decoder) u32(off int) uint32 { return d.order.Uint32(d.b[off:]) }
func (d decoder) u64(off int) uint64 { return d.order.Uint64(d.b[off:]) }

// word reads an address-sized field: 4 bytes in ELF32, 8 in ELF64.
func (d decoder) word(off, size int) uint64 {
	if size == 4 {
		return uint64(d.u32(off))
	}
	return d.u64(off)
}
