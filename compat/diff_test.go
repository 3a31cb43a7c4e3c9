package compat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"
)

// truthCorpus is the truth-table corpus: one directory per case, described
// in its README.md.
const truthCorpus = "../fixtures/abi"

// TestDiffTruth establishes, for each case of the corpus, whether a
// program built against v1 of a library still works with v2, by running
// it, and compares Diff's verdict with that truth.
//
// In a temporary directory, v1 is built as old/SONAME1 (with -g, which a
// case's flags may undo with -g0), v2 as new/SONAME2, and the consumer
// against old/ with the rpath $ORIGIN. The consumer runs in run/ with
// v1's files beside it, and must work; then v1's files are taken away,
// v2's put there instead, and it runs again. It works with v2 when it
// exits 0 and prints the same standard output; anything else (the
// loader refusing it, a crash, other output) is a break. That is the
// truth; the test fails when it contradicts the case's expect line.
//
// For level: elf cases Diff(old, new) must say !Compatible exactly when
// the truth is a break; a consumer-only case is a consumer that happens
// to survive a change that breaks others, so there Diff must say
// !Compatible, the verdict for the library as a whole. Level: dwarf
// cases are changes the dynamic symbols do not show, which Diff judges
// from the debug information; they are checked the same way. When abidiff (libabigail) is installed, its
// verdict is recorded too: exit status bit 8 an incompatible change, bit
// 4 a change. The table of every case is logged at the end.
func TestDiffTruth(t *testing.T) {
	cc := hostCC(t)
	entries, err := os.ReadDir(truthCorpus)
	if err != nil {
		t.Fatal(err)
	}
	abidiff, _ := exec.LookPath("abidiff")

	var (
		mu   sync.Mutex
		rows []truthRow
	)
	t.Run("case", func(t *testing.T) {
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			name := e.Name()
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				row := runTruthCase(t, cc, filepath.Join(truthCorpus, name), abidiff)
				mu.Lock()
				rows = append(rows, row)
				mu.Unlock()
			})
		}
	})

	slices.SortFunc(rows, func(a, b truthRow) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tlevel\ttruth\telfx\tabidiff\thow it broke / note")
	agree, dwarf := 0, 0
	for _, r := range rows {
		level := r.c.level
		if r.c.consumerOnly {
			level += " (consumer-only)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, level, r.truth, r.elfx, r.abidiff, r.how)
		if r.elfxOK {
			agree++
		}
		if r.c.level == "dwarf" {
			dwarf++
		}
	}
	tw.Flush()
	t.Logf("truth table (%d cases, %d of them visible only in the debug information; elfx agrees on %d):\n%s",
		len(rows), dwarf, agree, b.String())
}

// truthCase is a case directory's case.txt.
type truthCase struct {
	soname1, soname2 string
	flags1, flags2   []string
	deps1, deps2     []string // "src.c=SONAME": extra libraries built beside v1, v2
	consumerFlags    []string
	level            string // "elf" or "dwarf"
	expect           string // "works" or "breaks"
	consumerOnly     bool
}

func readTruthCase(path string) (truthCase, error) {
	c := truthCase{soname1: "libabi.so.1", soname2: "libabi.so.1"}
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			return c, fmt.Errorf("%s:%d: want key: value", path, n)
		}
		val = strings.TrimSpace(val)
		switch key {
		case "soname1":
			c.soname1 = val
		case "soname2":
			c.soname2 = val
		case "flags1":
			c.flags1 = strings.Fields(val)
		case "flags2":
			c.flags2 = strings.Fields(val)
		case "deps1":
			c.deps1 = strings.Fields(val)
		case "deps2":
			c.deps2 = strings.Fields(val)
		case "consumer-flags":
			c.consumerFlags = strings.Fields(val)
		case "level":
			c.level = val
		case "expect":
			c.expect = val
		case "consumer-only":
			c.consumerOnly = val == "yes"
		default:
			return c, fmt.Errorf("%s:%d: unknown key %q", path, n, key)
		}
	}
	if c.level != "elf" && c.level != "dwarf" {
		return c, fmt.Errorf("%s: level is %q, want elf or dwarf", path, c.level)
	}
	if c.expect != "works" && c.expect != "breaks" {
		return c, fmt.Errorf("%s: expect is %q, want works or breaks", path, c.expect)
	}
	return c, nil
}

// truthRow is one line of the truth table.
type truthRow struct {
	name    string
	c       truthCase
	truth   string // works or breaks: what running the consumer showed
	how     string
	elfx    string // compatible or breaks
	elfxOK  bool   // elfx's verdict is the one the case demands (elf level)
	abidiff string
}

func runTruthCase(t *testing.T, cc []string, dir, abidiff string) truthRow {
	name := filepath.Base(dir)
	row := truthRow{name: name, abidiff: "-"}
	c, err := readTruthCase(filepath.Join(dir, "case.txt"))
	if err != nil {
		t.Fatal(err)
	}
	row.c = c
	src, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	oldDir, newDir, runDir := filepath.Join(tmp, "old"), filepath.Join(tmp, "new"), filepath.Join(tmp, "run")
	for _, d := range []string{oldDir, newDir, runDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	oldLib := buildTruthLib(t, cc, src, oldDir, "v1", c.soname1, c.deps1, c.flags1)
	newLib := buildTruthLib(t, cc, src, newDir, "v2", c.soname2, c.deps2, c.flags2)
	consumer := filepath.Join(runDir, "consumer")
	args := []string{"-g", "-o", consumer, filepath.Join(src, "consumer.c"),
		"-L", oldDir, "-l:" + c.soname1, "-Wl,-rpath,$ORIGIN", "-Wl,-rpath-link," + oldDir}
	truthCompile(t, cc, runDir, append(args, c.consumerFlags...)...)

	// With v1.
	installTruthLibs(t, oldDir, runDir)
	r1 := runTruthConsumer(t, consumer)
	if r1.failed() {
		t.Fatalf("the consumer does not work with v1: %s", r1)
	}
	// With v2 in v1's place.
	installTruthLibs(t, newDir, runDir)
	r2 := runTruthConsumer(t, consumer)
	row.truth = "works"
	switch {
	case r2.failed():
		row.truth, row.how = "breaks", r2.String()
	case r2.stdout != r1.stdout:
		row.truth, row.how = "breaks", fmt.Sprintf("prints %q, not %q", strings.TrimSpace(r2.stdout), strings.TrimSpace(r1.stdout))
	}
	if r2.stderr != r1.stderr {
		t.Logf("the loader or the program wrote to stderr with v2: %q", r2.stderr)
		if row.how == "" {
			row.how = "stderr: " + strings.TrimSpace(r2.stderr)
		}
	}
	t.Logf("truth: %s (v1: %s; v2: %s)", row.truth, r1, r2)
	if row.truth != c.expect {
		t.Errorf("truth: the consumer %s with v2, but case.txt expects that it %s", row.truth, c.expect)
	}
	if c.consumerOnly {
		row.how = strings.TrimSpace(row.how + " (this consumer; others break)")
	}

	// elfx.
	rep, err := Diff(oldLib, newLib, DiffOptions{})
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	row.elfx = "compatible"
	if !rep.Compatible {
		row.elfx = "breaks"
	}
	var changes strings.Builder
	for _, ch := range rep.Changes {
		fmt.Fprintf(&changes, "\n\t%s %s breaking=%v: %s", ch.Kind, ch.Symbol, ch.Breaking, ch.Detail)
	}
	t.Logf("elfx: %s; changes:%s", row.elfx, changes.String())
	want := row.truth
	if c.consumerOnly {
		want = "breaks" // the verdict for the library, which breaks other consumers
	}
	if (want == "breaks") == !rep.Compatible {
		row.elfxOK = true
	} else {
		t.Errorf("elfx disagrees: case %s (level %s, consumer-only %v), truth %s, want %s, Diff says compatible=%v; changes:%s",
			name, c.level, c.consumerOnly, row.truth, want, rep.Compatible, changes.String())
	}

	// Judged for this consumer alone, the verdict is its own truth.
	mine, err := Diff(oldLib, newLib, DiffOptions{Consumers: []string{consumer}})
	if err != nil {
		t.Fatalf("Diff --consumer: %v", err)
	}
	if (row.truth == "breaks") != !mine.Compatible {
		t.Errorf("elfx --consumer disagrees: case %s, truth for this consumer %s, Diff says compatible=%v", name, row.truth, mine.Compatible)
	}

	// abidiff, when installed.
	if abidiff != "" {
		out, err := exec.Command(abidiff, oldLib, newLib).CombinedOutput()
		status := 0
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			status = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("abidiff: %v", err)
		}
		switch {
		case status&3 != 0:
			row.abidiff = fmt.Sprintf("error (%d)", status)
		case status&8 != 0:
			row.abidiff = "incompatible"
		case status&4 != 0:
			row.abidiff = "change"
		default:
			row.abidiff = "same"
		}
		t.Logf("abidiff: exit %d (%s)\n%s", status, row.abidiff, out)
	}
	return row
}

// buildTruthLib builds the case's deps and then vN.c (with vN.map as its
// version script when present) into dir as soname, and returns its path.
func buildTruthLib(t testing.TB, cc []string, src, dir, v, soname string, deps, flags []string) string {
	t.Helper()
	for _, d := range deps {
		file, depSoname, ok := strings.Cut(d, "=")
		if !ok {
			t.Fatalf("dependency %q: want file.c=SONAME", d)
		}
		truthCompile(t, cc, dir, "-shared", "-fPIC", "-g", "-o", filepath.Join(dir, depSoname),
			"-Wl,-soname,"+depSoname, filepath.Join(src, file))
	}
	out := filepath.Join(dir, soname)
	args := []string{"-shared", "-fPIC", "-g", "-o", out, "-Wl,-soname," + soname, filepath.Join(src, v+".c")}
	if m := filepath.Join(src, v+".map"); fileExists(m) {
		args = append(args, "-Wl,--version-script="+m)
	}
	truthCompile(t, cc, dir, append(args, flags...)...)
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// truthCompile runs the compiler with args in dir.
func truthCompile(t testing.TB, cc []string, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(cc[0], append(slices.Clip(cc[1:]), args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

// installTruthLibs replaces every library in runDir with the files of
// from: the upgrade, old files removed, new ones put in place.
func installTruthLibs(t *testing.T, from, runDir string) {
	t.Helper()
	old, err := os.ReadDir(runDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range old {
		if e.Name() != "consumer" {
			if err := os.Remove(filepath.Join(runDir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range files {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(runDir, e.Name()), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// truthRun is how one run of a consumer ended.
type truthRun struct {
	stdout, stderr string
	exit           int    // -1 when killed by a signal
	signal         string // the signal's name, if one ended it
}

func (r truthRun) failed() bool { return r.exit != 0 }

func (r truthRun) String() string {
	switch {
	case r.signal != "":
		return "killed by " + r.signal
	case r.exit != 0:
		return fmt.Sprintf("exit %d: %s", r.exit, strings.TrimSpace(r.stderr))
	}
	return fmt.Sprintf("exit 0, prints %q", strings.TrimSpace(r.stdout))
}

// runTruthConsumer runs the program with the loader's variables removed
// from the environment, so that only its rpath finds the library.
func runTruthConsumer(t *testing.T, prog string) truthRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog)
	cmd.Dir = filepath.Dir(prog)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// The temporary directory is left out of what the loader says.
	r := truthRun{stdout: stdout.String(), stderr: strings.ReplaceAll(stderr.String(), cmd.Dir+"/", "")}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.exit = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal().String()
		}
	case err != nil:
		t.Fatalf("%s: %v", prog, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: still running after 30s", prog)
	}
	return r
}

// TestDiffSeparateDebug strips the debug information of both versions
// into files named by .gnu_debuglink, as distributions ship them: the
// DWARF level must still see the parameter change.
func TestDiffSeparateDebug(t *testing.T) {
	cc := hostCC(t)
	for _, tool := range []string{"objcopy", "strip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(err)
		}
	}
	dir := t.TempDir()
	var libs []string
	for _, v := range []string{"v1", "v2"} {
		lib := filepath.Join(dir, v, "libabi.so.1")
		if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
			t.Fatal(err)
		}
		steps := [][]string{
			slices.Concat(cc, []string{"-shared", "-fPIC", "-g", "-Wl,-soname,libabi.so.1", "-o", lib, filepath.Join(truthCorpus, "param-int-to-long", v+".c")}),
			{"objcopy", "--only-keep-debug", lib, lib + ".debug"},
			{"strip", "--strip-debug", lib},
			{"objcopy", "--add-gnu-debuglink=" + lib + ".debug", lib},
		}
		for _, s := range steps {
			if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", s, err, out)
			}
		}
		libs = append(libs, lib)
	}
	r, err := Diff(libs[0], libs[1], DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Compatible || !slices.ContainsFunc(r.Changes, func(c Change) bool { return c.Kind == TypeLayoutChanged && c.Symbol == "abi_twice" }) {
		t.Errorf("with the debug information in .gnu_debuglink files, Diff = compatible %v, %+v; want abi_twice's parameter change", r.Compatible, r.Changes)
	}
}
