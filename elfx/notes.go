package elfx

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"slices"
)

// Note types of the "GNU" owner.
const (
	NT_GNU_ABI_TAG         = 1
	NT_GNU_BUILD_ID        = 3
	NT_GNU_GOLD_VERSION    = 4
	NT_GNU_PROPERTY_TYPE_0 = 5
)

// Note is one entry of a PT_NOTE segment.
type Note struct {
	Owner string // the name field without its NUL, e.g. "GNU"
	Type  uint32
	Desc  []byte
	Off   uint64 // file offset of the note header
}

// Notes decodes every PT_NOTE segment, as the loader and the kernel see them.
// The description is padded to 8 bytes in segments aligned to 8 (where
// GNU property notes live) and to 4 otherwise. Segments larger in sum than
// the file are an error.
func (f *File) Notes() ([]Note, error) {
	notes, err := f.notes()
	return slices.Clone(notes), err
}

// notes decodes the notes once; BuildID, ABITag and the properties read
// them too.
func (f *File) notes() ([]Note, error) {
	f.noteOnce.Do(func() { f.noteList, f.noteErr = f.readNotes() })
	return f.noteList, f.noteErr
}

func (f *File) readNotes() ([]Note, error) {
	var notes []Note
	// Segments may overlap; their sizes are counted against the file's
	// so that many segments over one region cannot repeat it many times.
	var total uint64
	for i, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b, err := f.read(p.Off, p.Filesz, "PT_NOTE segment")
		if err != nil {
			return nil, err
		}
		if total += p.Filesz; total > f.src.size {
			return nil, f.formatErr(f.PhOff+uint64(i*f.layout.phdr), "PT_NOTE segments hold %d bytes in all, more than the file (%d bytes)", total, f.src.size)
		}
		align := uint64(4)
		if p.Align == 8 {
			align = 8
		}
		for pos := uint64(0); pos < uint64(len(b)); {
			if uint64(len(b))-pos < 12 {
				return nil, f.formatErr(p.Off+pos, "note header truncated")
			}
			d := f.decoder(b[pos:])
			namesz, descsz, typ := uint64(d.u32(0)), uint64(d.u32(4)), d.u32(8)
			nameAt := pos + 12
			descAt := alignUp(nameAt+namesz, 4) // names are always 4-aligned
			end := alignUp(descAt+descsz, align)
			if namesz > uint64(len(b)) || descsz > uint64(len(b)) || descAt+descsz > uint64(len(b)) {
				return nil, f.formatErr(p.Off+pos, "note (name %d bytes, description %d bytes) overruns its segment", namesz, descsz)
			}
			notes = append(notes, Note{
				Owner: cstring(b[nameAt : nameAt+namesz]),
				Type:  typ,
				Desc:  append([]byte(nil), b[descAt:descAt+descsz]...),
				Off:   p.Off + pos,
			})
			pos = min(end, uint64(len(b)))
		}
	}
	return notes, nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// BuildID returns the hex NT_GNU_BUILD_ID, or "" when the file has none.
func (f *File) BuildID() (string, error) {
	notes, err := f.notes()
	if err != nil {
		return "", err
	}
	for _, n := range notes {
		if n.Owner == "GNU" && n.Type == NT_GNU_BUILD_ID {
			return hex.EncodeToString(n.Desc), nil
		}
	}
	return "", nil
}

// ABITag is the NT_GNU_ABI_TAG note: the oldest kernel the file runs on.
type ABITag struct {
	OS                     uint32 // 0 Linux, 1 Hurd, 2 Solaris, 3 FreeBSD
	Major, Minor, Subminor uint32
}

var abiTagOS = []string{"Linux", "Hurd", "Solaris", "FreeBSD"}

func (t ABITag) String() string {
	os := fmt.Sprintf("OS %d", t.OS)
	if int(t.OS) < len(abiTagOS) {
		os = abiTagOS[t.OS]
	}
	return fmt.Sprintf("%s %d.%d.%d", os, t.Major, t.Minor, t.Subminor)
}

// ABITag decodes a NT_GNU_ABI_TAG note.
func (f *File) ABITag(n Note) (ABITag, error) {
	if len(n.Desc) < 16 {
		return ABITag{}, f.formatErr(n.Off, "NT_GNU_ABI_TAG description is %d bytes, want 16", len(n.Desc))
	}
	d := f.decoder(n.Desc)
	return ABITag{d.u32(0), d.u32(4), d.u32(8), d.u32(12)}, nil
}
