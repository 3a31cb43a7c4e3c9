package elfx

import (
	"debug/elf"
	"strings"
)

// offsetOf translates the address range [addr, addr+n) to a file offset
// through the PT_LOAD segment whose file image holds it, as the loader's
// mapping would. Bytes past p_filesz are zero-fill, not file data.
func (f *File) offsetOf(addr, n uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr {
			continue
		}
		rel := addr - p.Vaddr
		// p_offset + rel must not wrap around: both stay within the file.
		if rel <= p.Filesz && n <= p.Filesz-rel && p.Off <= f.src.size && rel <= f.src.size-p.Off && f.src.inFile(p.Off+rel, n) {
			return p.Off + rel, true
		}
	}
	return 0, false
}

// loadedBytesAt returns how many bytes of file image follow addr in its
// PT_LOAD segment: the most a table at addr with no recorded size can hold.
func (f *File) loadedBytesAt(addr uint64) uint64 {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr-p.Vaddr <= p.Filesz {
			rel := addr - p.Vaddr
			if p.Off > f.src.size || rel > f.src.size-p.Off {
				return 0
			}
			return min(p.Filesz-rel, f.src.size-(p.Off+rel))
		}
	}
	return 0
}

// readAddr returns the n bytes the loader would see at addr. what names the
// data and ref is the file offset of the record that pointed there, for the
// error.
func (f *File) readAddr(addr, n uint64, what string, ref uint64) ([]byte, error) {
	off, ok := f.offsetOf(addr, n)
	if !ok {
		return nil, f.formatErr(ref, "%s at address %#x (%d bytes) is not in the file image of any PT_LOAD segment", what, addr, n)
	}
	return f.read(off, n, what)
}

// stringAt returns the NUL-terminated string at off in tab. The result
// shares tab's memory: string tables are copied out of the file once, not
// string by string, because records may name overlapping strings of one
// table any number of times.
func stringAt(tab string, off uint64) (string, bool) {
	if off >= uint64(len(tab)) {
		return "", false
	}
	if i := strings.IndexByte(tab[off:], 0); i >= 0 {
		return tab[off : off+uint64(i)], true
	}
	return "", false
}

// ReadVirtual returns a copy of the n bytes of the file's image at the
// link-time address addr, from the PT_LOAD segment that maps them: the
// code and data the loader maps, whatever the section headers say. Bytes
// past a segment's file size (.bss) are not in the file: an error.
func (f *File) ReadVirtual(addr, n uint64) ([]byte, error) {
	if f.closed.Load() {
		return nil, ErrClosed
	}
	b, err := f.readAddr(addr, n, "the bytes asked for", f.PhOff)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}
