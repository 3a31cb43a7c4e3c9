package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/elfx/elfx/compat"
	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/fixtures"
)

// The strings of the reports come from the files read: symbol names,
// sonames, versions and paths may hold any bytes. These targets check
// that the JSON and SARIF writers carry them through, as far as JSON can:
// what a consumer decodes is what was written.

// FuzzSARIFRoundTrip writes a SARIF log holding a check report, a diff
// report and a notification made of the fuzzer's strings, and checks
// that it decodes into the log written, with the results, rules, levels
// and messages put in, and with every location's URI a URI reference that
// decodes to the file's path byte for byte.
func FuzzSARIFRoundTrip(f *testing.F) {
	f.Add("/usr/lib/libfoo.so.1", "memcpy", "GLIBC_2.14", "libc.so.6", "", "memcpy is gone", compat.SymbolRemoved, "open /usr/lib/libfoo.so.1: permission denied", true)
	f.Add("c:dir/a b#1?.so", "", "GLIBC_2.34", "libc.so.6", "vendor/x:y/libz.so", "was 8 bytes", compat.MissingLibrary, "not an ELF file", false)
	f.Add("//host/100%25\n\xff\xfe.so", "\u2028\"<&>\\", "V\xe2\x82", "\xac", "./-:", "a\x00b\tc", "k\xff", "\xff", true)
	f.Fuzz(func(t *testing.T, file, symbol, version, library, object, detail, kind, errText string, breaking bool) {
		l := newSARIFLog()
		l.add(&checkReport{
			File:       file,
			TooNew:     []tooNewRecord{{Symbol: symbol, Version: version, Library: library, Object: object}},
			Violations: []violationRecord{{Kind: compat.UndefinedSymbol, Object: object, Symbol: symbol, Detail: detail}},
		})
		l.addDiff(&diffReport{Old: library, New: file, Changes: []changeRecord{{Kind: kind, Symbol: symbol, Breaking: breaking, Detail: detail}}})
		l.notify(file, errors.New(errText))

		var out bytes.Buffer
		if err := writeSARIF(&out, l); err != nil {
			t.Fatalf("writing the log: %v", err)
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("the log is not valid JSON:\n%s", out.Bytes())
		}
		var got sarifLog
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("decoding the log: %v\n%s", err, out.Bytes())
		}
		if sent := jsonStrings(l); !reflect.DeepEqual(&got, sent) {
			t.Fatalf("the log decodes to\n%#v\nwant\n%#v", got, *sent)
		}
		if got.Version != "2.1.0" || len(got.Runs) != 1 || len(got.Runs[0].Invocations) != 1 {
			t.Fatalf("version %q, %d runs: want one run of a 2.1.0 log with one invocation", got.Version, len(got.Runs))
		}
		run := got.Runs[0]

		// What each result says, from the inputs.
		obj := file
		if object != "" {
			obj = object
		}
		what := symbol + "@" + version
		if symbol == "" {
			what = version
		}
		level, msg := "note", detail
		if breaking {
			level = "error"
		}
		if symbol != "" {
			msg = symbol + ": " + detail
		}
		want := []struct{ rule, level, msg, file string }{
			{"too-new-version", "error", obj + " requires " + what + " from " + library + ", newer than the target provides", obj},
			{compat.UndefinedSymbol, "error", detail, object},
			{kind, level, msg, file},
		}
		if len(run.Results) != len(want) {
			t.Fatalf("%d results, want %d", len(run.Results), len(want))
		}
		var rules []string
		for _, r := range run.Tool.Driver.Rules {
			rules = append(rules, r.ID)
		}
		if len(slices.Compact(slices.Sorted(slices.Values(rules)))) != len(rules) {
			t.Errorf("the rule IDs are not distinct: %q", rules)
		}
		for i, r := range run.Results {
			w := want[i]
			if r.RuleID != jsonString(w.rule) || r.Level != w.level || r.Message.Text != jsonString(w.msg) {
				t.Errorf("result %d is %q, %q, %q; want %q, %q, %q", i, r.RuleID, r.Level, r.Message.Text, jsonString(w.rule), w.level, jsonString(w.msg))
			}
			if !slices.Contains(rules, r.RuleID) {
				t.Errorf("result %d: rule %q is not among the driver's rules %q", i, r.RuleID, rules)
			}
			checkLocations(t, r.Locations, w.file)
		}

		inv := run.Invocations[0]
		if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) != 1 {
			t.Fatalf("invocation %+v: want it unsuccessful with one notification", inv)
		}
		n := inv.ToolExecutionNotifications[0]
		if n.Level != "error" || n.Message.Text != jsonString(errText) {
			t.Errorf("notification %q, %q; want error, %q", n.Level, n.Message.Text, jsonString(errText))
		}
		checkLocations(t, n.Locations, file)
	})
}

// uriReference matches the characters RFC 3986 allows in a URI reference,
// with '%' only before two hex digits.
var uriReference = regexp.MustCompile(`^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$`)

// checkLocations checks that locs is the one location of the file at
// path: a URI reference that decodes to path byte for byte, a file URI
// with no host for an absolute path, a relative reference otherwise.
func checkLocations(t *testing.T, locs []sarifLocation, path string) {
	t.Helper()
	if len(locs) != 1 {
		t.Errorf("%d locations, want the one of %q", len(locs), path)
		return
	}
	uri := locs[0].PhysicalLocation.ArtifactLocation.URI
	if !uriReference.MatchString(uri) {
		t.Errorf("uri %q of %q is not a URI reference", uri, path)
		return
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Errorf("uri of %q: %v", path, err)
		return
	}
	scheme := ""
	if strings.HasPrefix(path, "/") {
		scheme = "file"
	}
	if u.Scheme != scheme || u.Opaque != "" || u.User != nil || u.Host != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Path != path {
		t.Errorf("uri %q decodes to scheme %q, path %q (%#v); want scheme %q, path %q alone", uri, u.Scheme, u.Path, u, scheme, path)
	}
}

// FuzzJSONRoundTrip reads the input with the reading subcommands whose
// report reportFiles writes as JSON (info, dynamic, symbols, plt, compat
// check), and checks that each report decodes
// from its line into what it was, as far as JSON carries it, and that
// each error names the file.
func FuzzJSONRoundTrip(f *testing.F) {
	for _, seed := range compiledSeeds(f) {
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("#!/bin/sh\necho not an ELF file\n"))
	// One file a worker, rewritten for each input; its name is as hostile
	// as the names inside.
	path := filepath.Join(f.TempDir(), "in \xff\"<&>\u2028%:.so")
	keepAll := func(*elfx.Symbol) bool { return true }
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		checkJSONRoundTrip(t, path, analyzeInfo, nil)
		checkJSONRoundTrip(t, path, analyzeDynamic, func(r *dynamicReport) {
			r.class = 0 // the width of the text's tag column
			for i := range r.Entries {
				// The flags of DT_FLAGS 0 are an empty list, which
				// omitempty leaves out: it decodes as none.
				if e := &r.Entries[i]; len(e.Flags) == 0 {
					e.Flags = nil
				}
			}
		})
		checkJSONRoundTrip(t, path, func(p string) (*symbolsReport, error) { return analyzeSymbols(p, keepAll) }, func(r *symbolsReport) {
			r.class = 0 // the width of the text's value column
			for i := range r.Symbols {
				r.Symbols[i].versionNdx = 0 // the text's "name@V (n)"; JSON names the version
			}
		})
		checkJSONRoundTrip(t, path, analyzePLT, nil)
		checkJSONRoundTrip(t, path, func(p string) (*checkReport, error) { return analyzeCheck(p, checkOptions) }, nil)
	})
}

// checkOptions are what compat check is given in FuzzJSONRoundTrip: a
// floor, and a policy whose allowed libraries make violations too.
var checkOptions = compat.Options{Floors: compat.Floors{"GLIBC": "2.17"}, Policy: "manylinux_2_17"}

// checkJSONRoundTrip analyses the file at path and checks that an error
// names it, or that the report is one JSON line that decodes into the
// report, with its strings as JSON carries them, once notCarried (if not
// nil) has cleared what the JSON leaves out by design.
func checkJSONRoundTrip[R any](t *testing.T, path string, analyze func(string) (*R, error), notCarried func(*R)) {
	t.Helper()
	r, err := analyze(path)
	if err != nil {
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%T: the error %q does not name the file %q", r, err, path)
		}
		return
	}
	var line bytes.Buffer
	if err := newJSONEncoder(&line).Encode(r); err != nil {
		t.Fatalf("%T: encoding: %v", r, err)
	}
	if bytes.IndexByte(line.Bytes(), '\n') != line.Len()-1 {
		t.Errorf("%T: the report is not one line:\n%s", r, line.Bytes())
	}
	got := new(R)
	if err := json.Unmarshal(line.Bytes(), got); err != nil {
		t.Fatalf("%T: decoding: %v\n%s", r, err, line.Bytes())
	}
	want := jsonStrings(r)
	if notCarried != nil {
		notCarried(want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%T decodes to\n%#v\nwant\n%#v\nfrom\n%s", r, *got, *want, line.Bytes())
	}
}

// jsonStrings returns a copy of v, through pointers, structs, slices and
// maps, whose strings are as encoding/json carries them (see jsonString).
// Unexported fields, which JSON leaves out, are copied as they are.
func jsonStrings[T any](v T) T {
	c := reflect.New(reflect.TypeFor[T]()).Elem()
	copyJSONStrings(c, reflect.ValueOf(v))
	return c.Interface().(T)
}

func copyJSONStrings(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		dst.SetString(jsonString(src.String()))
	case reflect.Pointer:
		if !src.IsNil() {
			dst.Set(reflect.New(src.Type().Elem()))
			copyJSONStrings(dst.Elem(), src.Elem())
		}
	case reflect.Struct:
		dst.Set(src)
		for i := range src.NumField() {
			if src.Type().Field(i).IsExported() {
				copyJSONStrings(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if !src.IsNil() {
			dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
			for i := range src.Len() {
				copyJSONStrings(dst.Index(i), src.Index(i))
			}
		}
	case reflect.Map:
		if !src.IsNil() {
			dst.Set(reflect.MakeMapWithSize(src.Type(), src.Len()))
			for k, v := range src.Seq2() {
				dk, dv := reflect.New(k.Type()).Elem(), reflect.New(v.Type()).Elem()
				copyJSONStrings(dk, k)
				copyJSONStrings(dv, v)
				dst.SetMapIndex(dk, dv)
			}
		}
	default:
		dst.Set(src)
	}
}

// jsonString is s as encoding/json carries it: each byte that is not part
// of valid UTF-8 becomes U+FFFD. (strings.ToValidUTF8 would make one
// U+FFFD of a run of them.)
func jsonString(s string) string {
	return string([]rune(s))
}

// compiledSeeds compiles, with the compiler cgo uses, a library with
// version definitions, TLS and PLT slots, and a bind-now program that
// needs it; none without a compiler.
func compiledSeeds(f *testing.F) [][]byte {
	cc, err := fixtures.HostCC()
	if err != nil {
		f.Logf("compiled seeds skipped: %v", err)
		return nil
	}
	dir := f.TempDir()
	for name, src := range map[string]string{"lib.c": seedLibC, "lib.map": seedLibMap, "prog.c": seedProgC} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	const small = "-Wl,-z,noseparate-code,-z,max-page-size=4096"
	var seeds [][]byte
	for _, b := range []struct {
		out  string
		args []string
	}{
		{"libfz.so", []string{"-shared", "-fPIC", "-O1", "-s", small, "-Wl,--version-script=lib.map,-soname,libfz.so.2", "lib.c"}},
		{"prog", []string{"-O1", "-s", small, "-Wl,-z,now", "prog.c", "./libfz.so"}},
	} {
		cmd := exec.Command(cc[0], append(cc[1:len(cc):len(cc)], append(b.args, "-o", b.out)...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			f.Logf("compiled seed %s skipped: %v\n%s", b.out, err, out)
			continue
		}
		seed, err := os.ReadFile(filepath.Join(dir, b.out))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, seed)
	}
	return seeds
}

const seedLibC = `#include <stdio.h>
int counter;
__thread int depth;
int fz_old(void) { return counter; }
int fz_new(void) { return puts("fz") + depth; }
__asm__(".symver fz_old,fz@FZ_1");
__asm__(".symver fz_new,fz@@FZ_2");
`

const seedLibMap = `FZ_1 { global: counter; local: *; };
FZ_2 { global: depth; } FZ_1;
`

const seedProgC = `#include <stdio.h>
int fz(void);
extern int counter;
int main(void) { counter = 2; return printf("%d\n", fz()) < 0; }
`
