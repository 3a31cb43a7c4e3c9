package dl

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/elfx/elfx/internal/testelf"
)

// formatBinding prints b as glibc 2.36's _dl_lookup_symbol_x does with
// LD_DEBUG=bindings: _dl_debug_printf's "%10d:\t" tag, then the line,
// then the version (if any) and the newline with _dl_debug_printf_c.
func formatBinding(b Binding) string {
	kind := "normal"
	if b.Protected {
		kind = "protected"
	}
	s := fmt.Sprintf("%10d:\tbinding file %s [%d] to %s [%d]: %s symbol `%s'",
		b.PID, b.From, b.FromNS, b.To, b.ToNS, kind, b.Symbol)
	if b.Version != "" {
		s += " [" + b.Version + "]"
	}
	return s + "\n"
}

// formatUndefined prints u as trace mode's print_unresolved does.
func formatUndefined(u Undefined) string {
	s := "undefined symbol: " + u.Symbol
	if u.Version != "" {
		s += ", version " + u.Version
	}
	return s + "\t(" + u.Object + ")\n"
}

// formatLookup prints l as do_lookup_x does with LD_DEBUG=symbols.
func formatLookup(l SymbolLookup) string {
	return fmt.Sprintf("%10d:\tsymbol=%s;  lookup in file=%s [%d]\n", l.PID, l.Symbol, l.File, l.NS)
}

const libc = "/lib/x86_64-linux-gnu/libc.so.6"

func TestParseDebug(t *testing.T) {
	longSym := "_ZN" + strings.Repeat("4elfx", 200_000) + "Ev" // a 1 MB C++ name
	tests := []struct {
		name string
		in   string
		want DebugLog
	}{{
		name: "versioned",
		in:   "     28760:\tbinding file " + libc + " [0] to /lib64/ld-linux-x86-64.so.2 [0]: normal symbol `_dl_argv' [GLIBC_PRIVATE]\n",
		want: DebugLog{Bindings: []Binding{{PID: 28760, From: libc, To: "/lib64/ld-linux-x86-64.so.2", Symbol: "_dl_argv", Version: "GLIBC_PRIVATE"}}},
	}, {
		name: "unversioned",
		in:   "     30158:\tbinding file ./prog [0] to /tmp/exp/libbad.so [0]: normal symbol `bad_call'\n",
		want: DebugLog{Bindings: []Binding{{PID: 30158, From: "./prog", To: "/tmp/exp/libbad.so", Symbol: "bad_call"}}},
	}, {
		name: "protected",
		in:   "     30524:\tbinding file ./liblp.so [0] to ./liblp.so [0]: protected symbol `prot_fn'\n",
		want: DebugLog{Bindings: []Binding{{PID: 30524, From: "./liblp.so", To: "./liblp.so", Protected: true, Symbol: "prot_fn"}}},
	}, {
		name: "dlmopen namespaces",
		in: "     32377:\tbinding file " + libc + " [1] to /lib64/ld-linux-x86-64.so.2 [0]: normal symbol `_dl_argv' [GLIBC_PRIVATE]\n" +
			"     32395:\tbinding file /tmp/exp/libt.so [12] to " + libc + " [1]: normal symbol `malloc' [GLIBC_2.2.5]\n",
		want: DebugLog{Bindings: []Binding{
			{PID: 32377, From: libc, FromNS: 1, To: "/lib64/ld-linux-x86-64.so.2", Symbol: "_dl_argv", Version: "GLIBC_PRIVATE"},
			{PID: 32395, From: "/tmp/exp/libt.so", FromNS: 12, To: libc, ToNS: 1, Symbol: "malloc", Version: "GLIBC_2.2.5"},
		}},
	}, {
		name: "main program",
		in: "        42:\tbinding file <main program> [0] to " + libc + " [0]: normal symbol `free' [GLIBC_2.2.5]\n" +
			"     31801:\tbinding file  [0] to " + libc + " [0]: normal symbol `__libc_start_main' [GLIBC_2.34]\n",
		want: DebugLog{Bindings: []Binding{
			{PID: 42, From: "<main program>", To: libc, Symbol: "free", Version: "GLIBC_2.2.5"},
			{PID: 31801, From: "", To: libc, Symbol: "__libc_start_main", Version: "GLIBC_2.34"},
		}},
	}, {
		name: "spaces and brackets",
		in:   "        7:\tbinding file /opt/my app [v2]/bin/x [0] to /opt/my app [v2]/lib/liby.so [0]: normal symbol `y' [Y_1]\n",
		want: DebugLog{Bindings: []Binding{{PID: 7, From: "/opt/my app [v2]/bin/x", To: "/opt/my app [v2]/lib/liby.so", Symbol: "y", Version: "Y_1"}}},
	}, {
		// The directory "sp ace [0] to x" makes the line split two ways;
		// the listing names the library.
		name: "separator in a path, settled by the listing",
		in: "     30498:\tbinding file /tmp/exp/sp ace [0] to x/libt.so [0] to " + libc + " [0]: normal symbol `malloc' [GLIBC_2.2.5]\n" +
			"\tlibt.so => /tmp/exp/sp ace [0] to x/libt.so (0x00007f07182ce000)\n",
		want: DebugLog{Bindings: []Binding{{PID: 30498, From: "/tmp/exp/sp ace [0] to x/libt.so", To: libc, Symbol: "malloc", Version: "GLIBC_2.2.5"}}},
	}, {
		name: "separator in a path, settled by another binding",
		in: "     30498:\tbinding file ./pp [0] to /tmp/exp/sp ace [0] to x/libt.so [0]: normal symbol `lib_prot'\n" +
			"     30498:\tbinding file /tmp/exp/sp ace [0] to x/libt.so [0] to /tmp/exp/sp ace [0] to x/libt.so [0]: normal symbol `fp'\n" +
			"     30498:\tbinding file ./pp [0] to " + libc + " [0]: normal symbol `free' [GLIBC_2.2.5]\n" +
			"     30498:\tsymbol=fp;  lookup in file=/tmp/exp/sp ace [0] to x/libt.so [0]\n",
		want: DebugLog{
			Bindings: []Binding{
				{PID: 30498, From: "./pp", To: "/tmp/exp/sp ace [0] to x/libt.so", Symbol: "lib_prot"},
				{PID: 30498, From: "/tmp/exp/sp ace [0] to x/libt.so", To: "/tmp/exp/sp ace [0] to x/libt.so", Symbol: "fp"},
				{PID: 30498, From: "./pp", To: libc, Symbol: "free", Version: "GLIBC_2.2.5"},
			},
			Lookups: []SymbolLookup{{PID: 30498, Symbol: "fp", File: "/tmp/exp/sp ace [0] to x/libt.so"}},
		},
	}, {
		name: "separator in a path, unsettled",
		in:   "1:\tbinding file /a [0] to b [0] to /c [0]: normal symbol `s'\n",
		want: DebugLog{Bindings: []Binding{{PID: 1, From: "/a", To: "b [0] to /c", Symbol: "s"}}},
	}, {
		name: "quotes in symbols",
		in: "        9:\tbinding file ./p [0] to ./libgo.so [0]: normal symbol `type:struct { F int \"json:'f' [x]\" }' [go.1]\n" +
			"        9:\tbinding file ./p [0] to ./libgo.so [0]: normal symbol `a' [b'\n" +
			"        9:\tbinding file ./p [0] to ./libgo.so [0]: normal symbol `'\n",
		want: DebugLog{Bindings: []Binding{
			{PID: 9, From: "./p", To: "./libgo.so", Symbol: "type:struct { F int \"json:'f' [x]\" }", Version: "go.1"},
			{PID: 9, From: "./p", To: "./libgo.so", Symbol: "a' [b"},
			{PID: 9, From: "./p", To: "./libgo.so", Symbol: ""},
		}},
	}, {
		name: "untagged and CRLF",
		in:   "binding file ./p [0] to " + libc + " [0]: normal symbol `free' [GLIBC_2.2.5]\r\nbinding file ./p [0] to " + libc + " [0]: normal symbol `abort'\r\n",
		want: DebugLog{Bindings: []Binding{
			{From: "./p", To: libc, Symbol: "free", Version: "GLIBC_2.2.5"},
			{From: "./p", To: libc, Symbol: "abort"},
		}},
	}, {
		name: "very long line without a final newline",
		in:   "    1:\tbinding file ./p [0] to ./libcxx.so [0]: normal symbol `" + longSym + "' [CXX_1]",
		want: DebugLog{Bindings: []Binding{{PID: 1, From: "./p", To: "./libcxx.so", Symbol: longSym, Version: "CXX_1"}}},
	}, {
		name: "undefined",
		in: "undefined symbol: missing_fn\t(/tmp/exp/libbad.so)\n" +
			"undefined symbol: vfun, version V_1\t(./pv)\n" +
			"     30426:\t./pv: error: symbol lookup error: undefined symbol: vfun, version V_1 (continued)\n" +
			"./pv: /tmp/exp/libv.so: version `V_1' not found (required by ./pv)\n",
		want: DebugLog{Undefined: []Undefined{
			{Symbol: "missing_fn", Object: "/tmp/exp/libbad.so"},
			{Symbol: "vfun", Version: "V_1", Object: "./pv"},
		}},
	}, {
		name: "lookups",
		in: "     30469:\tsymbol=_dl_argv;  lookup in file=./pp [0]\n" +
			"     30469:\tsymbol=_dl_argv;  lookup in file=/lib64/ld-linux-x86-64.so.2 [0]\n" +
			"     32398:\tsymbol=_res;  lookup in file=/tmp/my [1] dir/libt.so [1]\n",
		want: DebugLog{Lookups: []SymbolLookup{
			{PID: 30469, Symbol: "_dl_argv", File: "./pp"},
			{PID: 30469, Symbol: "_dl_argv", File: "/lib64/ld-linux-x86-64.so.2"},
			{PID: 32398, Symbol: "_res", File: "/tmp/my [1] dir/libt.so", NS: 1},
		}},
	}, {
		name: "other lines",
		in: "\tlinux-vdso.so.1 (0x00007f2c979cc000)\n" +
			"\tlibnothere.so => not found\n" +
			"\tstatically linked\n" +
			"     28760:\tfile=libc.so.6 [0];  generating link map\n" +
			"     28760:\tmarking /tmp/x.so [0] as NODELETE due to reference from main program\n" +
			"     28760:\tcalling fini: /tmp/exp/libt.so [1]\n" +
			"\n" +
			"hello, world\n",
		want: DebugLog{NotFound: []string{"libnothere.so"}},
	}, {
		name: "truncated and malformed",
		in: "     1:\tbinding file /a [0] to /b [0]: normal symbol `foo\n" +
			"     1:\tbinding file /a [0] to /b [0]: normal symbol `foo' [V\n" +
			"     1:\tbinding file /a [0] to /b [0]: normal sym\n" +
			"     1:\tbinding file /a [0] to\n" +
			"     1:\tbinding file /a [x] to /b [0]: normal symbol `foo'\n" +
			"     1:\tbinding file /a [007] to /b [0]: normal symbol `foo'\n" +
			"     1:\tbinding file /a [0] to /b [-1]: normal symbol `foo'\n" +
			"     1:\tbinding file /a [0] to /b [99999999999999999999999]: normal symbol `foo'\n" +
			"     1:\tbinding file /a [0] to /b [0]: weird symbol `foo'\n" +
			"     1:\tsymbol=foo;  lookup in file=/a [0\n" +
			"     1:\tsymbol=foo;  lookup in file=/a\n" +
			"undefined symbol: foo\t(/a\n" +
			"undefined symbol: foo (/a)\n" +
			"     1:\tbinding file /a [0] to /b [0]: normal symbol `ok'", // the last line stands
		want: DebugLog{Bindings: []Binding{{PID: 1, From: "/a", To: "/b", Symbol: "ok"}}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDebug(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseDebug:\n got %+v\nwant %+v", shorten(*got), shorten(tt.want))
			}
		})
	}
}

// shorten keeps long symbols out of failure messages.
func shorten(l DebugLog) DebugLog {
	bs := make([]Binding, len(l.Bindings))
	for i, b := range l.Bindings {
		if len(b.Symbol) > 100 {
			b.Symbol = fmt.Sprintf("%s...(%d bytes)", b.Symbol[:50], len(b.Symbol))
		}
		bs[i] = b
	}
	l.Bindings = bs
	return l
}

func TestParseDebugLineLimit(t *testing.T) {
	ok := formatBinding(Binding{PID: 1, From: "/a", To: "/b", Symbol: "ok"})
	huge := formatBinding(Binding{PID: 1, From: "/a", To: "/b", Symbol: strings.Repeat("x", maxLine)})
	got, err := ParseDebug(strings.NewReader(ok + huge + ok))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Bindings) != 2 || got.Bindings[0].Symbol != "ok" || got.Bindings[1].Symbol != "ok" {
		t.Errorf("a line over %d bytes was not skipped alone: got %d bindings", maxLine, len(got.Bindings))
	}
}

func TestParseDebugReaderError(t *testing.T) {
	errBroken := errors.New("broken pipe")
	r := iotest.TimeoutReader(strings.NewReader(strings.Repeat("x", 100<<10)))
	if _, err := ParseDebug(r); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("ParseDebug(failing reader) error = %v, want %v", err, iotest.ErrTimeout)
	}
	if _, err := ParseDebug(iotest.ErrReader(errBroken)); !errors.Is(err, errBroken) {
		t.Errorf("ParseDebug(failing reader) error = %v, want %v", err, errBroken)
	}
}

func FuzzParseDebug(f *testing.F) {
	f.Add([]byte("     28760:\tbinding file "+libc+" [0] to /lib64/ld-linux-x86-64.so.2 [0]: normal symbol `_dl_argv' [GLIBC_PRIVATE]\n"+
		"\tlibt.so => /tmp/sp ace [0] to x/libt.so (0x00007f07182ce000)\n"+
		"     1:\tbinding file /tmp/sp ace [0] to x/libt.so [0] to "+libc+" [0]: normal symbol `malloc' [GLIBC_2.2.5]\n"+
		"undefined symbol: vfun, version V_1\t(./pv)\n"+
		"     30469:\tsymbol=_dl_argv;  lookup in file=./pp [0]\n"),
		28760, libc, uint8(0), "/lib64/ld-linux-x86-64.so.2", uint8(0), false, "_dl_argv", "GLIBC_PRIVATE")
	f.Add([]byte("binding file  [0] to /b [1]: protected symbol `x'\r\n"), 1, "/a [0] to b", uint8(3), "c [1]: normal symbol `d", uint8(1), true, "e' [f", "")
	f.Add([]byte("0"), 1, " [00] to", uint8(3), "0", uint8(1), true, "0", "0")
	f.Fuzz(func(t *testing.T, data []byte, pid int, from string, fromNS uint8, to string, toNS uint8, protected bool, sym, ver string) {
		var log *DebugLog
		var err error
		testelf.Bounded(t, len(data), func() { log, err = ParseDebug(bytes.NewReader(data)) })
		if err != nil {
			t.Fatal(err)
		}
		// Whatever was recognised prints back to a line that parses to
		// the same record.
		for _, b := range log.Bindings {
			line := formatBinding(b)
			again := parseOne(t, line).Bindings
			if len(again) != 1 || formatBinding(again[0]) != line {
				t.Fatalf("binding %+v prints as %q, which parses to %+v", b, line, again)
			}
		}
		for _, u := range log.Undefined {
			if again := parseOne(t, formatUndefined(u)).Undefined; len(again) != 1 || again[0] != u {
				t.Fatalf("undefined %+v prints as %q, which parses to %+v", u, formatUndefined(u), again)
			}
		}
		for _, name := range log.NotFound {
			line := "\t" + name + " => not found\n"
			if again := parseOne(t, line).NotFound; len(again) != 1 || again[0] != name {
				t.Fatalf("missing library %q prints as %q, which parses to %q", name, line, again)
			}
		}
		for _, l := range log.Lookups {
			if again := parseOne(t, formatLookup(l)).Lookups; len(again) != 1 || again[0] != l {
				t.Fatalf("lookup %+v prints as %q, which parses to %+v", l, formatLookup(l), again)
			}
		}

		// A binding printed as glibc prints it parses back to itself,
		// or, when its names make the line split several ways, to a
		// binding that prints the same.
		if pid < 0 || strings.Contains(from+to+sym+ver, "\n") || strings.Contains(ver, "' [") {
			return
		}
		b := Binding{PID: pid, From: from, FromNS: int(fromNS), To: to, ToNS: int(toNS), Protected: protected, Symbol: sym, Version: ver}
		line := formatBinding(b)
		got := parseOne(t, line).Bindings
		if len(got) != 1 {
			t.Fatalf("%q parses to %d bindings, want 1", line, len(got))
		}
		_, body, _ := cutTag(strings.TrimSuffix(line, "\n"))
		if len(bindingSplits(strings.TrimPrefix(body, "binding file "))) == 1 && got[0] != b {
			t.Fatalf("%q parses to\n%+v, want\n%+v", line, got[0], b)
		}
		if formatBinding(got[0]) != line {
			t.Fatalf("%q parses to %+v, which prints as %q", line, got[0], formatBinding(got[0]))
		}
	})
}

// parseOne parses one line.
func parseOne(t *testing.T, line string) *DebugLog {
	t.Helper()
	log, err := ParseDebug(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestParseDebugGarbage parses the loader's real output for /bin/true
// (LD_DEBUG=bindings,symbols) with garbage between its lines: binary
// bytes, NULs, invalid UTF-8, lines cut before their record is complete,
// stray carriage returns, a line over maxLine. The records are the ones
// of the clean output: garbage adds none and loses none.
func TestParseDebugGarbage(t *testing.T) {
	cmd := exec.Command("/bin/true")
	cmd.Env = []string{"LD_DEBUG=bindings,symbols"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Skipf("/bin/true: %v", err)
	}
	clean, err := ParseDebug(bytes.NewReader(stderr.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(clean.Bindings) == 0 || len(clean.Lookups) == 0 {
		t.Skipf("the loader here prints no bindings or lookups for /bin/true:\n%s", stderr.Bytes())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lines := strings.SplitAfter(stderr.String(), "\n")
	garbage := func(line string) string {
		switch rng.IntN(6) {
		case 0: // random bytes, no newline among them
			b := make([]byte, rng.IntN(200))
			for i := range b {
				if b[i] = byte(rng.IntN(256)); b[i] == '\n' {
					b[i] = 0
				}
			}
			return string(b) + "\n"
		case 1: // the line cut before its record is complete
			if i := strings.Index(line, ": "); i > 0 {
				return line[:rng.IntN(i)] + "\n"
			}
			return "\n"
		case 2:
			return "\x00\x00\x00\n"
		case 3:
			return "\xff\xfe binding file \xc3\x28 [0] to\n"
		case 4:
			return "\r\n"
		default:
			return strings.Repeat("x", rng.IntN(64<<10)) + "\n"
		}
	}
	var dirty strings.Builder
	for _, line := range lines {
		dirty.WriteString(garbage(line))
		dirty.WriteString(line)
	}
	dirty.WriteString(strings.Repeat("y", maxLine+1) + "\n")
	got, err := ParseDebug(strings.NewReader(dirty.String()))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bindings and %d lookups, among %d garbage lines", len(clean.Bindings), len(clean.Lookups), len(lines)+1)
	if !reflect.DeepEqual(got, clean) {
		t.Errorf("with garbage: %d bindings, %d lookups, %d undefined, %d not found; clean: %d, %d, %d, %d",
			len(got.Bindings), len(got.Lookups), len(got.Undefined), len(got.NotFound),
			len(clean.Bindings), len(clean.Lookups), len(clean.Undefined), len(clean.NotFound))
	}
}
