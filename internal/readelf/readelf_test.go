package readelf

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	libcPath = "/usr/lib/x86_64-linux-gnu/libc.so.6"
	lsPath   = "/usr/bin/ls"
	ldso     = "/lib64/ld-linux-x86-64.so.2"
)

func needReadelf(t *testing.T) {
	t.Helper()
	if !Available() {
		t.Skip("readelf not on PATH")
	}
}

func needFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s not present: %v", path, err)
	}
}

// must turns a (value, error) result into a function that fails the test
// on the error and otherwise returns the value: must(Dynamic(p))(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func findSym(syms []Symbol, name string) *Symbol {
	for i := range syms {
		if syms[i].Name == name {
			return &syms[i]
		}
	}
	return nil
}

func findDyn(entries []DynEntry, tag string) []DynEntry {
	var found []DynEntry
	for _, e := range entries {
		if e.TagName == tag {
			found = append(found, e)
		}
	}
	return found
}

func TestLibc(t *testing.T) {
	needReadelf(t)
	needFile(t, libcPath)

	d := must(Dynamic(libcPath))(t)
	soname := findDyn(d.Entries, "SONAME")
	if len(soname) != 1 || soname[0].Str != "libc.so.6" || soname[0].Tag != 0xe {
		t.Errorf("SONAME = %+v, want libc.so.6 with tag 0xe", soname)
	}
	checkDynamicShape(t, d)

	syms := must(DynSyms(libcPath, false))(t)
	if !syms.Present || syms.Section != ".dynsym" || uint64(len(syms.Symbols)) != syms.Count {
		t.Fatalf("dynsym: present=%v section=%q count=%d rows=%d", syms.Present, syms.Section, syms.Count, len(syms.Symbols))
	}
	printf := findSym(syms.Symbols, "printf")
	if printf == nil || printf.Version != "GLIBC_2.2.5" || printf.VersionKind != VersionDefault ||
		printf.Printed != "printf@@GLIBC_2.2.5" || printf.Type != "FUNC" || printf.Bind != "GLOBAL" ||
		!printf.ShndxKnown || printf.Shndx == 0 || printf.Value == 0 || printf.Size == 0 {
		t.Errorf("printf = %+v", printf)
	}
	// libc imports a few symbols from ld.so with "(N)" version indexes.
	var needed int
	for _, s := range syms.Symbols {
		if s.VersionKind == VersionNeeded {
			needed++
			if s.Ndx != "UND" || s.VersionIndex < 2 {
				t.Errorf("needed symbol %+v", s)
			}
		}
	}
	if needed == 0 {
		t.Error("no symbol printed as name@VER (N)")
	}

	// -D rebuilds the same table from DT_GNU_HASH.
	dsyms := must(DynSyms(libcPath, true))(t)
	if !dsyms.Present || dsyms.Section != "" || !reflect.DeepEqual(dsyms.Symbols, syms.Symbols) {
		t.Errorf("-D -s differs from --dyn-syms: present=%v section=%q rows=%d/%d",
			dsyms.Present, dsyms.Section, len(dsyms.Symbols), len(syms.Symbols))
	}

	v := must(Versions(libcPath))(t)
	if v.VerdefSection == nil || uint64(len(v.Verdefs)) != v.VerdefSection.Count || len(v.Verdefs) < 30 {
		t.Fatalf("verdefs: %+v, %d", v.VerdefSection, len(v.Verdefs))
	}
	if base := v.Verdefs[0]; base.Name != "libc.so.6" || !reflect.DeepEqual(base.Flags, []string{"BASE"}) ||
		base.Index != 1 || base.Offset != 0 {
		t.Errorf("base verdef = %+v", base)
	}
	if d := v.Verdefs[2]; d.Name != "GLIBC_2.2.6" || !reflect.DeepEqual(d.Parents, []string{"GLIBC_2.2.5"}) {
		t.Errorf("verdef[2] = %+v", d)
	}
	if len(v.Verneeds) != 1 || v.Verneeds[0].File != "ld-linux-x86-64.so.2" || len(v.Verneeds[0].Aux) == 0 {
		t.Errorf("%d verneeds, want one for ld-linux-x86-64.so.2", len(v.Verneeds))
	}
	if len(v.Versym) != len(syms.Symbols) || v.Versym[0].Name != "*local*" {
		t.Errorf("versym: %d entries for %d symbols, first %+v", len(v.Versym), len(syms.Symbols), v.Versym[0])
	}
	// Versym and the symbol table must tell the same story.
	for i, s := range syms.Symbols {
		vs := v.Versym[i]
		if vs.Index != uint64(i) {
			t.Fatalf("versym[%d].Index = %d", i, vs.Index)
		}
		if s.Version != "" && s.Version != vs.Name {
			t.Errorf("symbol %d %q: version %q, versym %+v", i, s.Printed, s.Version, vs)
		}
		if s.VersionKind == VersionHidden && !vs.Hidden {
			t.Errorf("symbol %q printed hidden, versym %+v", s.Printed, vs)
		}
	}

	notes := must(Notes(libcPath))(t)
	checkGNUNotes(t, notes, true)
}

func checkDynamicShape(t *testing.T, d *DynamicSection) {
	t.Helper()
	if !d.Present || uint64(len(d.Entries)) != d.Count || len(d.Entries) == 0 {
		t.Fatalf("dynamic: present=%v count=%d rows=%d", d.Present, d.Count, len(d.Entries))
	}
	last := d.Entries[len(d.Entries)-1]
	if last.TagName != "NULL" || last.Tag != 0 {
		t.Errorf("last entry = %+v, want the DT_NULL terminator", last)
	}
	for _, e := range d.Entries[:len(d.Entries)-1] {
		if e.TagName == "NULL" {
			t.Errorf("DT_NULL before the end of %d entries", len(d.Entries))
		}
	}
}

func checkGNUNotes(t *testing.T, nl *NoteList, wantABITag bool) {
	t.Helper()
	var buildID, abiTag, props bool
	for _, n := range nl.Notes {
		if n.Owner != "GNU" {
			continue
		}
		switch n.Type {
		case "NT_GNU_BUILD_ID":
			buildID = len(n.BuildID) == 40 && n.DescSize == 20
		case "NT_GNU_ABI_TAG":
			abiTag = n.OS == "Linux" && strings.Count(n.ABI, ".") == 2
		case "NT_GNU_PROPERTY_TYPE_0":
			props = len(n.Properties) > 0 && strings.HasPrefix(n.Properties[0].Name, "x86 ")
		}
	}
	if !buildID || abiTag != wantABITag || !props {
		t.Errorf("notes: build-id %v, ABI tag %v (want %v), properties %v", buildID, abiTag, wantABITag, props)
	}
}

func TestLs(t *testing.T) {
	needReadelf(t)
	needFile(t, lsPath)

	p := must(ProgramHeaders(lsPath))(t)
	if p.Interp != ldso || !p.HasMapping || p.PhOff != 64 || p.Entry == 0 {
		t.Errorf("programs: interp %q mapping %v phoff %d entry %#x", p.Interp, p.HasMapping, p.PhOff, p.Entry)
	}
	var interp, text bool
	for _, h := range p.Headers {
		if !h.TypeKnown {
			t.Errorf("unknown type %q", h.Type)
		}
		switch {
		case h.Type == "INTERP":
			interp = h.TypeValue == 3 && h.FileSize == uint64(len(ldso)+1) &&
				reflect.DeepEqual(h.Sections, []string{".interp"})
		case h.Type == "LOAD" && h.Flags == PF_R|PF_X:
			text = h.Align == 0x1000 && h.MemSize > 0
		}
	}
	if !interp || !text {
		t.Errorf("INTERP ok %v, R E LOAD ok %v: %+v", interp, text, p.Headers)
	}

	d := must(Dynamic(lsPath))(t)
	checkDynamicShape(t, d)
	var libc bool
	for _, e := range findDyn(d.Entries, "NEEDED") {
		libc = libc || e.Str == "libc.so.6"
	}
	if !libc {
		t.Errorf("no NEEDED libc.so.6 among %d entries", len(d.Entries))
	}
	if f := findDyn(d.Entries, "FLAGS_1"); len(f) != 1 || !contains(f[0].Flags, "PIE") {
		t.Errorf("FLAGS_1 = %+v", f)
	}
	if e := findDyn(d.Entries, "STRSZ"); len(e) != 1 || !e[0].HasNum || e[0].Num == 0 {
		t.Errorf("STRSZ = %+v", e)
	}

	r := must(Relocs(lsPath, false))(t)
	names := tableNames(r)
	if !reflect.DeepEqual(names, []string{".rela.dyn", ".rela.plt"}) {
		t.Fatalf("tables %v", names)
	}
	for _, tab := range r.Tables {
		if tab.Kind != KindRela || uint64(len(tab.Relocs)) != tab.Entries {
			t.Errorf("table %s: kind %s, %d rows for %d entries", tab.Name, tab.Kind, len(tab.Relocs), tab.Entries)
		}
	}
	var slot bool
	for _, rel := range r.Tables[1].Relocs {
		if rel.Type == "R_X86_64_JUMP_SLOT" && rel.HasSym && rel.SymName == "exit" {
			slot = rel.SymVersion == "GLIBC_2.2.5" && !rel.SymVersionDefault && rel.HasAddend &&
				rel.SymPrinted == "exit@GLIBC_2.2.5" && rel.Info>>32 != 0
		}
	}
	if !slot {
		t.Errorf("no JUMP_SLOT for exit@GLIBC_2.2.5 among %d relocations", len(r.Tables[1].Relocs))
	}
	var relative bool
	for _, rel := range r.Tables[0].Relocs {
		if rel.Type == "R_X86_64_RELATIVE" {
			relative = !rel.HasSym && rel.HasAddend && rel.Addend > 0
			break
		}
	}
	if !relative {
		t.Error("no R_X86_64_RELATIVE with a positive addend")
	}

	// -D reads the same tables through DT_RELA and DT_JMPREL.
	dr := must(Relocs(lsPath, true))(t)
	if got := tableNames(dr); !reflect.DeepEqual(got, []string{"RELA", "PLT"}) {
		t.Fatalf("-D tables %v", got)
	}
	for i, tab := range dr.Tables {
		if !reflect.DeepEqual(tab.Relocs, r.Tables[i].Relocs) || tab.Bytes != 24*uint64(len(tab.Relocs)) {
			t.Errorf("-D table %s differs from %s", tab.Name, r.Tables[i].Name)
		}
	}

	v := must(Versions(lsPath))(t)
	if v.VerdefSection != nil || len(v.Verneeds) == 0 || v.VersymSection == nil || v.VersymSection.LinkName != ".dynsym" {
		t.Errorf("versions: verdef %v, %d verneeds, versym %+v", v.VerdefSection != nil, len(v.Verneeds), v.VersymSection)
	}
	checkGNUNotes(t, must(Notes(lsPath))(t), true)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func tableNames(r *Relocations) []string {
	var names []string
	for _, t := range r.Tables {
		names = append(names, t.Name)
	}
	return names
}

// stripSectionHeaders copies an ELF64 little-endian file into a temporary
// directory with its section headers removed, as tools like sstrip do.
func stripSectionHeaders(t *testing.T, src string) string {
	t.Helper()
	dst, ok := stripCopy(src, filepath.Join(t.TempDir(), filepath.Base(src)+".noshdr"))
	if !ok {
		t.Fatalf("cannot strip %s: not a readable ELF64 little-endian file", src)
	}
	return dst
}

func TestNoSectionHeaders(t *testing.T) {
	needReadelf(t)
	needFile(t, lsPath)
	stripped := stripSectionHeaders(t, lsPath)

	p, sp := must(ProgramHeaders(lsPath))(t), must(ProgramHeaders(stripped))(t)
	if sp.HasMapping || len(sp.Headers) != len(p.Headers) || sp.Interp != ldso {
		t.Errorf("stripped -l: mapping %v, %d headers, interp %q", sp.HasMapping, len(sp.Headers), sp.Interp)
	}
	for i := range sp.Headers {
		h := p.Headers[i]
		h.Sections = nil
		if !reflect.DeepEqual(sp.Headers[i], h) {
			t.Errorf("header %d: %+v vs %+v", i, sp.Headers[i], h)
		}
	}

	// -d finds the same section through PT_DYNAMIC.
	d, sd := must(Dynamic(lsPath))(t), must(Dynamic(stripped))(t)
	if !reflect.DeepEqual(sd.Entries, d.Entries) || sd.Offset != d.Offset {
		t.Error("stripped -d differs")
	}

	// --dyn-syms prints nothing; -D -s still works.
	if s := must(DynSyms(stripped, false))(t); s.Present || len(s.Symbols) != 0 {
		t.Errorf("stripped --dyn-syms: present %v, %d symbols", s.Present, len(s.Symbols))
	}
	syms, ds := must(DynSyms(lsPath, false))(t), must(DynSyms(stripped, true))(t)
	if !ds.Present || !reflect.DeepEqual(ds.Symbols, syms.Symbols) {
		t.Errorf("stripped -D -s: present %v, %d symbols, want %d", ds.Present, len(ds.Symbols), len(syms.Symbols))
	}

	// -r finds nothing; -D -r is unchanged.
	if r := must(Relocs(stripped, false))(t); len(r.Tables) != 0 {
		t.Errorf("stripped -r: %v", tableNames(r))
	}
	r, dr := must(Relocs(lsPath, true))(t), must(Relocs(stripped, true))(t)
	if !reflect.DeepEqual(dr.Tables, r.Tables) {
		t.Error("stripped -D -r differs")
	}

	// -V needs section headers.
	if v := must(Versions(stripped))(t); v.VersymSection != nil || len(v.Verneeds) != 0 {
		t.Errorf("stripped -V: versym %+v, %d verneeds", v.VersymSection, len(v.Verneeds))
	}

	// -n falls back to PT_NOTE segments.
	n, sn := must(Notes(lsPath))(t), must(Notes(stripped))(t)
	if len(sn.Notes) != len(n.Notes) {
		t.Fatalf("stripped -n: %d notes, want %d", len(sn.Notes), len(n.Notes))
	}
	for i, note := range sn.Notes {
		if note.Section != "" || note.SegmentOffset == 0 || note.SegmentLength == 0 {
			t.Errorf("note %d location: %+v", i, note)
		}
	}
	checkGNUNotes(t, sn, true)
}

func TestGoBinary(t *testing.T) {
	needReadelf(t)
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	needFile(t, goBin)

	p := must(ProgramHeaders(goBin))(t)
	if p.Interp != "" || len(p.Headers) == 0 || !strings.HasPrefix(p.FileType, "EXEC") {
		t.Errorf("go binary -l: interp %q, %d headers, type %q", p.Interp, len(p.Headers), p.FileType)
	}
	if d := must(Dynamic(goBin))(t); d.Present || len(d.Entries) != 0 {
		t.Errorf("go binary -d: present %v, %d entries", d.Present, len(d.Entries))
	}
	if s := must(DynSyms(goBin, true))(t); s.Present {
		t.Errorf("go binary -D -s: %d symbols", len(s.Symbols))
	}
	if r := must(Relocs(goBin, true))(t); len(r.Tables) != 0 {
		t.Errorf("go binary -D -r: %v", tableNames(r))
	}
	var goNote bool
	for _, n := range must(Notes(goBin))(t).Notes {
		if n.Owner == "Go" && n.Type == "GO BUILDID" && n.Section == ".note.go.buildid" {
			goNote = len(n.Desc) == 1 && strings.HasPrefix(n.Desc[0], "description data: ")
		}
	}
	if !goNote {
		t.Error("no Go build ID note")
	}
}

// TestRELR links a small library with packed relative relocations and checks
// that readelf's expanded RELR listing is read in both modes.
func TestRELR(t *testing.T) {
	needReadelf(t)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not available")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "relr.c")
	lib := filepath.Join(dir, "librelr.so")
	code := "static int a, b, c;\nint *ptrs[] = {&a, &b, &c, &a, &b, &c, &a, &b, &c, &a};\nint get(int i) { return *ptrs[i]; }\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-shared", "-fPIC", "-Wl,-z,pack-relative-relocs", "-o", lib, src).CombinedOutput(); err != nil {
		t.Skipf("linker cannot pack relative relocations: %v\n%s", err, out)
	}

	for _, useDynamic := range []bool{false, true} {
		r := must(Relocs(lib, useDynamic))(t)
		var relr *RelocTable
		for i := range r.Tables {
			if r.Tables[i].Kind == KindRelr {
				relr = &r.Tables[i]
			}
		}
		if relr == nil {
			t.Fatalf("useDynamic=%v: no RELR table in %v", useDynamic, tableNames(r))
		}
		wantName := ".relr.dyn"
		if useDynamic {
			wantName = "RELR"
		}
		if relr.Name != wantName || relr.RelrCount < 10 || uint64(len(relr.Relocs)) != relr.RelrCount {
			t.Errorf("useDynamic=%v: RELR table %s with %d offsets, %d rows", useDynamic, relr.Name, relr.RelrCount, len(relr.Relocs))
		}
		if !useDynamic && relr.Entries >= relr.RelrCount {
			t.Errorf("section RELR: %d words for %d offsets; expected the bitmap to pack them", relr.Entries, relr.RelrCount)
		}
		for i := 1; i < len(relr.Relocs); i++ {
			if relr.Relocs[i].Offset <= relr.Relocs[i-1].Offset || relr.Relocs[i].Type != "" {
				t.Errorf("RELR row %d: %+v after %+v", i, relr.Relocs[i], relr.Relocs[i-1])
			}
		}
	}
	d := must(Dynamic(lib))(t)
	if e := findDyn(d.Entries, "RELRENT"); len(e) != 1 || e[0].Num != 8 {
		t.Errorf("RELRENT = %+v", e)
	}
}

func TestListELF(t *testing.T) {
	needFile(t, lsPath)
	dir := t.TempDir()
	data, err := os.ReadFile(lsPath)
	if err != nil {
		t.Fatal(err)
	}
	elf := filepath.Join(dir, "a.elf")
	if err := os.WriteFile(elf, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "text"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "short"), []byte("\x7fE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elf, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(elf, filepath.Join(dir, "z.hardlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub", "b.elf")
	if err := os.WriteFile(sub, data, 0o755); err != nil {
		t.Fatal(err)
	}
	got := ListELF(dir, filepath.Join(dir, "missing"))
	if want := []string{elf, sub}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListELF = %v, want %v", got, want)
	}
}

func TestParseErrorNamesLine(t *testing.T) {
	out := canned("\nDynamic section at offset 0x10 contains 1 entry:\nsomething readelf 2.40 never prints\n")
	out.path = "/some/file"
	_, err := parseDynamic(out)
	pe, ok := err.(*ParseError)
	if !ok || pe.Line != 2 || pe.Path != "/some/file" || !strings.Contains(err.Error(), "never prints") {
		t.Errorf("error = %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	needReadelf(t)
	notELF := filepath.Join(t.TempDir(), "notelf")
	if err := os.WriteFile(notELF, []byte("hello, world\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Dynamic(notELF)
	re, ok := err.(*RunError)
	if !ok || re.ExitCode == 0 || len(re.Stderr) == 0 || !strings.Contains(err.Error(), notELF) {
		t.Errorf("Dynamic(non-ELF) error = %v", err)
	}
	_, err = Notes(filepath.Join(t.TempDir(), "missing"))
	if _, ok := err.(*RunError); !ok {
		t.Errorf("Notes(missing) error = %v", err)
	}
}

// canned wraps literal readelf output for the parser unit tests.
func canned(text string) *output {
	return &output{path: "canned", args: "-W", lines: splitLines(strings.TrimPrefix(text, "\n"))}
}

func TestParseProgramsOddRows(t *testing.T) {
	out := canned(`
Elf file type is DYN (Shared object file)
Entry point 0x0
There are 4 program headers, starting at offset 52

Program Headers:
  Type           Offset   VirtAddr   PhysAddr   FileSiz MemSiz  Flg Align
  LOAD           0x000000 0x00000000 0x00000000 0x001bc 0x001bc R   0x1000
  LOOS+0x474e556 0x000000 0x00000000 0x00000000 0x00000 0x00000     0
  OPENBSD_RANDOM 0x002f5c 0x00002f5c 0x00002f5c 0x00098 0x00098 RWE 0x4
  <unknown>: 123 0x002f5c 0x00002f5c 0x00002f5c 0x00098 0x00098 R   0x4
`)
	p, err := parsePrograms(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []ProgramHeader{
		{Type: "LOAD", TypeValue: 1, TypeKnown: true, FileSize: 0x1bc, MemSize: 0x1bc, Flags: PF_R, Align: 0x1000},
		{Type: "LOOS+0x474e556", TypeValue: 0x6474e556, TypeKnown: true},
		{Type: "OPENBSD_RANDOM", TypeValue: 0x65a3dbe6, TypeKnown: true, Offset: 0x2f5c, VAddr: 0x2f5c, PAddr: 0x2f5c,
			FileSize: 0x98, MemSize: 0x98, Flags: PF_R | PF_W | PF_X, Align: 4},
		{Type: "<unknown>: 123", Offset: 0x2f5c, VAddr: 0x2f5c, PAddr: 0x2f5c, FileSize: 0x98, MemSize: 0x98, Flags: PF_R, Align: 4},
	}
	if p.PhOff != 52 || !reflect.DeepEqual(p.Headers, want) {
		t.Errorf("got %+v", p.Headers)
	}
}

func TestParseDynamicValues(t *testing.T) {
	out := canned(`
Dynamic section at offset 0x2f5c contains 10 entries:
  Tag        Type                         Name/Value
 0x00000001 (NEEDED)                     Shared library: [ld-linux-x86-64.so.2] program interpreter
 0x0000001d (RUNPATH)                    Library runpath: [$ORIGIN/../lib]
 0x0000001e (FLAGS)                      ORIGIN BIND_NOW
 0x0000001e (FLAGS)                      
 0x6ffffffb (FLAGS_1)                    Flags: None
 0x6ffffdf8 (Operating System specific: 6ffffdf8) 0x1234
 0x00000018 (BIND_NOW)                   
 0x00000014 (PLTREL)                     REL
 0x7ffffffd (AUXILIARY)                  Auxiliary library: 0x99999
 0x00000000 (NULL)                       0x0
`)
	d, err := parseDynamic(out)
	if err != nil {
		t.Fatal(err)
	}
	e := d.Entries
	switch {
	case !e[0].HasStr || e[0].Str != "ld-linux-x86-64.so.2" || !e[0].Interp:
		t.Errorf("NEEDED %+v", e[0])
	case e[1].Str != "$ORIGIN/../lib":
		t.Errorf("RUNPATH %+v", e[1])
	case !reflect.DeepEqual(e[2].Flags, []string{"ORIGIN", "BIND_NOW"}) || e[3].Flags != nil || e[4].Flags != nil:
		t.Errorf("flags %+v %+v %+v", e[2], e[3], e[4])
	case e[5].Tag != 0x6ffffdf8 || e[5].TagName != "Operating System specific: 6ffffdf8" || e[5].Num != 0x1234:
		t.Errorf("OS tag %+v", e[5])
	case e[6].Value != "" || e[6].HasNum:
		t.Errorf("BIND_NOW %+v", e[6])
	case e[7].Num != 17 || !e[7].HasNum:
		t.Errorf("PLTREL %+v", e[7])
	case e[8].HasStr || e[8].Num != 0x99999:
		t.Errorf("AUXILIARY %+v", e[8])
	case e[9].TagName != "NULL" || !e[9].HasNum:
		t.Errorf("NULL %+v", e[9])
	}
}

func TestParseSymbolRows(t *testing.T) {
	out := canned(`
Symbol table '.dynsym' contains 7 entries:
   Num:    Value          Size Type    Bind   Vis      Ndx Name
     0: 0000000000000000     0 NOTYPE  LOCAL  DEFAULT  UND 
     1: 0000000000000000     0 FUNC    GLOBAL DEFAULT  UND free@GLIBC_2.2.5 (2)
   128: 0000000000018240   201 OBJECT  <OS specific>: 10 DEFAULT   14 _ZZN8__digits
 16747: 00000000022e4760 0x255a8 FUNC    GLOBAL DEFAULT   13 big@@V_1
    12: 0000000000001000     8 FUNC    GLOBAL DEFAULT [<other>: 88]    12 odd@V_0
    13: 0000000000001000     8 NOTYPE  WEAK   HIDDEN   ABS name@with@at@@V (3)
    14: 00001000     8 IFUNC   GLOBAL PROTECTED PRC[0xff01] ^Aweird
`)
	st, err := parseSymbols(out)
	if err != nil {
		t.Fatal(err)
	}
	s := st.Symbols
	checks := []struct {
		got, want any
	}{
		{s[0].Printed, ""},
		{[]any{s[1].Name, s[1].Version, s[1].VersionKind, s[1].VersionIndex, s[1].Shndx, s[1].ShndxKnown}, []any{"free", "GLIBC_2.2.5", VersionNeeded, uint64(2), uint32(0), true}},
		{[]any{s[2].Bind, s[2].Ndx, s[2].Shndx, s[2].Size, s[2].Name}, []any{"<OS specific>: 10", "14", uint32(14), uint64(201), "_ZZN8__digits"}},
		{[]any{s[3].Num, s[3].Size, s[3].Name, s[3].Version, s[3].VersionKind}, []any{uint64(16747), uint64(0x255a8), "big", "V_1", VersionDefault}},
		{[]any{s[4].Other, s[4].Ndx, s[4].Name, s[4].VersionKind}, []any{"<other>: 88", "12", "odd", VersionHidden}},
		{[]any{s[5].Vis, s[5].Shndx, s[5].Name, s[5].Version, s[5].VersionKind}, []any{"HIDDEN", uint32(0xfff1), "name@with@at@", "V", VersionNeeded}},
		{[]any{s[6].Type, s[6].Vis, s[6].Shndx, s[6].Value, s[6].Name}, []any{"IFUNC", "PROTECTED", uint32(0xff01), uint64(0x1000), Printable("\x01weird")}},
	}
	for i, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
}

func TestParseRelocRows(t *testing.T) {
	out := canned(`
Relocation section '.rela.dyn' at offset 0x480 contains 6 entries:
    Offset             Info             Type               Symbol's Value  Symbol's Name + Addend
00000000000ee108  0000000000000025 R_X86_64_IRELATIVE                        28270
00000000000ee110  0000000000000008 R_X86_64_RELATIVE                         -8
0000000000000007  000000010000002a R_X86_64_REX_GOTPCRELX 0000000000000000 __gmon_start__ - 4
0000000000008000  0000004e00000007 R_X86_64_JUMP_SLOT     __atomic_load_16@@LIBATOMIC_1.0() __atomic_load_16@@LIBATOMIC_1.0 + 0
0000000000008008  0000004f00000007 R_X86_64_JUMP_SLOT     f()            f + 10
0000000000008010  00000050000000ff unrecognized: ff       0000000000001234 sym@V + 0

Relocation section '.rel.dyn' at offset 0x1a4 contains 2 entries:
 Offset     Info    Type                Sym. Value  Symbol's Name
00003004  00000401 R_386_32               00001020   foo
00003008  00000008 R_386_RELATIVE        

'RELR' relocation section at offset 0x540 contains 24 bytes:
  2 offsets
0000000000003db8
0000000000003dc0
`)
	r, err := parseRelocs(out)
	if err != nil {
		t.Fatal(err)
	}
	rela, rel, relr := r.Tables[0].Relocs, r.Tables[1].Relocs, r.Tables[2]
	want := []Reloc{
		{Offset: 0xee108, Info: 0x25, Type: "R_X86_64_IRELATIVE", Addend: 0x28270, HasAddend: true},
		{Offset: 0xee110, Info: 8, Type: "R_X86_64_RELATIVE", Addend: -8, HasAddend: true},
		{Offset: 7, Info: 0x10000002a, Type: "R_X86_64_REX_GOTPCRELX", HasSym: true, SymPrinted: "__gmon_start__",
			SymName: "__gmon_start__", Addend: -4, HasAddend: true},
		{Offset: 0x8000, Info: 0x4e00000007, Type: "R_X86_64_JUMP_SLOT", HasSym: true, IFunc: true,
			SymPrinted: "__atomic_load_16@@LIBATOMIC_1.0", SymName: "__atomic_load_16", SymVersion: "LIBATOMIC_1.0",
			SymVersionDefault: true, HasAddend: true},
		{Offset: 0x8008, Info: 0x4f00000007, Type: "R_X86_64_JUMP_SLOT", HasSym: true, IFunc: true,
			SymPrinted: "f", SymName: "f", Addend: 0x10, HasAddend: true},
		{Offset: 0x8010, Info: 0x50000000ff, Type: "unrecognized: ff", HasSym: true, SymValue: 0x1234,
			SymPrinted: "sym@V", SymName: "sym", SymVersion: "V", HasAddend: true},
	}
	if !reflect.DeepEqual(rela, want) {
		t.Errorf("RELA rows:\n got %+v\nwant %+v", rela, want)
	}
	wantRel := []Reloc{
		{Offset: 0x3004, Info: 0x401, Type: "R_386_32", HasSym: true, SymValue: 0x1020, SymPrinted: "foo", SymName: "foo"},
		{Offset: 0x3008, Info: 8, Type: "R_386_RELATIVE"},
	}
	if r.Tables[1].Kind != KindRel || !reflect.DeepEqual(rel, wantRel) {
		t.Errorf("REL rows: %+v", rel)
	}
	if relr.Kind != KindRelr || relr.Bytes != 24 || relr.RelrCount != 2 ||
		!reflect.DeepEqual(relr.Relocs, []Reloc{{Offset: 0x3db8}, {Offset: 0x3dc0}}) {
		t.Errorf("RELR table: %+v", relr)
	}
}

func TestParseVersionRows(t *testing.T) {
	out := canned(`
Version symbols section '.gnu.version' contains 6 entries:
 Addr: 0x00000000000227b8  Offset: 0x000227b8  Link: 6 (.dynsym)
  000:   0 (*local*)       2h(GLIBC_2.2.5)  1h                1 (*global*)   
  004:  2a (A_VERY_LONG_VERSION_NAME)       3 

Version definition section '.gnu.version_d' contains 2 entries:
 Addr: 0x0000000000023f80  Offset: 0x00023f80  Link: 7 (.dynstr)
  000000: Rev: 1  Flags: BASE  Index: 1  Cnt: 1  Name: libx.so
  0x001c: Rev: 1  Flags: WEAK | INFO  Index: 2  Cnt: 2  Name: X_2
  0x0038: Parent 1: X_1

Version needs section '.gnu.version_r' contains 1 entry:
 Addr: 0x00000000000244e8  Offset: 0x000244e8  Link: 7 (.dynstr)
  000000: Version: 1  File: libc.so.6  Cnt: 1
  0x0010:   Name: GLIBC_2.2.5  Flags: none  Version: 43
`)
	v, err := parseVersions(out)
	if err != nil {
		t.Fatal(err)
	}
	wantSym := []Versym{
		{Index: 0, Value: 0, Name: "*local*"},
		{Index: 1, Value: 2, Hidden: true, Name: "GLIBC_2.2.5"},
		{Index: 2, Value: 1, Hidden: true},
		{Index: 3, Value: 1, Name: "*global*"},
		{Index: 4, Value: 0x2a, Name: "A_VERY_LONG_VERSION_NAME"},
		{Index: 5, Value: 3},
	}
	if !reflect.DeepEqual(v.Versym, wantSym) {
		t.Errorf("versym %+v", v.Versym)
	}
	wantDef := []Verdef{
		{Offset: 0, Rev: 1, Flags: []string{"BASE"}, Index: 1, Cnt: 1, Name: "libx.so"},
		{Offset: 0x1c, Rev: 1, Flags: []string{"WEAK", "INFO"}, Index: 2, Cnt: 2, Name: "X_2", Parents: []string{"X_1"}},
	}
	if !reflect.DeepEqual(v.Verdefs, wantDef) {
		t.Errorf("verdef %+v", v.Verdefs)
	}
	wantNeed := []Verneed{{Version: 1, File: "libc.so.6", Cnt: 1, Aux: []Vernaux{{Offset: 0x10, Name: "GLIBC_2.2.5", Other: 43}}}}
	if !reflect.DeepEqual(v.Verneeds, wantNeed) {
		t.Errorf("verneed %+v", v.Verneeds)
	}
	if s := v.VersymSection; s.Count != 6 || s.Addr != 0x227b8 || s.Link != 6 || s.LinkName != ".dynsym" {
		t.Errorf("versym section %+v", s)
	}
}

func TestParseNotes(t *testing.T) {
	out := canned("\n" +
		"Displaying notes found at file offset 0x00000338 with length 0x00000040:\n" +
		"  Owner                Data size \tDescription\n" +
		"  GNU                  0x00000030\tNT_GNU_PROPERTY_TYPE_0\t      Properties: x86 feature: IBT, SHSTK, x86 ISA needed: x86-64-baseline, x86-64-v2, x86 feature used: x86, x87, no copy on protected , <unknown type 0x5 data: 01 00 >, stack size: 0x800000\n" +
		"  GA$<tool>running gcc 8.5.0 0x00000000\tOPEN\t    Applies to region from 0x1 to 0x2\n" +
		"  stapsdt              0x00000036\tNT_STAPSDT (SystemTap probe descriptors)\t    Provider: libstdcxx\n" +
		"    Name: throw\n" +
		"    Arguments: 8@%rdi 8@%rsi\n" +
		"  GNU                  0x00000010\tNT_GNU_ABI_TAG (ABI version tag)\t    OS: Linux, ABI: 3.2.0\n" +
		"  GNU                  0x00000004\tUnknown note type: (0x00000009)\t    Description data: 01 02 03 04 \n")
	nl, err := parseNotes(out)
	if err != nil {
		t.Fatal(err)
	}
	n := nl.Notes
	if len(n) != 5 {
		t.Fatalf("%d notes: %+v", len(n), n)
	}
	wantProps := []Property{
		{Name: "x86 feature", Values: []string{"IBT", "SHSTK"}},
		{Name: "x86 ISA needed", Values: []string{"x86-64-baseline", "x86-64-v2"}},
		{Name: "x86 feature used", Values: []string{"x86", "x87"}},
		{Name: "no copy on protected"},
		{Name: "<unknown type 0x5 data: 01 00 >"},
		{Name: "stack size", Values: []string{"0x800000"}},
	}
	if !reflect.DeepEqual(n[0].Properties, wantProps) || n[0].SegmentOffset != 0x338 || n[0].DescSize != 0x30 {
		t.Errorf("properties note %+v", n[0])
	}
	if n[1].Owner != "GA$<tool>running gcc 8.5.0" || n[1].Type != "OPEN" {
		t.Errorf("annobin note %+v", n[1])
	}
	if n[2].Type != "NT_STAPSDT" || !reflect.DeepEqual(n[2].Desc, []string{"Provider: libstdcxx", "Name: throw", "Arguments: 8@%rdi 8@%rsi"}) {
		t.Errorf("stapsdt note %+v", n[2])
	}
	if n[3].OS != "Linux" || n[3].ABI != "3.2.0" {
		t.Errorf("ABI note %+v", n[3])
	}
	if n[4].Type != "Unknown note type: (0x00000009)" || n[4].Desc[0] != "Description data: 01 02 03 04" {
		t.Errorf("unknown note %+v", n[4])
	}
}

// TestSystemBinaries runs every parser over every ELF file in /usr/bin (or
// the directories listed in $READELF_SWEEP_DIRS, separated by ':') and
// fails on any line a parser does not understand or any internal
// inconsistency (row counts that disagree with readelf's own headings).
// Every 16th 64-bit little-endian file is also checked with its section
// headers removed.
func TestSystemBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs readelf eight times per file in /usr/bin")
	}
	needReadelf(t)
	dirs := []string{"/usr/bin"}
	if env := os.Getenv("READELF_SWEEP_DIRS"); env != "" {
		dirs = filepath.SplitList(env)
	}
	files := ListELF(dirs...)
	if len(files) == 0 {
		t.Skipf("no ELF files in %v", dirs)
	}
	// Largest first, so that the slowest files (node's --dyn-syms alone
	// takes readelf seconds) do not finish last on a single worker.
	size := make(map[string]int64, len(files))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			size[f] = fi.Size()
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return size[files[i]] > size[files[j]] })
	tmp := t.TempDir()
	var stripped []string
	for i, f := range files {
		if i%16 == 0 {
			if dst, ok := stripCopy(f, filepath.Join(tmp, strconv.Itoa(i))); ok {
				stripped = append(stripped, dst)
			}
		}
	}

	start := time.Now()
	var stderrs atomic.Int64
	work := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < 2*runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range work {
				stderrs.Add(int64(checkFile(t, path)))
			}
		}()
	}
	for _, f := range append(files, stripped...) {
		work <- f
	}
	close(work)
	wg.Wait()
	t.Logf("%d files + %d without section headers, 8 readelf runs each, in %v; %d stderr lines",
		len(files), len(stripped), time.Since(start).Round(time.Millisecond), stderrs.Load())
}

// stripCopy writes a copy of an ELF64 little-endian file with e_shoff,
// e_shnum and e_shstrndx zeroed; ok is false for other files.
func stripCopy(src, dst string) (string, bool) {
	data, err := os.ReadFile(src)
	if err != nil || len(data) < 64 || data[4] != 2 || data[5] != 1 {
		return "", false
	}
	binary.LittleEndian.PutUint64(data[0x28:], 0)
	binary.LittleEndian.PutUint16(data[0x3c:], 0)
	binary.LittleEndian.PutUint16(data[0x3e:], 0)
	return dst, os.WriteFile(dst, data, 0o644) == nil
}

// checkFile runs all parsers on path, reports errors and inconsistencies,
// and returns the number of stderr lines readelf produced.
func checkFile(t *testing.T, path string) int {
	stderr := 0
	note := func(d Diag) {
		stderr += len(d.Stderr)
	}
	if p, err := ProgramHeaders(path); err != nil {
		t.Error(err)
	} else {
		note(p.Diag)
	}
	if d, err := Dynamic(path); err != nil {
		t.Error(err)
	} else {
		note(d.Diag)
		if d.Present && (uint64(len(d.Entries)) != d.Count || d.Entries[len(d.Entries)-1].TagName != "NULL") {
			t.Errorf("%s -d: %d rows for %d entries", path, len(d.Entries), d.Count)
		}
	}
	var tables [2]*SymbolTable
	for i, useDynamic := range []bool{false, true} {
		s, err := DynSyms(path, useDynamic)
		if err != nil {
			t.Error(err)
			continue
		}
		note(s.Diag)
		tables[i] = s
		if uint64(len(s.Symbols)) != s.Count {
			t.Errorf("%s dynsyms(useDynamic=%v): %d rows for %d entries", path, useDynamic, len(s.Symbols), s.Count)
		}
		for j, sym := range s.Symbols {
			if sym.Num != uint64(j) {
				t.Errorf("%s: symbol row %d numbered %d", path, j, sym.Num)
				break
			}
		}
	}
	if a, b := tables[0], tables[1]; a != nil && b != nil && a.Present && b.Present && len(a.Symbols) != len(b.Symbols) {
		t.Logf("%s: .dynsym has %d symbols, the hash-sized -D table %d", path, len(a.Symbols), len(b.Symbols))
	}
	for _, useDynamic := range []bool{false, true} {
		r, err := Relocs(path, useDynamic)
		if err != nil {
			t.Error(err)
			continue
		}
		note(r.Diag)
		for _, tab := range r.Tables {
			switch {
			case tab.Kind == "" && len(tab.Relocs) > 0:
				// A heading without column heading is legitimate (readelf
				// skips a table whose sh_link is not a symbol table), but
				// then it has no rows either.
				t.Errorf("%s relocs(useDynamic=%v): rows in table %s of unknown kind", path, useDynamic, tab.Name)
			case tab.Kind == KindRelr && uint64(len(tab.Relocs)) != tab.RelrCount:
				t.Errorf("%s: RELR %s has %d rows for %d offsets", path, tab.Name, len(tab.Relocs), tab.RelrCount)
			case tab.Kind != KindRelr && !useDynamic && uint64(len(tab.Relocs)) != tab.Entries:
				t.Errorf("%s: %s has %d rows for %d entries", path, tab.Name, len(tab.Relocs), tab.Entries)
			}
		}
	}
	if v, err := Versions(path); err != nil {
		t.Error(err)
	} else {
		note(v.Diag)
		if s := v.VersymSection; s != nil && uint64(len(v.Versym)) != s.Count {
			t.Errorf("%s -V: %d versym entries for %d", path, len(v.Versym), s.Count)
		}
		if s := v.VerdefSection; s != nil && uint64(len(v.Verdefs)) != s.Count {
			t.Errorf("%s -V: %d verdefs for %d", path, len(v.Verdefs), s.Count)
		}
		if s := v.VerneedSection; s != nil && uint64(len(v.Verneeds)) != s.Count {
			t.Errorf("%s -V: %d verneeds for %d", path, len(v.Verneeds), s.Count)
		}
	}
	if n, err := Notes(path); err != nil {
		t.Error(err)
	} else {
		note(n.Diag)
	}
	return stderr
}
