package elfx_test

import (
	"debug/elf"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/readelf"
)

// diffSystemDirs are the directories whose every ELF file the differential
// test compares with readelf.
var diffSystemDirs = []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"}

// diffStripEvery is how often a system file is also compared with its
// section headers stripped: every diffStripEvery-th file of the sorted list.
const diffStripEvery = 8

// fieldKind matches the parts of a field name that vary from row to row:
// indexes and the names in parentheses.
var fieldKind = regexp.MustCompile(` \d+| \([^)]*\)`)

// diffMaxReported is how many mismatches the test prints in full.
const diffMaxReported = 50

// diffReport aggregates mismatches and counts over every compared file, so
// that thousands of files make one test rather than thousands of subtests.
type diffReport struct {
	files, stripped, symbols, relocs, notes, dynEntries, progs atomic.Int64

	mu         sync.Mutex
	mismatches int
	first      []string
	byField    map[string]int
	example    []string // the first mismatch of each kind
	skipped    []string
}

// add records one mismatch: field of file, elfx's value got, readelf's want.
func (r *diffReport) add(file, field string, got, want any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mismatches++
	if r.byField == nil {
		r.byField = map[string]int{}
	}
	kind := fieldKind.ReplaceAllString(field, "")
	if r.byField[kind] == 0 {
		r.example = append(r.example, fmt.Sprintf("%s: %s: elfx %v, readelf %v", file, field, got, want))
	}
	r.byField[kind]++
	if len(r.first) < diffMaxReported {
		r.first = append(r.first, fmt.Sprintf("%s: %s: elfx %v, readelf %v", file, field, got, want))
	}
}

func (r *diffReport) skip(file, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = append(r.skipped, file+": "+why)
}

// fileDiff compares one file; it carries the file's name into every
// mismatch.
type fileDiff struct {
	r    *diffReport
	path string
	tag  string // "" for the original, "stripped " for the copy without sections
}

func (d *fileDiff) eq(field string, got, want any) bool {
	if reflect.DeepEqual(got, want) {
		return true
	}
	d.r.add(d.path, d.tag+field, got, want)
	return false
}

func (d *fileDiff) fail(field string, err error) {
	d.r.add(d.path, d.tag+field, err, "-")
}

// elfxView is everything elfx says about a file, so that the answers for a
// file and for its copy without section headers can be compared whole.
type elfxView struct {
	Progs    []elf.ProgHeader
	Interp   string
	Dyn      *elfx.Dynamic
	Syms     []elfx.Symbol
	Tables   []elfxTable
	Needs    []elfx.VersionNeed
	Defs     []elfx.VersionDef
	Notes    []elfx.Note
	BuildID  string
	Features elfx.Features
}

type elfxTable struct {
	Tag        elf.DynTag
	Addr, Size uint64
	Addend     bool
	Relocs     []elfx.Reloc // expanded
}

// readView gathers elfxView, reporting each error as a mismatch.
func readView(d *fileDiff, f *elfx.File) *elfxView {
	v := &elfxView{Progs: f.Progs}
	var err error
	if v.Interp, err = f.Interpreter(); err != nil {
		d.fail("Interpreter", err)
	}
	if v.Dyn, err = f.Dynamic(); err != nil {
		d.fail("Dynamic", err)
	}
	if v.Syms, err = f.DynamicSymbols(); err != nil {
		d.fail("DynamicSymbols", err)
	}
	tables, err := f.RelocTables()
	if err != nil {
		d.fail("RelocTables", err)
	}
	for _, t := range tables {
		et := elfxTable{Tag: t.Tag, Addr: t.Addr, Size: t.Size, Addend: t.Addend}
		for r := range t.All() {
			et.Relocs = append(et.Relocs, r)
		}
		v.Tables = append(v.Tables, et)
	}
	if v.Needs, err = f.VersionNeeds(); err != nil {
		d.fail("VersionNeeds", err)
	}
	if v.Defs, err = f.VersionDefs(); err != nil {
		d.fail("VersionDefs", err)
	}
	if v.Notes, err = f.Notes(); err != nil {
		d.fail("Notes", err)
	}
	for i := range v.Notes {
		v.Notes[i].Off = 0 // compared separately; kept out of the whole-view check
	}
	if v.BuildID, err = f.BuildID(); err != nil {
		d.fail("BuildID", err)
	}
	if v.Features, err = f.Features(); err != nil {
		d.fail("Features", err)
	}
	return v
}

// TestReadelfDifferential compares elfx with GNU readelf on the fixtures and
// on every ELF file of the system, with and without section headers.
func TestReadelfDifferential(t *testing.T) {
	if !readelf.Available() {
		t.Skip("readelf is not installed")
	}
	start := time.Now()
	set := fixtures.Build(t)
	var fixturePaths []string
	for _, fx := range set.Fixtures {
		fixturePaths = append(fixturePaths, fx.Path)
	}
	system := readelf.ListELF(diffSystemDirs...)
	if testing.Short() {
		// About 20 files spread over the sorted list.
		var some []string
		step := max(1, len(system)/20)
		for i := 0; i < len(system); i += step {
			some = append(some, system[i])
		}
		system = some
	}
	type job struct {
		path  string
		strip bool
	}
	var jobs []job
	for _, p := range fixturePaths {
		jobs = append(jobs, job{p, true})
	}
	for i, p := range system {
		jobs = append(jobs, job{p, testing.Short() || i%diffStripEvery == 0})
	}

	tmp := t.TempDir()
	rep := &diffReport{}
	ch := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				j := jobs[i]
				orig := compareFile(rep, j.path, "")
				if orig == nil || !j.strip {
					continue
				}
				dst := filepath.Join(tmp, strconv.Itoa(i)+"-"+filepath.Base(j.path))
				if err := fixtures.StripSectionHeaders(j.path, dst); err != nil {
					rep.add(j.path, "StripSectionHeaders", err, "-")
					continue
				}
				rep.stripped.Add(1)
				if st := compareFile(rep, dst, "stripped "); st != nil {
					d := &fileDiff{r: rep, path: j.path, tag: "stripped vs original "}
					compareViews(d, st, orig)
				}
			}
		}()
	}
	for i := range jobs {
		ch <- i
	}
	close(ch)
	wg.Wait()

	for _, s := range rep.skipped {
		t.Logf("skipped %s", s)
	}
	t.Logf("compared %d files (%d fixtures, %d system), %d stripped copies, %d program headers, %d dynamic entries, %d symbols, %d relocations, %d notes, %d mismatches in %v",
		rep.files.Load(), len(fixturePaths), len(system), rep.stripped.Load(), rep.progs.Load(), rep.dynEntries.Load(),
		rep.symbols.Load(), rep.relocs.Load(), rep.notes.Load(), rep.mismatches, time.Since(start).Round(time.Millisecond))
	if rep.mismatches > 0 {
		var fields []string
		for f, n := range rep.byField {
			fields = append(fields, fmt.Sprintf("%s: %d", f, n))
		}
		sort.Strings(fields)
		t.Errorf("%d mismatches with readelf; by field:\n\t%s\nfirst of each kind:\n\t%s\nfirst %d:\n\t%s",
			rep.mismatches, strings.Join(fields, "\n\t"), strings.Join(rep.example, "\n\t"), len(rep.first), strings.Join(rep.first, "\n\t"))
	}
}

// compareViews checks that elfx gives the same answers for a file without
// section headers as for the original.
func compareViews(d *fileDiff, got, want *elfxView) {
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := range gv.NumField() {
		d.eq(gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
	}
}

// compareFile compares elfx's reading of path with readelf's and returns
// elfx's view, or nil when the file could not be compared.
func compareFile(rep *diffReport, path, tag string) *elfxView {
	d := &fileDiff{r: rep, path: path, tag: tag}
	f, err := elfx.Open(path)
	if err != nil {
		// readelf must reject the file too for this to be acceptable.
		if pr, rerr := readelf.ProgramHeaders(path); rerr == nil && pr.ExitCode == 0 {
			d.fail("Open", err)
		} else {
			rep.skip(path, fmt.Sprintf("elfx: %v; readelf: %v", err, rerr))
		}
		return nil
	}
	defer f.Close()
	rep.files.Add(1)
	v := readView(d, f)
	sections := f.ShNum > 0

	comparePrograms(d, f, v)
	compareDynamic(d, v)
	compareSymbols(d, f, v, true)
	if sections {
		compareSymbols(d, f, v, false)
		compareVersions(d, v)
	}
	compareRelocsDynamic(d, f, v)
	if sections {
		compareRelocsSections(d, f, v)
	}
	compareNotes(d, f, v)
	return v
}

func comparePrograms(d *fileDiff, f *elfx.File, v *elfxView) {
	pr, err := readelf.ProgramHeaders(d.path)
	if err != nil {
		d.fail("readelf -l", err)
		return
	}
	d.r.progs.Add(int64(len(f.Progs)))
	if !d.eq("program header count", len(f.Progs), len(pr.Headers)) {
		return
	}
	for i, p := range f.Progs {
		h := pr.Headers[i]
		field := fmt.Sprintf("program header %d ", i)
		if h.TypeKnown {
			d.eq(field+"type", uint32(p.Type), h.TypeValue)
		}
		d.eq(field+"offset", p.Off, h.Offset)
		d.eq(field+"vaddr", p.Vaddr, h.VAddr)
		d.eq(field+"paddr", p.Paddr, h.PAddr)
		d.eq(field+"filesz", p.Filesz, h.FileSize)
		d.eq(field+"memsz", p.Memsz, h.MemSize)
		// readelf shows only R, W and X.
		d.eq(field+"flags", uint32(p.Flags)&(readelf.PF_R|readelf.PF_W|readelf.PF_X), h.Flags)
		d.eq(field+"align", p.Align, h.Align)
	}
	d.eq("interpreter", v.Interp, pr.Interp)
}

// dynFlagBits gives the bit of each word readelf prints for DT_FLAGS.
var dynFlagBits = map[string]uint64{
	"ORIGIN": 1, "SYMBOLIC": 2, "TEXTREL": 4, "BIND_NOW": 8, "STATIC_TLS": 0x10,
}

// dynFlag1Names are the words readelf prints for DT_FLAGS_1, bit 0 first.
var dynFlag1Names = []string{
	"NOW", "GLOBAL", "GROUP", "NODELETE", "LOADFLTR", "INITFIRST", "NOOPEN", "ORIGIN",
	"DIRECT", "TRANS", "INTERPOSE", "NODEFLIB", "NODUMP", "CONFALT", "ENDFILTEE", "DISPRELDNE",
	"DISPRELPND", "NODIRECT", "IGNMULDEF", "NOKSYMS", "NOHDR", "EDITED", "NORELOC", "SYMINTPOSE",
	"GLOBAUDIT", "SINGLETON", "STUB", "PIE", "KMOD", "WEAKFILTER", "NOCOMMON",
}

// flagWordsBits turns readelf's flag words back into a flag word. Unknown
// bits of DT_FLAGS print as "unknown" and cannot be recovered; they are
// returned separately as a count.
func flagWordsBits(tag elf.DynTag, words []string) (bits uint64, unknown int) {
	for _, w := range words {
		if tag == elf.DT_FLAGS {
			if b, ok := dynFlagBits[w]; ok {
				bits |= b
			} else {
				unknown++
			}
			continue
		}
		if i := indexOf(dynFlag1Names, w); i >= 0 {
			bits |= 1 << i
		} else if n, err := strconv.ParseUint(w, 16, 64); err == nil {
			bits |= n
		} else {
			unknown++
		}
	}
	return bits, unknown
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func compareDynamic(d *fileDiff, v *elfxView) {
	rd, err := readelf.Dynamic(d.path)
	if err != nil {
		d.fail("readelf -d", err)
		return
	}
	if v.Dyn == nil {
		d.eq("dynamic present", false, rd.Present)
		return
	}
	if !d.eq("dynamic present", true, rd.Present) {
		return
	}
	d.eq("dynamic offset", v.Dyn.Off, rd.Offset)
	rows := rd.Entries
	// readelf prints the terminating DT_NULL as its last row; elfx's
	// Entries stop before it.
	if n := len(rows); n > 0 && rows[n-1].Tag == 0 {
		rows = rows[:n-1]
	}
	d.r.dynEntries.Add(int64(len(v.Dyn.Entries)))
	if !d.eq("dynamic entry count", len(v.Dyn.Entries), len(rows)) {
		return
	}
	var needed []string
	for i, e := range v.Dyn.Entries {
		r := rows[i]
		field := fmt.Sprintf("dynamic entry %d (%s) ", i, elfx.DynTagName(e.Tag))
		d.eq(field+"tag", uint64(e.Tag), r.Tag)
		switch {
		case e.Tag == elf.DT_FLAGS || e.Tag == elf.DT_FLAGS_1:
			bits, unknown := flagWordsBits(e.Tag, r.Flags)
			if unknown == 0 {
				d.eq(field+"flags", e.Val, bits)
			} else {
				// Each unknown DT_FLAGS bit prints as "unknown".
				d.eq(field+"known flags", e.Val&0x1f, bits)
			}
		case r.HasStr:
			d.eq(field+"string", e.Str, r.Str)
		case r.HasNum:
			d.eq(field+"value", e.Val, r.Num)
		}
		if r.HasStr && !elfx.IsStringTag(e.Tag) {
			d.eq(field+"is string tag", false, true)
		}
		if e.Tag == elf.DT_NEEDED {
			needed = append(needed, r.Str)
		}
		switch e.Tag {
		case elf.DT_SONAME:
			d.eq("Soname", v.Dyn.Soname, r.Str)
		case elf.DT_FLAGS:
			d.eq("Flags", uint64(v.Dyn.Flags), e.Val)
		case elf.DT_FLAGS_1:
			d.eq("Flags1", uint64(v.Dyn.Flags1), e.Val)
		}
	}
	d.eq("Needed", v.Dyn.Needed, needed)
}

// symVis names st_other's visibility as readelf does.
var symVis = []string{"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"}

// isBaseVersion reports whether version index ndx is that of the
// VER_FLG_BASE definition, the object's own name.
func isBaseVersion(v *elfxView, ndx elf.VersionIndex) bool {
	for _, def := range v.Defs {
		if def.Flags&elf.VER_FLG_BASE != 0 && def.Index == ndx.Index() {
			return true
		}
	}
	return false
}

// expectedVersion is how readelf attaches s's version to its name in a
// symbol listing (reloc false) or a relocation row (reloc true).
func expectedVersion(v *elfxView, s *elfx.Symbol, reloc bool) string {
	if s.Version == "" {
		return ""
	}
	if s.Library == "" {
		// readelf prints no version for a definition whose version is
		// the base one, nor for the symbol naming a version definition
		// (st_name equal to the verdaux's vda_name, which readelf checks
		// and elfx does not expose: such symbols are ABS, value 0, and
		// carry their version's name).
		if isBaseVersion(v, s.VersionIndex) || (s.Name == s.Version && s.Section == elf.SHN_ABS) {
			return ""
		}
		if s.DefaultVersion() {
			return "@@" + s.Version
		}
		return "@" + s.Version
	}
	if reloc {
		return "@" + s.Version
	}
	return fmt.Sprintf("@%s (%d)", s.Version, s.VersionIndex&0x7fff)
}

func compareSymbols(d *fileDiff, f *elfx.File, v *elfxView, useDynamic bool) {
	what := "--dyn-syms"
	if useDynamic {
		what = "-D -s"
	}
	rs, err := readelf.DynSyms(d.path, useDynamic)
	if err != nil {
		d.fail("readelf "+what, err)
		return
	}
	syms := v.Syms
	if !rs.Present {
		// -D -s needs DT_SYMTAB, DT_STRTAB and a hash table; --dyn-syms
		// needs a .dynsym section. readelf -D -s counts the symbols through the hash table and
		// prints nothing when no bucket is used, as in a static PIE whose
		// table holds only the null symbol; elfx returns that symbol.
		if len(syms) > 1 || len(syms) == 1 && !useDynamic {
			d.eq(what+" symbol table present", true, false)
		}
		return
	}
	rows := rs.Symbols
	shs, _ := f.SectionHeaders()
	if useDynamic {
		d.r.symbols.Add(int64(len(syms)))
	}
	if !d.eq(what+" symbol count", len(syms), len(rows)) {
		return
	}
	for i := range syms {
		s, r := &syms[i], rows[i]
		field := fmt.Sprintf("%s symbol %d (%s) ", what, i, s.Name)
		d.eq(field+"num", uint64(i), r.Num)
		d.eq(field+"value", s.Value, r.Value)
		d.eq(field+"size", s.Size, r.Size)
		d.eq(field+"type", elfx.SymTypeName(s.Type()), r.Type)
		bind := elfx.SymBindName(s.Bind())
		if s.Bind() == elfx.STB_GNU_UNIQUE && f.OSABI != elf.ELFOSABI_LINUX {
			// readelf names binding 10 UNIQUE only in files marked
			// ELFOSABI_GNU; the loader does not look at EI_OSABI.
			bind = "<OS specific>: 10"
		}
		d.eq(field+"bind", bind, r.Bind)
		d.eq(field+"visibility", symVis[s.Other&3], r.Vis)
		if r.ShndxKnown {
			d.eq(field+"ndx", uint32(s.Section), r.Shndx)
		} else {
			d.eq(field+"ndx", uint32(s.Section), r.Ndx)
		}
		name := readelf.Printable(s.Name)
		if s.Name == "" && s.Type() == elf.STT_SECTION && int(s.Section) < len(shs) {
			// readelf names a nameless section symbol after its
			// section, which only the section headers give.
			name = shs[s.Section].Name
		}
		d.eq(field+"name", name+expectedVersion(v, s, false), r.Printed)
	}
}

// versionFlagWords gives readelf's words for a version flag word.
func versionFlagWords(fl elf.DynamicVersionFlag) []string {
	var w []string
	if fl&elf.VER_FLG_BASE != 0 {
		w = append(w, "BASE")
	}
	if fl&elf.VER_FLG_WEAK != 0 {
		w = append(w, "WEAK")
	}
	if fl&elf.VER_FLG_INFO != 0 {
		w = append(w, "INFO")
	}
	if fl&^(elf.VER_FLG_BASE|elf.VER_FLG_WEAK|elf.VER_FLG_INFO) != 0 {
		w = append(w, "<unknown>")
	}
	return w
}

func compareVersions(d *fileDiff, v *elfxView) {
	vi, err := readelf.Versions(d.path)
	if err != nil {
		d.fail("readelf -V", err)
		return
	}
	if d.eq("verneed count", len(v.Needs), len(vi.Verneeds)) {
		for i, n := range v.Needs {
			r := vi.Verneeds[i]
			field := fmt.Sprintf("verneed %d ", i)
			d.eq(field+"file", n.File, r.File)
			if !d.eq(field+"aux count", len(n.Needs), len(r.Aux)) {
				continue
			}
			for j, a := range n.Needs {
				ra := r.Aux[j]
				d.eq(field+"aux name", a.Name, ra.Name)
				d.eq(field+"aux flags", versionFlagWords(a.Flags), ra.Flags)
				d.eq(field+"aux index", uint64(a.Index), ra.Other)
			}
		}
	}
	if d.eq("verdef count", len(v.Defs), len(vi.Verdefs)) {
		for i, def := range v.Defs {
			r := vi.Verdefs[i]
			field := fmt.Sprintf("verdef %d ", i)
			d.eq(field+"index", uint64(def.Index), r.Index)
			d.eq(field+"flags", versionFlagWords(def.Flags), r.Flags)
			d.eq(field+"name", def.Name, r.Name)
			d.eq(field+"parents", def.Parents, r.Parents)
		}
	}
	hasVersym := len(v.Syms) > 0 && v.Syms[0].HasVersion
	if vi.VersymSection == nil {
		d.eq("versym present", hasVersym, false)
		return
	}
	if !d.eq("versym count", len(v.Syms), len(vi.Versym)) {
		return
	}
	for i, s := range v.Syms {
		r := vi.Versym[i]
		d.eq(fmt.Sprintf("versym %d", i), uint16(s.VersionIndex),
			uint16(r.Value)|map[bool]uint16{true: 0x8000}[r.Hidden])
	}
}

// readelfSpelling maps the names debug/elf (and so elfx.RelocTypeName) gives
// relocation types to binutils' names where the two spell them differently.
var readelfSpelling = map[string]string{
	"R_X86_64_JMP_SLOT": "R_X86_64_JUMP_SLOT",
	"R_386_JMP_SLOT":    "R_386_JUMP_SLOT",
}

// readelfRelocName names relocation type t as readelf does.
func readelfRelocName(m elf.Machine, t uint32) string {
	name := elfx.RelocTypeName(m, t)
	if n, ok := readelfSpelling[name]; ok {
		return n
	}
	return name
}

// readelfTableName is the name readelf -D -r gives each kind of table.
var readelfTableName = map[elf.DynTag]string{
	elf.DT_REL: "REL", elf.DT_RELA: "RELA", elfx.DT_RELR: "RELR", elf.DT_JMPREL: "PLT",
}

func tableKind(t *elfxTable) string {
	switch {
	case t.Tag == elfx.DT_RELR:
		return readelf.KindRelr
	case t.Addend:
		return readelf.KindRela
	}
	return readelf.KindRel
}

// compareRows compares a table's expanded relocations with readelf's rows.
func compareRows(d *fileDiff, f *elfx.File, v *elfxView, field string, t *elfxTable, rows []readelf.Reloc) {
	if !d.eq(field+"row count", len(t.Relocs), len(rows)) {
		return
	}
	for i, r := range t.Relocs {
		rr := rows[i]
		rf := fmt.Sprintf("%srow %d ", field, i)
		d.eq(rf+"offset", r.Offset, rr.Offset)
		if t.Tag == elfx.DT_RELR {
			continue
		}
		d.eq(rf+"type", readelfRelocName(f.Machine, r.Type), rr.Type)
		if r.Sym != 0 && int(r.Sym) < len(v.Syms) {
			s := &v.Syms[r.Sym]
			d.eq(rf+"has symbol", true, rr.HasSym)
			if s.Name != "" {
				d.eq(rf+"symbol", readelf.Printable(s.Name)+expectedVersion(v, s, true), rr.SymPrinted)
			}
			if !rr.IFunc {
				d.eq(rf+"symbol value", s.Value, rr.SymValue)
			}
		} else {
			d.eq(rf+"symbol index", r.Sym, uint32(0))
		}
		if t.Addend {
			d.eq(rf+"addend", r.Addend, rr.Addend)
		}
	}
}

func compareRelocsDynamic(d *fileDiff, f *elfx.File, v *elfxView) {
	rr, err := readelf.Relocs(d.path, true)
	if err != nil {
		d.fail("readelf -D -r", err)
		return
	}
	byName := map[string]*readelf.RelocTable{}
	for i := range rr.Tables {
		byName[rr.Tables[i].Name] = &rr.Tables[i]
	}
	for i := range v.Tables {
		t := &v.Tables[i]
		d.r.relocs.Add(int64(len(t.Relocs)))
		name := readelfTableName[t.Tag]
		field := "-D -r table " + name + " "
		rt := byName[name]
		delete(byName, name)
		if rt == nil && len(t.Relocs) == 0 {
			// readelf prints no table of size 0 (ldconfig has DT_RELA 0
			// and DT_RELASZ 0); elfx reports what the array says.
			continue
		}
		if rt == nil {
			d.eq(field+"present", true, false)
			continue
		}
		rows, size := rt.Relocs, rt.Bytes
		if n, shared := pltShared(v, t, rt); shared {
			// readelf -D prints DT_RELASZ as it stands; where it covers
			// the PLT relocations too (32-bit PowerPC), elfx, like the
			// loader, leaves them to DT_JMPREL.
			rows, size = rows[:len(rows)-n], t.Size
		}
		d.eq(field+"address", t.Addr, rt.Offset)
		d.eq(field+"size", t.Size, size)
		d.eq(field+"kind", tableKind(t), rt.Kind)
		compareRows(d, f, v, field, t, rows)
	}
	for name, rt := range byName {
		if len(rt.Relocs) > 0 {
			d.eq("-D -r table "+name+" present", false, true)
		}
	}
}

// pltShared reports whether readelf's table rt is elfx's t plus the
// DT_JMPREL entries that end it, and how many rows those are.
func pltShared(v *elfxView, t *elfxTable, rt *readelf.RelocTable) (int, bool) {
	if v.Dyn == nil || t.Tag == elf.DT_JMPREL {
		return 0, false
	}
	pltAddr, ok := v.Dyn.Value(elf.DT_JMPREL)
	pltSize, _ := v.Dyn.Value(elf.DT_PLTRELSZ)
	if !ok || rt.Bytes != t.Size+pltSize || t.Addr+rt.Bytes != pltAddr+pltSize {
		return 0, false
	}
	for _, pt := range v.Tables {
		if pt.Tag == elf.DT_JMPREL && len(rt.Relocs) >= len(pt.Relocs) {
			return len(pt.Relocs), true
		}
	}
	return 0, false
}

// compareRelocsSections compares with readelf -r, which walks the relocation
// sections: each is matched with the elfx table at its file offset.
func compareRelocsSections(d *fileDiff, f *elfx.File, v *elfxView) {
	rr, err := readelf.Relocs(d.path, false)
	if err != nil {
		d.fail("readelf -r", err)
		return
	}
	if v.Dyn == nil {
		// A static executable's .rela.plt (IRELATIVE relocations) is
		// applied by the C library's startup code, found through
		// __rela_iplt_start, not by the loader through a dynamic array:
		// there is nothing in the loader's view to compare it with.
		return
	}
	tables, _ := f.RelocTables()
	for i, rt := range rr.Tables {
		var t *elfxTable
		for j := range tables {
			if tables[j].Off == rt.Offset {
				t = &v.Tables[j]
			}
		}
		field := fmt.Sprintf("-r section %d (%s) ", i, rt.Name)
		if t == nil {
			d.eq(field+"table at offset", fmt.Sprintf("none at %#x", rt.Offset), rt.Name)
			continue
		}
		d.eq(field+"kind", tableKind(t), rt.Kind)
		compareRows(d, f, v, field, t, rt.Relocs)
	}
}

// gnuNoteTypes are the GNU note types readelf names.
var gnuNoteTypes = map[string]uint32{
	"NT_GNU_ABI_TAG": 1, "NT_GNU_HWCAP": 2, "NT_GNU_BUILD_ID": 3, "NT_GNU_GOLD_VERSION": 4, "NT_GNU_PROPERTY_TYPE_0": 5,
}

var abiOS = []string{"Linux", "Hurd", "Solaris", "FreeBSD", "NetBSD", "Syllable", "NaCl"}

func compareNotes(d *fileDiff, f *elfx.File, v *elfxView) {
	rn, err := readelf.Notes(d.path)
	if err != nil {
		d.fail("readelf -n", err)
		return
	}
	rows := rn.Notes
	if f.ShNum > 0 {
		// With section headers readelf walks the SHT_NOTE sections, the
		// loader (and elfx) the PT_NOTE segments: keep only the notes of
		// sections that lie inside a PT_NOTE segment (.note.stapsdt, for
		// one, is not loaded).
		shs, _ := f.SectionHeaders()
		inSeg := map[string]bool{}
		for _, sh := range shs {
			if sh.Type != elf.SHT_NOTE {
				continue
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_NOTE && sh.Offset >= p.Off && sh.Offset+sh.Size <= p.Off+p.Filesz && sh.Size > 0 {
					inSeg[sh.Name] = true
				}
			}
		}
		var kept []readelf.Note
		for _, n := range rows {
			if inSeg[n.Section] {
				kept = append(kept, n)
			}
		}
		rows = kept
	}
	d.r.notes.Add(int64(len(v.Notes)))
	if !d.eq("note count", len(v.Notes), len(rows)) {
		return
	}
	// Features must be empty where readelf shows no property.
	var feat elfx.Features
	for i, n := range v.Notes {
		r := rows[i]
		field := fmt.Sprintf("note %d (%s) ", i, n.Owner)
		d.eq(field+"owner", readelf.Printable(n.Owner), r.Owner)
		d.eq(field+"desc size", uint64(len(n.Desc)), r.DescSize)
		if n.Owner == "GNU" {
			if typ, ok := gnuNoteTypes[r.Type]; ok {
				d.eq(field+"type", n.Type, typ)
			}
		}
		if n.Owner != "GNU" {
			continue
		}
		switch n.Type {
		case elfx.NT_GNU_BUILD_ID:
			d.eq(field+"build id", hex.EncodeToString(n.Desc), r.BuildID)
			d.eq("BuildID", v.BuildID, r.BuildID)
		case elfx.NT_GNU_ABI_TAG:
			tag, err := f.ABITag(n)
			if err != nil {
				d.fail(field+"ABITag", err)
				break
			}
			os := fmt.Sprintf("Unknown OS %d", tag.OS)
			if int(tag.OS) < len(abiOS) {
				os = abiOS[tag.OS]
			}
			if r.OS != "" {
				d.eq(field+"ABI OS", os, r.OS)
			}
			d.eq(field+"ABI", fmt.Sprintf("%d.%d.%d", tag.Major, tag.Minor, tag.Subminor), r.ABI)
		case elfx.NT_GNU_PROPERTY_TYPE_0:
			for _, p := range r.Properties {
				switch p.Name {
				case "x86 feature":
					feat.IBT = feat.IBT || indexOf(p.Values, "IBT") >= 0
					feat.SHSTK = feat.SHSTK || indexOf(p.Values, "SHSTK") >= 0
				case "AArch64 feature":
					feat.BTI = feat.BTI || indexOf(p.Values, "BTI") >= 0
					feat.PAC = feat.PAC || indexOf(p.Values, "PAC") >= 0
				case "x86 ISA needed":
					for _, w := range p.Values {
						switch w {
						case "x86-64-baseline":
							feat.ISANeeded |= 1
						case "x86-64-v2":
							feat.ISANeeded |= 2
						case "x86-64-v3":
							feat.ISANeeded |= 4
						case "x86-64-v4":
							feat.ISANeeded |= 8
						}
					}
				}
			}
		}
	}
	got := v.Features
	d.eq("Features IBT", got.IBT, feat.IBT)
	d.eq("Features SHSTK", got.SHSTK, feat.SHSTK)
	d.eq("Features BTI", got.BTI, feat.BTI)
	d.eq("Features PAC", got.PAC, feat.PAC)
	d.eq("Features ISANeeded", got.ISANeeded, feat.ISANeeded)
}
