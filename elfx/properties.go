package elfx

import "debug/elf"

// GNU property types (binutils include/elf/common.h).
const (
	GNU_PROPERTY_STACK_SIZE                      = 1
	GNU_PROPERTY_NO_COPY_ON_PROTECTED            = 2
	GNU_PROPERTY_1_NEEDED                        = 0xb0008000
	GNU_PROPERTY_AARCH64_FEATURE_1_AND           = 0xc0000000
	GNU_PROPERTY_X86_FEATURE_1_AND               = 0xc0000002
	GNU_PROPERTY_X86_ISA_1_NEEDED                = 0xc0008002
	GNU_PROPERTY_X86_FEATURE_2_NEEDED            = 0xc0008001
	GNU_PROPERTY_X86_ISA_1_USED                  = 0xc0010002
	GNU_PROPERTY_X86_FEATURE_2_USED              = 0xc0010001
	GNU_PROPERTY_X86_FEATURE_1_IBT               = 1 << 0
	GNU_PROPERTY_X86_FEATURE_1_SHSTK             = 1 << 1
	GNU_PROPERTY_AARCH64_FEATURE_1_BTI           = 1 << 0
	GNU_PROPERTY_AARCH64_FEATURE_1_PAC           = 1 << 1
	GNU_PROPERTY_1_NEEDED_INDIRECT_EXTERN_ACCESS = 1 << 0
)

// Property is one entry of a NT_GNU_PROPERTY_TYPE_0 note.
type Property struct {
	Type uint32
	Data []byte
}

// Value returns a 4-byte property's value, the form of every bit-mask
// property; ok is false for other sizes.
func (p Property) value(f *File) (uint32, bool) {
	if len(p.Data) != 4 {
		return 0, false
	}
	return f.ByteOrder.Uint32(p.Data), true
}

// Properties decodes the GNU property notes. Entries are padded to the
// word size of the file's class.
func (f *File) Properties() ([]Property, error) {
	notes, err := f.notes()
	if err != nil {
		return nil, err
	}
	var props []Property
	pad := uint64(f.layout.word)
	for _, n := range notes {
		if n.Owner != "GNU" || n.Type != NT_GNU_PROPERTY_TYPE_0 {
			continue
		}
		b := n.Desc
		for pos := uint64(0); pos < uint64(len(b)); {
			if uint64(len(b))-pos < 8 {
				return nil, f.formatErr(n.Off, "GNU property header truncated")
			}
			d := f.decoder(b[pos:])
			typ, size := d.u32(0), uint64(d.u32(4))
			if size > uint64(len(b))-pos-8 {
				return nil, f.formatErr(n.Off, "GNU property %#x of %d bytes overruns its note", typ, size)
			}
			props = append(props, Property{Type: typ, Data: b[pos+8 : pos+8+size]})
			pos = min(alignUp(pos+8+size, pad), uint64(len(b)))
		}
	}
	return props, nil
}

// Features summarises the hardening and ISA properties the linker recorded.
type Features struct {
	IBT, SHSTK  bool   // x86 indirect branch tracking and shadow stack
	BTI, PAC    bool   // aarch64 branch target identification and pointer authentication
	ISANeeded   uint32 // x86-64 ISA level bits: 1 baseline, 2 v2, 4 v3, 8 v4
	ISAUsed     uint32
	HasISALevel bool
}

// Features reads the GNU property notes' feature bits.
func (f *File) Features() (Features, error) {
	props, err := f.Properties()
	if err != nil {
		return Features{}, err
	}
	var ft Features
	for _, p := range props {
		v, ok := p.value(f)
		if !ok {
			continue
		}
		switch {
		case p.Type == GNU_PROPERTY_X86_FEATURE_1_AND && (f.Machine == elf.EM_X86_64 || f.Machine == elf.EM_386):
			ft.IBT = v&GNU_PROPERTY_X86_FEATURE_1_IBT != 0
			ft.SHSTK = v&GNU_PROPERTY_X86_FEATURE_1_SHSTK != 0
		case p.Type == GNU_PROPERTY_X86_ISA_1_NEEDED:
			ft.ISANeeded, ft.HasISALevel = v, true
		case p.Type == GNU_PROPERTY_X86_ISA_1_USED:
			ft.ISAUsed, ft.HasISALevel = v, true
		case p.Type == GNU_PROPERTY_AARCH64_FEATURE_1_AND && f.Machine == elf.EM_AARCH64:
			ft.BTI = v&GNU_PROPERTY_AARCH64_FEATURE_1_BTI != 0
			ft.PAC = v&GNU_PROPERTY_AARCH64_FEATURE_1_PAC != 0
		}
	}
	return ft, nil
}
