package compat

import (
	"cmp"
	"debug/elf"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/elfx/elfx/internal/readelf"
	"github.com/elfx/elfx/internal/testelf"
)

// diffFloors are the GLIBC floors the differential test checks every file
// against: manylinux2014's, manylinux_2_28's and manylinux_2_34's.
var diffFloors = []string{"2.17", "2.28", "2.34"}

// TestCheckMatchesReadelf compares Check with GNU readelf over every
// dynamic ELF file of /usr/bin and /usr/lib/x86_64-linux-gnu (its
// subdirectories included). From `readelf -W -V` (the version needs
// section) and `readelf -W --dyn-syms` (undefined symbols printed
// "name@VERSION (N)") it computes, independently of elfx:
//
//   - Required: by family, the highest numbered version over all DT_VERNEED
//     entries (GLIBC_ABI_DT_RELR counting as GLIBC 2.36);
//   - for each floor of diffFloors, the GLIBC references above it: every
//     undefined symbol with a needed version above the floor, as (symbol,
//     version, the DT_VERNEED file of that version), plus ("", version,
//     file) for each needed version above the floor that no undefined
//     symbol uses;
//
// and requires Check(path, Options{Floors: {"GLIBC": floor}}) to give the
// same Required versions, the same too-new list (as a multiset) and OK
// exactly when that list is empty. The family is the part of the name
// before the first "_" followed by a digit, and the rest must be a dotted
// number; Check also orders names with a second "_digit" (GNUTLS_3_4 as
// family GNUTLS_3, version 4), which this rule leaves unordered: such
// families are logged, not failed. Symbols a copy relocation moved into
// the file (defined there, with a needed version) are references too, on
// both sides: the file still needs their version from the library.
//
// Excluded, with the count logged: files without section headers (readelf
// -V and --dyn-syms then print nothing while elfx reads the versions
// through PT_DYNAMIC, so readelf has no answer to compare with) and files
// readelf itself fails on. The whole run takes about 15 s on two cores, so
// the library directory is not sampled.
func TestCheckMatchesReadelf(t *testing.T) {
	if !readelf.Available() {
		t.Skip("readelf (binutils) is not installed")
	}
	if testing.Short() {
		t.Skip("runs readelf twice on every dynamic ELF file of the system (-short)")
	}
	paths := testelf.Dynamic(t, "/usr/bin", "/usr/lib/x86_64-linux-gnu")

	type result struct {
		model *readelfModel
		skip  string // why the file is excluded
		err   error  // readelf or its parser failed
	}
	results := make([]result, len(paths))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !hasSectionHeaders(p) {
				results[i].skip = "no section headers: readelf -V and --dyn-syms print nothing"
				return
			}
			m, err := modelFromReadelf(p)
			switch {
			case err != nil:
				results[i].err = err
			case m.exitCode != 0:
				results[i].skip = fmt.Sprintf("readelf exited %d: %s", m.exitCode, strings.Join(m.stderr, "; "))
			default:
				results[i].model = m
			}
		}()
	}
	wg.Wait()

	var files, refs, needs, copied int
	tooNew := make(map[string]int)      // floor -> too-new references over all files
	notOK := make(map[string]int)       // floor -> files not OK
	unused := make(map[string]int)      // floor -> too-new versions no symbol uses
	unusedNames := make(map[string]int) // "floor version (library)" -> count
	otherSplit := make(map[string]int)  // "family version" of Check's only -> files
	skipped := make(map[string][]string)
	mismatches := 0
	for i, p := range paths {
		res := results[i]
		if res.err != nil {
			t.Errorf("%s: %v", p, res.err)
			continue
		}
		if res.skip != "" {
			skipped[res.skip] = append(skipped[res.skip], p)
			continue
		}
		m := res.model
		files++
		refs += m.refs
		needs += m.needs
		copied += len(m.copied)
		wantRequired := m.required()
		for _, floor := range diffFloors {
			r, err := Check(p, Options{Floors: Floors{"GLIBC": floor}})
			if err != nil {
				t.Errorf("%s: Check: %v (readelf read the file)", p, err)
				break
			}
			if floor == diffFloors[0] {
				for _, fam := range slices.Sorted(maps.Keys(union(r.Required, wantRequired))) {
					got, want := r.Required[fam], wantRequired[fam]
					switch {
					case got == want:
					case familyRE.MatchString(fam) && want == "":
						// Check split a name such as GNUTLS_3_4 or
						// MOUNT_2_38 at a later "_digit" (family
						// GNUTLS_3, version 4); by the rule this test
						// follows it is not ordered. Logged, not failed:
						// no floor applies to such a family.
						otherSplit[fam+" "+got]++
					default:
						mismatches++
						t.Errorf("%s: Required[%s]: Check %q, readelf %q\n  Check:   %v\n  readelf: %v", p, fam, got, want, r.Required, wantRequired)
					}
				}
			}
			want := m.tooNew(floor)
			var got []string
			for _, tn := range r.TooNew {
				if tn.Object != p {
					t.Errorf("%s: floor GLIBC %s: too-new %s@%s names object %q, want the file itself", p, floor, tn.Symbol, tn.Version, tn.Object)
				}
				got = append(got, refKey(tn.Symbol, tn.Version, tn.Library))
			}
			slices.Sort(got)
			if missing, extra := diffSorted(want, got); len(missing)+len(extra) > 0 {
				mismatches++
				t.Errorf("%s: floor GLIBC %s: too-new references differ\n  readelf only: %s\n  Check only:   %s",
					p, floor, strings.Join(missing, ", "), strings.Join(extra, ", "))
			}
			if r.OK != (len(want) == 0) || len(r.Violations) > 0 {
				t.Errorf("%s: floor GLIBC %s: OK %v with %d violations %v; readelf finds %d too-new references",
					p, floor, r.OK, len(r.Violations), r.Violations, len(want))
			}
			tooNew[floor] += len(want)
			if len(want) > 0 {
				notOK[floor]++
			}
			for _, w := range want {
				if strings.HasPrefix(w, "@") {
					unused[floor]++
					unusedNames[floor+" "+strings.TrimPrefix(w, "@")]++
				}
			}
		}
	}
	var reasons []string
	for reason := range skipped {
		reasons = append(reasons, reason)
	}
	slices.Sort(reasons)
	for _, reason := range reasons {
		list := skipped[reason]
		t.Logf("excluded %d files, %s: %s", len(list), reason, strings.Join(first(list, 5), " "))
	}
	t.Logf("%d dynamic files (%d listed), %d versioned undefined references, %d DT_VERNEED versions, %d copy-relocated versioned symbols",
		files, len(paths), refs, needs, copied)
	for _, floor := range diffFloors {
		t.Logf("floor GLIBC %s: %d too-new references (%d of them versions no symbol uses) in %d files",
			floor, tooNew[floor], unused[floor], notOK[floor])
		for _, k := range slices.Sorted(maps.Keys(unusedNames)) {
			if v, ok := strings.CutPrefix(k, floor+" "); ok {
				t.Logf("  no symbol uses %s in %d files", v, unusedNames[k])
			}
		}
	}
	if len(otherSplit) > 0 {
		var list []string
		for _, k := range slices.Sorted(maps.Keys(otherSplit)) {
			list = append(list, fmt.Sprintf("%s (%d files)", k, otherSplit[k]))
		}
		t.Logf("families Check orders and this test does not (a name with a second \"_digit\", e.g. GNUTLS_3_4): %s", strings.Join(list, ", "))
	}
	if mismatches > 0 {
		t.Errorf("%d disagreements with readelf", mismatches)
	}
}

// readelfModel is what readelf says about one file's needed versions.
type readelfModel struct {
	path string
	// verneed maps a vna_other (the index .gnu.version uses) to the
	// version's name and the DT_VERNEED file it is needed from.
	verneed map[uint64]vernaux
	// undefined are the undefined dynamic symbols with a needed version.
	undefined []versionedSym
	// copied are defined symbols with a needed version (copy relocations).
	copied   []versionedSym
	refs     int
	needs    int
	exitCode int
	stderr   []string
}

type vernaux struct{ name, file string }

type versionedSym struct {
	name, version string
	index         uint64
}

func modelFromReadelf(path string) (*readelfModel, error) {
	vi, err := readelf.Versions(path)
	if err != nil {
		return nil, err
	}
	st, err := readelf.DynSyms(path, false)
	if err != nil {
		return nil, err
	}
	m := &readelfModel{path: path, verneed: map[uint64]vernaux{}}
	m.exitCode = max(vi.ExitCode, st.ExitCode)
	m.stderr = append(slices.Clip(vi.Stderr), st.Stderr...)
	for _, n := range vi.Verneeds {
		for _, a := range n.Aux {
			m.verneed[a.Other] = vernaux{a.Name, n.File}
			m.needs++
		}
	}
	for _, s := range st.Symbols {
		if s.VersionKind != readelf.VersionNeeded || s.Name == "" {
			continue
		}
		v := versionedSym{s.Name, s.Version, s.VersionIndex}
		if _, ok := m.verneed[s.VersionIndex]; !ok {
			return nil, fmt.Errorf("readelf --dyn-syms: %s@%s (%d) has no entry %d in readelf -V's version needs", s.Name, s.Version, s.VersionIndex, s.VersionIndex)
		}
		if s.Ndx == "UND" {
			m.undefined = append(m.undefined, v)
			m.refs++
		} else {
			m.copied = append(m.copied, v)
		}
	}
	return m, nil
}

// required is, by family, the highest numbered version the file needs.
func (m *readelfModel) required() map[string]string {
	req := map[string]string{}
	for _, a := range m.verneed {
		fam, num, ok := splitFamily(a.name)
		if !ok {
			continue
		}
		if cur, ok := req[fam]; !ok || compareDotted(num, cur) > 0 {
			req[fam] = num
		}
	}
	return req
}

// tooNew lists, sorted, the GLIBC references above floor as refKeys.
func (m *readelfModel) tooNew(floor string) []string {
	var out []string
	used := map[uint64]bool{}
	above := func(version string) bool {
		fam, num, ok := splitFamily(version)
		return ok && fam == "GLIBC" && compareDotted(num, floor) > 0
	}
	for _, s := range slices.Concat(m.undefined, m.copied) {
		used[s.index] = true
		if above(s.version) {
			out = append(out, refKey(s.name, s.version, m.verneed[s.index].file))
		}
	}
	for idx, a := range m.verneed {
		if !used[idx] && above(a.name) {
			out = append(out, refKey("", a.name, a.file))
		}
	}
	slices.Sort(out)
	return out
}

func refKey(symbol, version, library string) string {
	return symbol + "@" + version + " (" + library + ")"
}

var dottedRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

// splitFamily is the test's own reading of a version name: the family is
// the part before the first "_" followed by a digit, the rest must be a
// dotted number; GLIBC_ABI_DT_RELR is GLIBC 2.36.
func splitFamily(name string) (family, version string, ok bool) {
	if name == "GLIBC_ABI_DT_RELR" {
		return "GLIBC", "2.36", true
	}
	for i := 0; i+1 < len(name); i++ {
		if name[i] == '_' && '0' <= name[i+1] && name[i+1] <= '9' {
			if dottedRE.MatchString(name[i+1:]) {
				return name[:i], name[i+1:], true
			}
			return "", "", false
		}
	}
	return "", "", false
}

// compareDotted compares dotted numbers field by field, numerically.
func compareDotted(a, b string) int {
	x, y := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(x) && i < len(y); i++ {
		p, _ := strconv.Atoi(x[i])
		q, _ := strconv.Atoi(y[i])
		if c := cmp.Compare(p, q); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(x), len(y))
}

func hasSectionHeaders(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return len(f.Sections) > 1
}

// familyRE matches a family name that itself holds "_digit", which the
// test's splitFamily never produces.
var familyRE = regexp.MustCompile(`_[0-9]`)

func union(a, b map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// diffSorted returns the elements of the sorted multiset want missing from
// got, and those of got missing from want.
func diffSorted(want, got []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && want[i] < got[j]:
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

func first(list []string, n int) []string {
	if len(list) > n {
		return append(slices.Clip(list[:n]), "...")
	}
	return list
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.10", "2.9", 1},
		{"2.9", "2.10", -1},
		{"2.2.5", "2.2", 1},
		{"2.17", "2.17", 0},
		{"2.34", "2.28", 1},
		{"3.4.19", "3.4.9", 1},
		{"1.3.7", "1.3.10", -1},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := compareDotted(c.a, c.b); got != c.want {
			t.Errorf("the test's compareDotted(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// hostCC is the C compiler go env CC names, else cc; the test skips
// without one.
func hostCC(t testing.TB) []string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the fixtures need glibc on x86-64 (their versions are x86-64's)")
	}
	var candidates []string
	if out, err := exec.Command("go", "env", "CC").Output(); err == nil {
		if cc := strings.TrimSpace(string(out)); cc != "" {
			candidates = append(candidates, cc)
		}
	}
	candidates = append(candidates, "cc")
	for _, c := range candidates {
		cc := strings.Fields(c)
		if _, err := exec.LookPath(cc[0]); err == nil {
			return cc
		}
	}
	t.Skipf("no C compiler: neither %s is in $PATH", strings.Join(candidates, " nor "))
	return nil
}

// compile runs the compiler with args, naming out, and returns out.
func compile(t *testing.T, cc []string, out string, args ...string) string {
	t.Helper()
	argv := append(slices.Clip(cc[1:]), "-o", out)
	argv = append(argv, args...)
	cmd := exec.Command(cc[0], argv...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, b)
	}
	return out
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// importedVersions maps the file's undefined dynamic symbols to their
// versions, read with debug/elf: the fixture's own sanity check, so that
// an unexpected toolchain shows as a skip and not as a Check failure.
func importedVersions(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF {
			out[s.Name] = s.Version
		}
	}
	return out
}

// TestCheckFixtures checks programs built here whose needed versions are
// known: fcntl64 (GLIBC_2.28), arc4random (GLIBC_2.36), memcpy pinned to
// GLIBC_2.2.5 with .symver and, for contrast, unpinned (GLIBC_2.14), and a
// program linked with -z pack-relative-relocs, which needs
// GLIBC_ABI_DT_RELR without any symbol using it. All of them need
// __libc_start_main@GLIBC_2.34, as any program linked against glibc 2.34
// or later does.
func TestCheckFixtures(t *testing.T) {
	cc := hostCC(t)
	dir := t.TempDir()
	type want struct {
		required string              // Required["GLIBC"]
		tooNew   map[string][]string // floor -> "symbol@version", sorted; "@V" for a version no symbol uses
	}
	const start = "__libc_start_main@GLIBC_2.34"
	cases := []struct {
		name    string
		args    []string
		imports map[string]string // what the fixture must import, or it is skipped
		want    want
	}{
		{
			name:    "fcntl64",
			args:    []string{testdata(t, "fcntl64.c")},
			imports: map[string]string{"fcntl64": "GLIBC_2.28", "__libc_start_main": "GLIBC_2.34"},
			want: want{"2.34", map[string][]string{
				"2.17": {start, "fcntl64@GLIBC_2.28"},
				"2.28": {start},
				"2.34": nil,
				"2.36": nil,
			}},
		},
		{
			name:    "arc4random",
			args:    []string{testdata(t, "arc4random.c")},
			imports: map[string]string{"arc4random": "GLIBC_2.36", "__libc_start_main": "GLIBC_2.34"},
			want: want{"2.36", map[string][]string{
				"2.17": {start, "arc4random@GLIBC_2.36"},
				"2.28": {start, "arc4random@GLIBC_2.36"},
				"2.34": {"arc4random@GLIBC_2.36"},
				"2.36": nil,
			}},
		},
		{
			name:    "memcpy-pinned",
			args:    []string{"-fno-builtin", testdata(t, "memcpy_old.c")},
			imports: map[string]string{"memcpy": "GLIBC_2.2.5", "__libc_start_main": "GLIBC_2.34"},
			want: want{"2.34", map[string][]string{
				"2.12": {start}, // memcpy@GLIBC_2.2.5 is old enough even here
				"2.17": {start},
				"2.28": {start},
				"2.34": nil,
				"2.36": nil,
			}},
		},
		{
			name:    "memcpy-default",
			args:    []string{"-fno-builtin", "-DUNPINNED", testdata(t, "memcpy_old.c")},
			imports: map[string]string{"memcpy": "GLIBC_2.14", "__libc_start_main": "GLIBC_2.34"},
			want: want{"2.34", map[string][]string{
				"2.12": {start, "memcpy@GLIBC_2.14"},
				"2.17": {start},
				"2.34": nil,
			}},
		},
		{
			name:    "relr",
			args:    []string{"-Wl,-z,pack-relative-relocs", testdata(t, "fcntl64.c")},
			imports: map[string]string{"fcntl64": "GLIBC_2.28", "__libc_start_main": "GLIBC_2.34"},
			want: want{"2.36", map[string][]string{
				"2.17": {"@GLIBC_ABI_DT_RELR", start, "fcntl64@GLIBC_2.28"},
				"2.28": {"@GLIBC_ABI_DT_RELR", start},
				"2.34": {"@GLIBC_ABI_DT_RELR"},
				"2.36": nil,
			}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name)
			argv := append(slices.Clip(cc[1:]), "-o", out)
			argv = append(argv, c.args...)
			if b, err := exec.Command(cc[0], argv...).CombinedOutput(); err != nil {
				if c.name == "relr" {
					t.Skipf("the linker cannot pack relative relocations: %v\n%s", err, b)
				}
				t.Fatalf("%s %s: %v\n%s", cc[0], strings.Join(argv, " "), err, b)
			}
			got := importedVersions(t, out)
			for sym, v := range c.imports {
				if got[sym] != v {
					t.Skipf("the fixture imports %s@%s, not @%s: this toolchain/glibc is not the one the expectations are for", sym, got[sym], v)
				}
			}
			if c.name == "relr" && !needsVersion(t, out, "GLIBC_ABI_DT_RELR") {
				t.Skip("the linker packed relative relocations without requiring GLIBC_ABI_DT_RELR (glibc before 2.36)")
			}
			floors := make([]string, 0, len(c.want.tooNew))
			for f := range c.want.tooNew {
				floors = append(floors, f)
			}
			slices.SortFunc(floors, CompareVersions)
			for _, floor := range floors {
				r, err := Check(out, Options{Floors: Floors{"GLIBC": floor}})
				if err != nil {
					t.Fatal(err)
				}
				if r.File != out {
					t.Errorf("File = %q, want %q", r.File, out)
				}
				if got := r.Required["GLIBC"]; got != c.want.required {
					t.Errorf("floor %s: Required[GLIBC] = %q, want %q (Required %v)", floor, got, c.want.required, r.Required)
				}
				var gotNew []string
				for _, tn := range r.TooNew {
					gotNew = append(gotNew, tn.Symbol+"@"+tn.Version)
					if tn.Library != "libc.so.6" || tn.Object != out {
						t.Errorf("floor %s: %s@%s: Library %q Object %q, want libc.so.6 and the program", floor, tn.Symbol, tn.Version, tn.Library, tn.Object)
					}
				}
				slices.Sort(gotNew)
				wantNew := c.want.tooNew[floor]
				if !slices.Equal(gotNew, wantNew) {
					t.Errorf("floor GLIBC %s: too new:\n  got  %q\n  want %q", floor, gotNew, wantNew)
				}
				if wantOK := len(wantNew) == 0; r.OK != wantOK {
					t.Errorf("floor GLIBC %s: OK = %v, want %v", floor, r.OK, wantOK)
				}
				if len(r.Violations) > 0 {
					t.Errorf("floor GLIBC %s: unexpected violations %+v", floor, r.Violations)
				}
			}
		})
	}
}

func needsVersion(t *testing.T, path, version string) bool {
	t.Helper()
	vi, err := readelf.Versions(path)
	if err != nil {
		t.Skipf("cannot confirm the fixture with readelf: %v", err)
	}
	for _, n := range vi.Verneeds {
		for _, a := range n.Aux {
			if a.Name == version {
				return true
			}
		}
	}
	return false
}

// TestCheckSysroot checks programs against target sysroots laid out as
// Debian's (/lib/x86_64-linux-gnu, /lib64 for the interpreter), holding
// this machine's libc and loader and one release or another of libfoo.so.1:
//
//   - usefoo was linked against libfoo release 2, which defines foo_old in
//     FOO_1.0 and foo_new in FOO_2.0; it needs both versions.
//     usefoo-weak is the same with a weak reference to foo_new.
//   - In "v2" the target has release 2: no violation.
//   - In "v1" it has release 1, FOO_1.0 only, without foo_new: the loader
//     refuses ("version `FOO_2.0' not found"), and Check must say that
//     libfoo.so.1 lacks FOO_2.0.
//   - In "v1-both" it has a release that defines foo_new as well, but in
//     FOO_1.0: every symbol exists, the loader still refuses on the
//     version alone.
//   - In "missing" the target has no libfoo.so.1 at all.
//
// The loader checks each DT_VERNEED version against the library that
// DT_VERNEED names (_dl_check_map_versions) before it binds any symbol,
// for weak references as for strong ones; the real loader of this machine
// confirms each fixture (LD_LIBRARY_PATH pointing at the library's
// directory) before Check is asked.
func TestCheckSysroot(t *testing.T) {
	cc := hostCC(t)
	const libDir = "/lib/x86_64-linux-gnu"
	for _, p := range []string{libDir + "/libc.so.6", libDir + "/ld-linux-x86-64.so.2"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("this machine's glibc is not laid out as Debian's: %v", err)
		}
	}
	dir := t.TempDir()
	lib := func(release, mapFile string, defs ...string) string {
		d := filepath.Join(dir, "build-"+release)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		args := []string{"-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-Wl,--version-script=" + testdata(t, mapFile)}
		args = append(args, defs...)
		return compile(t, cc, filepath.Join(d, "libfoo.so.1"), append(args, testdata(t, "libfoo.c"))...)
	}
	v2 := lib("v2", "libfoo2.map", "-DFOO_V2")
	v1 := lib("v1", "libfoo1.map")
	v1both := lib("v1-both", "libfoo1_both.map", "-DFOO_V2")
	strong := compile(t, cc, filepath.Join(dir, "usefoo"), testdata(t, "usefoo.c"), v2)
	weak := compile(t, cc, filepath.Join(dir, "usefoo-weak"), "-DWEAK_FOO_NEW", testdata(t, "usefoo.c"), v2)
	for _, prog := range []string{strong, weak} {
		if got := importedVersions(t, prog); got["foo_new"] != "FOO_2.0" || got["foo_old"] != "FOO_1.0" {
			t.Fatalf("%s imports foo_new@%s foo_old@%s, want FOO_2.0 and FOO_1.0", prog, got["foo_new"], got["foo_old"])
		}
		// The real loader on this machine, with each release found first.
		runWith := func(libPath string) (string, error) {
			cmd := exec.Command(prog)
			cmd.Env = []string{"LD_LIBRARY_PATH=" + filepath.Dir(libPath)}
			b, err := cmd.CombinedOutput()
			return string(b), err
		}
		if out, err := runWith(v2); err != nil || strings.TrimSpace(out) != "3" {
			t.Fatalf("%s with release 2: %v: %s", prog, err, out)
		}
		for _, l := range []string{v1, v1both} {
			out, err := runWith(l)
			if err == nil || !strings.Contains(out, "version `FOO_2.0' not found") {
				t.Fatalf("%s with %s: want the loader to refuse FOO_2.0, got %v: %s", prog, l, err, out)
			}
		}
	}

	sysroot := func(name, libfoo string) string {
		root := filepath.Join(dir, "root-"+name)
		if _, err := os.Stat(root); err == nil {
			return root
		}
		for _, d := range []string{libDir, "/lib64"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		copyFile(t, libDir+"/libc.so.6", filepath.Join(root, libDir, "libc.so.6"))
		copyFile(t, libDir+"/ld-linux-x86-64.so.2", filepath.Join(root, libDir, "ld-linux-x86-64.so.2"))
		if err := os.Symlink("../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(root, "lib64/ld-linux-x86-64.so.2")); err != nil {
			t.Fatal(err)
		}
		if libfoo != "" {
			copyFile(t, libfoo, filepath.Join(root, libDir, "libfoo.so.1"))
		}
		return root
	}

	// Symbol "*" accepts "" (the version alone) or "foo_new" (the
	// reference that uses it); Detail is not compared.
	noFOO2 := func(prog string) []Violation {
		return []Violation{{Kind: MissingVersion, Object: prog, Library: "libfoo.so.1", Symbol: "*", Version: "FOO_2.0"}}
	}
	for _, c := range []struct {
		name, prog, libfoo string
		want               []Violation
	}{
		{"v2", strong, v2, nil},
		{"v2-weak", weak, v2, nil},
		{"v1", strong, v1, noFOO2(strong)},
		{"v1-weak", weak, v1, noFOO2(weak)},
		{"v1-both", strong, v1both, noFOO2(strong)},
		{"v1-both-weak", weak, v1both, noFOO2(weak)},
		{"missing", strong, "", []Violation{{Kind: MissingLibrary, Object: strong, Library: "libfoo.so.1"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := sysroot(strings.TrimSuffix(c.name, "-weak"), c.libfoo)
			r, err := Check(c.prog, Options{Sysroot: root})
			if err != nil {
				t.Fatal(err)
			}
			var got []Violation
			for _, v := range r.Violations {
				if v.Detail == "" {
					t.Errorf("violation %+v has no Detail", v)
				}
				t.Logf("%s: %s", v.Kind, v.Detail)
				v.Detail = ""
				got = append(got, v)
			}
			match := func(w, g Violation) bool {
				if w.Symbol == "*" && (g.Symbol == "" || g.Symbol == "foo_new") {
					w.Symbol = g.Symbol
				}
				return w == g
			}
			if !slices.EqualFunc(c.want, got, match) {
				t.Errorf("violations:\n  got  %+v\n  want %+v", got, c.want)
			}
			if r.OK != (len(c.want) == 0) {
				t.Errorf("OK = %v, want %v", r.OK, len(c.want) == 0)
			}
			if len(r.TooNew) > 0 {
				t.Errorf("too new without floors: %+v", r.TooNew)
			}
		})
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
