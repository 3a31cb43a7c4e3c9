package main

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/elfx/elfx/fixtures"
)

// deepTypes is how many structures the large debug information chains.
const deepTypes = 3000

// bombSize is what the compression bomb inflates to.
const bombSize = 256 << 20

// dwarfFiles compiles into dir a library whose debug information is large
// and deep: deepTypes structures, each holding a pointer to the next and
// the next by value in turn, and an exported function taking the first.
// It returns that library and two hostile copies: its .debug_info
// replaced by a compression bomb (a zlib stream of bombSize zero bytes,
// stored as a SHF_COMPRESSED section), and by a compression header that
// claims 2^62 bytes.
func dwarfFiles(dir string) (lib string, hostile []string, err error) {
	cc, err := fixtures.HostCC()
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	var src strings.Builder
	fmt.Fprintf(&src, "struct s%d { int last; };\n", deepTypes)
	for i := deepTypes - 1; i >= 0; i-- {
		fmt.Fprintf(&src, "struct s%d { struct s%d *next; struct s%d inner; long v%d; };\n", i, i+1, i+1, i)
	}
	src.WriteString("long deep(struct s0 *p) { return p->v0; }\n")
	c := filepath.Join(dir, "deep.c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		return "", nil, err
	}
	lib = filepath.Join(dir, "libdeep.so")
	cmd := exec.Command(cc[0], append(cc[1:len(cc):len(cc)], "-shared", "-fPIC", "-g", "-o", lib, c)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("%s: %v\n%s", cmd, err, out)
	}
	b, err := os.ReadFile(lib)
	if err != nil {
		return "", nil, err
	}
	var zeros bytes.Buffer
	w := zlib.NewWriter(&zeros)
	chunk := make([]byte, 1<<20)
	for range bombSize / len(chunk) {
		w.Write(chunk)
	}
	w.Close()
	for name, claimed := range map[string]uint64{"bomb": bombSize, "claims": 1 << 62} {
		m, err := compressedDebugInfo(b, zeros.Bytes(), claimed)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %v", lib, err)
		}
		path := filepath.Join(dir, "libdeep.so."+name)
		if err := os.WriteFile(path, m, 0o644); err != nil {
			return "", nil, err
		}
		hostile = append(hostile, path)
	}
	return lib, hostile, nil
}

// compressedDebugInfo returns a copy of the 64-bit little-endian ELF
// file b whose .debug_info is stream, appended, behind an Elf64_Chdr
// (ELFCOMPRESS_ZLIB) that says it inflates to claimed bytes.
func compressedDebugInfo(b, stream []byte, claimed uint64) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB {
		return nil, fmt.Errorf("not a 64-bit little-endian file")
	}
	le := binary.LittleEndian
	shoff := le.Uint64(b[0x28:])
	for i, s := range f.Sections {
		if s.Name != ".debug_info" {
			continue
		}
		m := append([]byte(nil), b...)
		for len(m)%8 != 0 {
			m = append(m, 0)
		}
		at := uint64(len(m))
		m = le.AppendUint32(m, uint32(elf.COMPRESS_ZLIB))
		m = le.AppendUint32(m, 0)
		m = le.AppendUint64(m, claimed)
		m = le.AppendUint64(m, 1)
		m = append(m, stream...)
		sh := m[shoff+uint64(i)*64:]
		le.PutUint64(sh[8:], le.Uint64(sh[8:])|uint64(elf.SHF_COMPRESSED))
		le.PutUint64(sh[24:], at)
		le.PutUint64(sh[32:], uint64(len(m))-at)
		le.PutUint64(sh[48:], 8)
		return m, nil
	}
	return nil, fmt.Errorf("no .debug_info")
}
