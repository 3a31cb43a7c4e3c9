package elfx

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/elfx/elfx/internal/testelf"
)

// The fuzz targets, one per entry point of the reader. Each decodes the
// input with NewFile and calls its entry point: every error must be a
// *FormatError, nothing may panic, and the whole call may allocate no more
// than a constant multiple of the input's size.
//
// The seeds are built in memory: files from the test ELF writer in every
// class and byte order, the hostile-input cases, tiny C programs and
// libraries compiled with `go env CC` (skipped without a compiler), and
// a few small system libraries.

// fuzzMaxSeed is the largest seed: big inputs slow the fuzzer down.
const fuzzMaxSeed = 64 << 10

// fuzzMaxRelocs bounds the relocations FuzzRelocs takes from one table:
// DT_RELR bitmaps stand for 63 relocations a word.
const fuzzMaxRelocs = 1 << 20

var (
	fuzzSeedOnce sync.Once
	fuzzSeedList [][]byte
)

// fuzzSeeds returns the seed files, built once per process.
func fuzzSeeds(tb testing.TB) [][]byte {
	fuzzSeedOnce.Do(func() {
		var seeds [][]byte
		seeds = append(seeds, synthSeeds()...)
		for _, c := range hostileCases() {
			seeds = append(seeds, c.data)
		}
		seeds = append(seeds, compiledSeeds(tb)...)
		seeds = append(seeds, systemSeeds()...)
		for _, s := range seeds {
			if len(s) <= fuzzMaxSeed {
				fuzzSeedList = append(fuzzSeedList, s)
			}
		}
	})
	return fuzzSeedList
}

// synthSeeds are files from the test ELF writer: the small library in
// every class, byte order and hash style, with and without section
// headers, and minimal files with no dynamic section at all.
func synthSeeds() [][]byte {
	var seeds [][]byte
	for _, tg := range synthTargets {
		for _, style := range []int{synthHashBoth, synthHashSysV, synthHashGNU} {
			s := synthLib(tg.class, tg.order, tg.machine)
			s.hash = style
			s.sections = style != synthHashSysV
			s.jmprelRel = style == synthHashSysV
			if style == synthHashGNU {
				s.interp = "/lib/ld.so.1"
				s.noteAlign = 4
			}
			seeds = append(seeds, s.build().data)
		}
		// A bare header, and a header with one PT_LOAD.
		lay := layout64
		if tg.class == elf.ELFCLASS32 {
			lay = layout32
		}
		img := &synthImage{data: make([]byte, lay.ehdr), class: tg.class, order: tg.order, lay: lay}
		copy(img.data, elf.ELFMAG)
		img.data[elf.EI_CLASS] = byte(tg.class)
		img.data[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
		if tg.order == binary.BigEndian {
			img.data[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
		}
		img.data[elf.EI_VERSION] = byte(elf.EV_CURRENT)
		img.setEhdr("type", uint64(elf.ET_EXEC))
		img.setEhdr("machine", uint64(tg.machine))
		img.setEhdr("version", 1)
		img.setEhdr("ehsize", uint64(lay.ehdr))
		seeds = append(seeds, slices.Clone(img.data))
		img.data = append(img.data, make([]byte, lay.phdr)...)
		img.off = map[string]uint64{"phdr": uint64(lay.ehdr)}
		img.setEhdr("phoff", uint64(lay.ehdr))
		img.setEhdr("phentsize", uint64(lay.phdr))
		img.setEhdr("phnum", 1)
		img.setProg(0, elf.ProgHeader{Type: elf.PT_LOAD, Flags: elf.PF_R | elf.PF_X, Vaddr: synthBase,
			Filesz: uint64(len(img.data)), Memsz: uint64(len(img.data)), Align: 0x1000})
		seeds = append(seeds, img.data)
	}
	return seeds
}

// The C sources of the compiled seeds: a library with versioned symbols,
// TLS and relative relocations, and a program that uses it.
const (
	fuzzLibC = `
__thread int tls_counter = 1;
static __thread int tls_local;
int data_value = 42;
static int a, b, c;
int *pointers[] = {&a, &b, &c, &data_value, &a, &b, &c, &data_value, &a, &b};
extern int puts(const char *);
int foo_v1(void) { return 1; }
int foo_v2(void) { return 2 + tls_local; }
__asm__(".symver foo_v1,foo@VERS_1");
__asm__(".symver foo_v2,foo@@VERS_2");
int bar(void) { tls_counter++; return puts("bar") + *pointers[1]; }
`
	fuzzLibMap = `
VERS_1 { global: foo; bar; data_value; pointers; tls_counter; local: *; };
VERS_2 { global: foo; } VERS_1;
`
	fuzzProgC = `
extern int bar(void);
extern int foo(void);
extern __thread int tls_counter;
int main(void) { return bar() + foo() + tls_counter; }
`
)

// fuzzCC is the C compiler go env CC names, or "" when there is none.
func fuzzCC() string {
	cc := os.Getenv("CC")
	if cc == "" {
		if out, err := exec.Command("go", "env", "CC").Output(); err == nil {
			cc = strings.TrimSpace(string(out))
		}
	}
	if cc == "" {
		cc = "cc"
	}
	if _, err := exec.LookPath(strings.Fields(cc)[0]); err != nil {
		return ""
	}
	return cc
}

// compiledSeeds compiles the C sources in several link variants, with the
// host compiler and, when installed, an aarch64 cross compiler. A variant
// that fails to build is left out.
func compiledSeeds(tb testing.TB) [][]byte {
	var ccs []string
	if cc := fuzzCC(); cc != "" {
		ccs = append(ccs, cc)
	} else {
		tb.Logf("no C compiler: compiled seeds skipped")
	}
	if cross, err := exec.LookPath("aarch64-linux-gnu-gcc"); err == nil {
		ccs = append(ccs, cross)
	}
	if len(ccs) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp("", "elfx-fuzz-seeds")
	if err != nil {
		tb.Logf("compiled seeds skipped: %v", err)
		return nil
	}
	defer os.RemoveAll(tmp)
	// Without separate code pages, and with 4 KiB pages on aarch64 too,
	// the files stay small.
	const small = "-Wl,-z,noseparate-code,-z,max-page-size=4096"
	lib := func(out string, flags ...string) []string {
		return append([]string{"-shared", "-fPIC", "-O1", "-o", out, "lib.c",
			"-Wl,--version-script=vers.map", "-Wl,-soname,libfz.so.1"}, flags...)
	}
	prog := func(out string, flags ...string) []string {
		return append([]string{"-O1", "-o", out, "prog.c", "-L.", "-lfz"}, flags...)
	}
	// libfz.so comes first: the programs link against it.
	variants := [][]string{
		lib("libfz.so", small, "-Wl,--hash-style=gnu"),
		lib("libfz-sysv.so", small, "-Wl,--hash-style=sysv", "-Wl,-z,now"),
		lib("libfz-both.so", "-Wl,--hash-style=both", "-Wl,--build-id=sha1", "-Wl,-z,max-page-size=4096"),
		lib("libfz-relr.so", small, "-Wl,-z,pack-relative-relocs"),
		prog("prog", small, "-Wl,-rpath,$ORIGIN"),
		prog("prog-nopie", small, "-no-pie", "-fno-pic", "-Wl,--hash-style=sysv"),
		prog("prog-relr", small, "-Wl,-z,pack-relative-relocs,-z,now"),
	}
	var seeds [][]byte
	for k, cc := range ccs {
		dir := filepath.Join(tmp, strconv.Itoa(k))
		if err := os.Mkdir(dir, 0o755); err != nil {
			tb.Logf("compiled seeds skipped: %v", err)
			return seeds
		}
		for name, src := range map[string]string{"lib.c": fuzzLibC, "vers.map": fuzzLibMap, "prog.c": fuzzProgC} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				tb.Logf("compiled seeds skipped: %v", err)
				return seeds
			}
		}
		for _, args := range variants {
			out := args[slices.Index(args, "-o")+1]
			words := strings.Fields(cc)
			cmd := exec.Command(words[0], append(words[1:], args...)...)
			cmd.Dir = dir
			if msg, err := cmd.CombinedOutput(); err != nil {
				tb.Logf("%s %s: %v\n%s", cc, out, err, msg)
				continue
			}
			if data, err := os.ReadFile(filepath.Join(dir, out)); err == nil {
				seeds = append(seeds, data)
			}
		}
	}
	return seeds
}

// systemSeeds are a few small shared libraries of this system and the
// start of libm (whose tables then run off the end).
func systemSeeds() [][]byte {
	const dir = "/usr/lib/x86_64-linux-gnu"
	var seeds [][]byte
	for _, name := range []string{"libBrokenLocale.so.1", "libdl.so.2", "libutil.so.1", "libanl.so.1"} {
		if data, err := os.ReadFile(filepath.Join(dir, name)); err == nil && len(data) <= fuzzMaxSeed {
			seeds = append(seeds, data)
		}
	}
	if f, err := os.Open(filepath.Join(dir, "libm.so.6")); err == nil {
		defer f.Close()
		buf := make([]byte, 32<<10)
		if n, _ := io.ReadFull(f, buf); n > 0 {
			seeds = append(seeds, buf[:n])
		}
	}
	return seeds
}

// fuzzAddSeeds adds every seed to f's corpus.
func fuzzAddSeeds(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
}

// fuzzCheckErr fails unless err is nil or a *FormatError.
func fuzzCheckErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: error %v (%T) is not a *FormatError", what, err, err)
	}
	if fe.Msg == "" || fe.File != "" {
		t.Fatalf("%s: malformed FormatError %#v", what, fe)
	}
}

// fuzzOpen decodes data, or returns nil after checking the error.
func fuzzOpen(t *testing.T, data []byte) *File {
	t.Helper()
	f, err := NewFile(bytes.NewReader(data))
	if err != nil {
		fuzzCheckErr(t, "NewFile", err)
		return nil
	}
	return f
}

// fuzzTarget is the common shape of the targets that take only the file.
func fuzzTarget(f *testing.F, fn func(t *testing.T, file *File, data []byte)) {
	fuzzAddSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		testelf.Bounded(t, len(data), func() {
			if file := fuzzOpen(t, data); file != nil {
				fn(t, file, data)
			}
		})
	})
}

// sizeOnlyReader hides bytes.Reader's Size, so that NewFile probes for the
// size instead.
type sizeOnlyReader struct{ r io.ReaderAt }

func (r sizeOnlyReader) ReadAt(p []byte, off int64) (int, error) { return r.r.ReadAt(p, off) }

// FuzzNewFile decodes the ELF header and the program headers, through a
// reader with a Size method and through one without, which must agree.
func FuzzNewFile(f *testing.F) {
	fuzzAddSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		testelf.Bounded(t, len(data), func() {
			file, err := NewFile(bytes.NewReader(data))
			probed, perr := NewFile(sizeOnlyReader{bytes.NewReader(data)})
			if (err == nil) != (perr == nil) || err != nil && err.Error() != perr.Error() {
				t.Fatalf("NewFile with Size: %v; without: %v", err, perr)
			}
			if err != nil {
				fuzzCheckErr(t, "NewFile", err)
				return
			}
			if file.Size() != uint64(len(data)) || probed.Size() != file.Size() {
				t.Fatalf("Size = %d and %d, want %d", file.Size(), probed.Size(), len(data))
			}
			if !slices.Equal(file.Progs, probed.Progs) || file.FileHeader != probed.FileHeader {
				t.Fatalf("NewFile with and without Size disagree")
			}
			if n := uint64(len(file.Progs)) * uint64(file.layout.phdr); n > file.Size() {
				t.Fatalf("%d program headers in a %d-byte file", len(file.Progs), file.Size())
			}
			if n := uint64(file.ShNum) * uint64(file.layout.shdr); n > file.Size() {
				t.Fatalf("%d section headers in a %d-byte file", file.ShNum, file.Size())
			}
			for _, p := range file.Progs {
				if got, ok := file.Prog(p.Type); !ok || got.Type != p.Type {
					t.Fatalf("Prog(%v) = %v, %v", p.Type, got, ok)
				}
			}
			interp, err := file.Interpreter()
			fuzzCheckErr(t, "Interpreter", err)
			if uint64(len(interp)) > file.Size() {
				t.Fatalf("interpreter of %d bytes", len(interp))
			}
		})
	})
}

// FuzzDynamic decodes the dynamic array and its strings.
func FuzzDynamic(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		d, err := file.Dynamic()
		fuzzCheckErr(t, "Dynamic", err)
		if d == nil {
			return
		}
		if n := uint64(len(d.Entries)) * uint64(file.layout.dyn); n > file.Size() {
			t.Fatalf("%d dynamic entries in a %d-byte file", len(d.Entries), file.Size())
		}
		for _, e := range d.Entries {
			if v, ok := d.Value(e.Tag); !ok || !d.Has(e.Tag) {
				t.Fatalf("Value(%v) = %d, %v", e.Tag, v, ok)
			}
			if e.Str != "" && !IsStringTag(e.Tag) {
				t.Fatalf("%v has a string", e.Tag)
			}
		}
		d.BindNow()
		d.Symbolic()
		d.TextRel()
		// A second call gives the same answer.
		if d2, err := file.Dynamic(); d2 != d || err != nil {
			t.Fatalf("second Dynamic call differs")
		}
	})
}

// FuzzDynamicSymbols decodes the dynamic symbols with their versions, in
// one slice and one by one through AllSymbols, which must agree.
func FuzzDynamicSymbols(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		syms, err := file.DynamicSymbols()
		fuzzCheckErr(t, "DynamicSymbols", err)
		var walked int
		var walkErr error
		for s, err := range file.AllSymbols() {
			if err != nil {
				fuzzCheckErr(t, "AllSymbols", err)
				walkErr = err
				break
			}
			if syms != nil && (walked >= len(syms) || s != syms[walked]) {
				t.Fatalf("AllSymbols symbol %d = %+v, DynamicSymbols gave %d symbols", walked, s, len(syms))
			}
			walked++
		}
		if (err == nil) != (walkErr == nil) || err == nil && walked != len(syms) {
			t.Fatalf("AllSymbols walked %d symbols (%v); DynamicSymbols gave %d (%v)", walked, walkErr, len(syms), err)
		}
		n, nerr := file.NumSymbols()
		fuzzCheckErr(t, "NumSymbols", nerr)
		if err != nil {
			return
		}
		if nerr != nil || n != len(syms) {
			t.Fatalf("NumSymbols = %d, %v; DynamicSymbols gave %d", n, nerr, len(syms))
		}
		if uint64(len(syms))*uint64(file.layout.sym) > file.Size() {
			t.Fatalf("%d symbols in a %d-byte file", len(syms), file.Size())
		}
		for _, i := range []int{0, len(syms) / 2, len(syms) - 1} {
			if i < 0 || i >= len(syms) {
				continue
			}
			s, err := file.Symbol(i)
			if err != nil || s != syms[i] {
				t.Fatalf("Symbol(%d) = %+v, %v; DynamicSymbols gave %+v", i, s, err, syms[i])
			}
		}
		for i := range syms {
			s := &syms[i]
			s.Bind()
			s.Type()
			s.Visibility()
			s.Defined()
			s.DefaultVersion()
		}
	})
}

// FuzzLookup looks a name up through the hash tables.
func FuzzLookup(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		names := fuzzSeedNames(s)
		for _, n := range names {
			f.Add(s, n.Name, n.Version, n.VersionIndex.IsHidden(), false, false)
		}
		if len(names) == 0 {
			f.Add(s, "foo", "", false, false, false)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, name, version string, hidden, plt, newest bool) {
		testelf.Bounded(t, len(data), func() {
			file := fuzzOpen(t, data)
			if file == nil {
				return
			}
			ref := SymbolRef{Name: name, Version: version, VersionHidden: hidden, PLT: plt, Newest: newest}
			if version != "" {
				ref.VersionHash = SysVHash(version)
			}
			i, sym, err := file.Lookup(ref)
			fuzzCheckErr(t, "Lookup", err)
			if err != nil || i < 0 {
				return
			}
			n, err := file.NumSymbols()
			if err != nil || i >= n {
				t.Fatalf("Lookup = %d of %d symbols (%v)", i, n, err)
			}
			if sym.Name != name {
				t.Fatalf("Lookup(%q) found %q", name, sym.Name)
			}
		})
	})
}

// fuzzSeedNames picks up to three defined symbols of a seed to look up.
func fuzzSeedNames(data []byte) []Symbol {
	f, err := NewFile(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil
	}
	var names []Symbol
	for _, s := range syms {
		if s.Defined() && s.Name != "" && len(names) < 3 {
			names = append(names, s)
		}
	}
	return names
}

// FuzzVersions decodes DT_VERNEED and DT_VERDEF.
func FuzzVersions(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		needs, err := file.VersionNeeds()
		fuzzCheckErr(t, "VersionNeeds", err)
		defs, err := file.VersionDefs()
		fuzzCheckErr(t, "VersionDefs", err)
		var aux int
		for _, n := range needs {
			aux += len(n.Needs)
		}
		for _, d := range defs {
			aux += 1 + len(d.Parents)
		}
		if uint64(aux)*8 > file.Size() {
			t.Fatalf("%d version entries in a %d-byte file", aux, file.Size())
		}
	})
}

// FuzzRelocs decodes the relocation tables and expands them, up to
// fuzzMaxRelocs relocations a table.
func FuzzRelocs(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		tables, err := file.RelocTables()
		fuzzCheckErr(t, "RelocTables", err)
		for _, tab := range tables {
			if uint64(len(tab.Relocs))*8+uint64(len(tab.Relr))*4 > file.Size() {
				t.Fatalf("%v: %d relocations and %d RELR words in a %d-byte file", tab.Tag, len(tab.Relocs), len(tab.Relr), file.Size())
			}
			n := 0
			for r := range tab.All() {
				ClassifyReloc(file.Machine, r.Type).TLS()
				if n++; n >= fuzzMaxRelocs {
					break
				}
			}
			if tab.Tag != DT_RELR && n != len(tab.Relocs) {
				t.Fatalf("%v: All yielded %d of %d relocations", tab.Tag, n, len(tab.Relocs))
			}
			for _, r := range tab.Relocs {
				RelocTypeName(file.Machine, r.Type)
			}
		}
	})
}

// FuzzNotes decodes the notes, the GNU properties and what is made of
// them.
func FuzzNotes(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		notes, err := file.Notes()
		fuzzCheckErr(t, "Notes", err)
		var desc uint64
		for _, n := range notes {
			desc += uint64(len(n.Desc))
			_, err := file.ABITag(n)
			fuzzCheckErr(t, "ABITag", err)
		}
		if desc > file.Size() {
			t.Fatalf("%d bytes of note descriptions in a %d-byte file", desc, file.Size())
		}
		_, err = file.Properties()
		fuzzCheckErr(t, "Properties", err)
		_, err = file.Features()
		fuzzCheckErr(t, "Features", err)
		_, err = file.BuildID()
		fuzzCheckErr(t, "BuildID", err)
	})
}

// FuzzSectionHeaders decodes the section headers and their names.
func FuzzSectionHeaders(f *testing.F) {
	fuzzTarget(f, func(t *testing.T, file *File, data []byte) {
		shs, err := file.SectionHeaders()
		fuzzCheckErr(t, "SectionHeaders", err)
		if uint64(len(shs))*uint64(file.layout.shdr) > file.Size() {
			t.Fatalf("%d section headers in a %d-byte file", len(shs), file.Size())
		}
	})
}
