package elfx

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by the methods of a File after Close: the mapping
// its tables pointed into is gone.
var ErrClosed = errors.New("elfx: file already closed")

// FileHeader is the decoded ELF header.
type FileHeader struct {
	Class      elf.Class
	Data       elf.Data
	OSABI      elf.OSABI
	ABIVersion uint8
	ByteOrder  binary.ByteOrder
	Type       elf.Type
	Machine    elf.Machine
	Entry      uint64
	Flags      uint32
	PhOff      uint64 // e_phoff
	ShOff      uint64 // e_shoff; 0 when the section headers are gone
	ShNum      int    // number of section headers, after the PN_XNUM/SHN_UNDEF escapes
	ShStrNdx   int    // index of the section-name string table
}

// A File is an open ELF file. Its methods are safe for concurrent use,
// except Close, after which every method fails with ErrClosed.
type File struct {
	FileHeader
	Progs []elf.ProgHeader // every program header, in file order

	path   string
	src    source
	closer io.Closer
	layout layout // sizes of the class-dependent records
	closed atomic.Bool

	dynOnce sync.Once
	dyn     *Dynamic
	dynErr  error

	symOnce sync.Once
	syms    *symbolTable
	symErr  error

	verOnce sync.Once
	vers    *versionTables
	verErr  error

	// strtabOff and strtabSize locate DT_STRTAB in the file;
	// stringTable copies it once.
	strtabOff, strtabSize uint64
	strOnce               sync.Once
	strtab                string

	noteOnce sync.Once
	noteList []Note
	noteErr  error

	secOnce  sync.Once
	sections []elf.SectionHeader
	secErr   error
	shErr    error // a broken section header table, found by init
}

// layout holds the sizes of the records whose shape depends on the class.
type layout struct {
	word, ehdr, phdr, shdr, dyn, sym, rel, rela int
}

var (
	layout32 = layout{word: 4, ehdr: 52, phdr: 32, shdr: 40, dyn: 8, sym: 16, rel: 8, rela: 12}
	layout64 = layout{word: 8, ehdr: 64, phdr: 56, shdr: 64, dyn: 16, sym: 24, rel: 16, rela: 24}
)

// Open maps the named file read-only (or reads it, when it cannot be mapped)
// and decodes its ELF and program headers. Errors name the file.
func Open(path string) (*File, error) {
	data, size, heap, err := mapPath(path)
	if err != nil {
		return nil, err
	}
	f := &File{path: path}
	if data != nil {
		f.src = source{mapped: data, size: uint64(len(data)), heap: heap}
	} else {
		osf, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		f.src = source{r: osf, size: uint64(size)}
		f.closer = osf
	}
	if err := f.init(); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// NewFile decodes the ELF file in r, which starts at offset 0. The size of
// the file is taken from r's Size or Stat method when it has one.
func NewFile(r io.ReaderAt) (*File, error) {
	size, err := sizeOf(r)
	if err != nil {
		return nil, err
	}
	f := &File{src: source{r: r, size: size}}
	if err := f.init(); err != nil {
		return nil, err
	}
	return f, nil
}

// Close releases the mapping or the file opened by Open. Slices and strings
// returned earlier stay valid: every string is copied out of the mapping.
func (f *File) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	err := f.src.unmap()
	if f.closer != nil {
		if cerr := f.closer.Close(); err == nil {
			err = cerr
		}
		f.closer = nil
	}
	return err
}

// Path is the name the file was opened with, or "" for NewFile.
func (f *File) Path() string { return f.path }

// Size is the size of the file in bytes.
func (f *File) Size() uint64 { return f.src.size }

// read returns n bytes at file offset off, or a *FormatError naming what
// was being read when the range is outside the file.
func (f *File) read(off, n uint64, what string) ([]byte, error) {
	if f.closed.Load() {
		return nil, ErrClosed
	}
	if !f.src.inFile(off, n) {
		return nil, f.formatErr(off, "%s (%d bytes) extends past the end of the file (%d bytes)", what, n, f.src.size)
	}
	b, err := f.src.bytes(off, n)
	if err != nil {
		return nil, f.formatErr(off, "reading %s: %v", what, err)
	}
	return b, nil
}

func (f *File) init() error {
	ident, err := f.read(0, min(f.src.size, elf.EI_NIDENT), "ELF identification")
	if err != nil {
		return err
	}
	if len(ident) < len(elf.ELFMAG) || string(ident[:len(elf.ELFMAG)]) != elf.ELFMAG {
		return &FormatError{File: f.path, Msg: fmt.Sprintf("not an ELF file (magic %q)", ident[:min(len(ident), len(elf.ELFMAG))]), Err: ErrNotELF}
	}
	if len(ident) < elf.EI_NIDENT {
		return f.formatErr(0, "ELF identification truncated at %d bytes", len(ident))
	}
	f.Class = elf.Class(ident[elf.EI_CLASS])
	switch f.Class {
	case elf.ELFCLASS32:
		f.layout = layout32
	case elf.ELFCLASS64:
		f.layout = layout64
	default:
		return f.formatErr(elf.EI_CLASS, "unknown ELF class %v", f.Class)
	}
	f.Data = elf.Data(ident[elf.EI_DATA])
	switch f.Data {
	case elf.ELFDATA2LSB:
		f.ByteOrder = binary.LittleEndian
	case elf.ELFDATA2MSB:
		f.ByteOrder = binary.BigEndian
	default:
		return f.formatErr(elf.EI_DATA, "unknown ELF data encoding %v", f.Data)
	}
	if v := elf.Version(ident[elf.EI_VERSION]); v != elf.EV_CURRENT {
		return f.formatErr(elf.EI_VERSION, "unknown ELF version %v", v)
	}
	f.OSABI = elf.OSABI(ident[elf.EI_OSABI])
	f.ABIVersion = ident[elf.EI_ABIVERSION]

	hdr, err := f.read(0, uint64(f.layout.ehdr), "ELF header")
	if err != nil {
		return err
	}
	d := f.decoder(hdr)
	f.Type = elf.Type(d.u16(16))
	f.Machine = elf.Machine(d.u16(18))
	var phentsize, phnum, shentsize, shnum, shstrndx int
	if f.Class == elf.ELFCLASS64 {
		f.Entry, f.PhOff, f.ShOff = d.u64(24), d.u64(32), d.u64(40)
		f.Flags = d.u32(48)
		phentsize, phnum = int(d.u16(54)), int(d.u16(56))
		shentsize, shnum, shstrndx = int(d.u16(58)), int(d.u16(60)), int(d.u16(62))
	} else {
		f.Entry, f.PhOff, f.ShOff = uint64(d.u32(24)), uint64(d.u32(28)), uint64(d.u32(32))
		f.Flags = d.u32(36)
		phentsize, phnum = int(d.u16(42)), int(d.u16(44))
		shentsize, shnum, shstrndx = int(d.u16(46)), int(d.u16(48)), int(d.u16(50))
	}
	f.ShNum, f.ShStrNdx = shnum, shstrndx
	if phnum, err = f.sectionCounts(shentsize, phnum); err != nil {
		return err
	}
	if phnum == 0 {
		return nil
	}
	if phentsize != f.layout.phdr {
		return f.formatErr(0, "program header entry size %d, want %d", phentsize, f.layout.phdr)
	}
	// The kernel refuses program header tables over 64 KiB
	// (load_elf_phdrs); the bound also keeps address lookups cheap.
	if size := phnum * phentsize; size > 64<<10 {
		return f.formatErr(f.PhOff, "program header table of %d entries (%d bytes) exceeds the 64 KiB the kernel loads", phnum, size)
	}
	table, err := f.read(f.PhOff, uint64(phnum)*uint64(phentsize), fmt.Sprintf("program header table (%d entries)", phnum))
	if err != nil {
		return err
	}
	f.Progs = make([]elf.ProgHeader, phnum)
	for i := range f.Progs {
		f.Progs[i] = f.decodeProg(table[i*phentsize:])
	}
	return nil
}

// sectionCounts settles the section header count and index of the name
// table, and for PN_XNUM the program header count, which live in section
// header 0 when too large for the ELF header. The loader never reads
// section headers, so a broken table becomes the error SectionHeaders
// returns instead of failing the file, unless the program header count
// depends on it.
func (f *File) sectionCounts(shentsize, phnum int) (int, error) {
	if f.ShOff == 0 {
		f.ShNum, f.ShStrNdx = 0, 0
		return phnum, nil
	}
	needSH0 := f.ShNum == 0 || phnum == 0xffff || f.ShStrNdx == int(elf.SHN_XINDEX)
	err := func() error {
		if shentsize != f.layout.shdr {
			return f.formatErr(0, "section header entry size %d, want %d", shentsize, f.layout.shdr)
		}
		if needSH0 {
			b, err := f.read(f.ShOff, uint64(f.layout.shdr), "section header 0")
			if err != nil {
				return err
			}
			sh0, _ := f.decodeSection(b)
			if f.ShNum == 0 {
				f.ShNum = int(min(sh0.Size, f.src.size))
			}
			if phnum == 0xffff {
				phnum = int(sh0.Info)
			}
			if f.ShStrNdx == int(elf.SHN_XINDEX) {
				f.ShStrNdx = int(sh0.Link)
			}
		}
		if n := uint64(f.ShNum); n > (f.src.size-min(f.ShOff, f.src.size))/uint64(f.layout.shdr) {
			return f.formatErr(f.ShOff, "%d section headers do not fit in the file", n)
		}
		return nil
	}()
	if err != nil {
		if phnum == 0xffff {
			return 0, err
		}
		f.ShNum, f.ShStrNdx, f.shErr = 0, 0, err
	}
	return phnum, nil
}

func (f *File) decodeProg(b []byte) elf.ProgHeader {
	d := f.decoder(b)
	if f.Class == elf.ELFCLASS64 {
		return elf.ProgHeader{
			Type: elf.ProgType(d.u32(0)), Flags: elf.ProgFlag(d.u32(4)),
			Off: d.u64(8), Vaddr: d.u64(16), Paddr: d.u64(24),
			Filesz: d.u64(32), Memsz: d.u64(40), Align: d.u64(48),
		}
	}
	return elf.ProgHeader{
		Type: elf.ProgType(d.u32(0)), Off: uint64(d.u32(4)),
		Vaddr: uint64(d.u32(8)), Paddr: uint64(d.u32(12)),
		Filesz: uint64(d.u32(16)), Memsz: uint64(d.u32(20)),
		Flags: elf.ProgFlag(d.u32(24)), Align: uint64(d.u32(28)),
	}
}

// Prog returns the first program header of type t.
func (f *File) Prog(t elf.ProgType) (elf.ProgHeader, bool) {
	for _, p := range f.Progs {
		if p.Type == t {
			return p, true
		}
	}
	return elf.ProgHeader{}, false
}

// Interpreter returns the path named by PT_INTERP, or "" when there is none.
func (f *File) Interpreter() (string, error) {
	p, ok := f.Prog(elf.PT_INTERP)
	if !ok {
		return "", nil
	}
	b, err := f.read(p.Off, p.Filesz, "PT_INTERP")
	if err != nil {
		return "", err
	}
	return cstring(b), nil
}

// cstring returns b up to its first NUL byte, copied.
func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
