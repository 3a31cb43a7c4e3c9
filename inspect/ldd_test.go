package inspect

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// x86Loader is the x86-64 glibc loader the tests compare with.
const x86Loader = "/lib64/ld-linux-x86-64.so.2"

// needX86Loader skips the test unless the x86-64 loader runs here.
func needX86Loader(t testing.TB) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("needs the x86-64 loader")
	}
	if _, err := os.Stat(x86Loader); err != nil {
		t.Skip(err)
	}
}

// lddAddress is the load address ldd prints after each object.
var lddAddress = regexp.MustCompile(` \(0x[0-9a-f]+\)$`)

// runLdd runs the real ldd on path with a clean loader environment and
// returns its lines without load addresses and without the vDSO, or ok
// false when ldd does not list the file (static, not loadable here).
func runLdd(path string, env map[string]string) ([]string, bool) {
	cmd := exec.Command("ldd", path)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	if err != nil || bytes.Contains(out, []byte("statically linked")) || bytes.Contains(out, []byte("not a dynamic executable")) {
		return nil, false
	}
	return loaderLines(out), true
}

// loaderLines are the lines the loader prints in ldd's mode, without load
// addresses, blank lines and the vDSO, which elfx leaves out.
func loaderLines(out []byte) []string {
	var lines []string
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(lddAddress.ReplaceAllString(line, ""))
		if line != "" && !strings.HasPrefix(line, "linux-vdso.so") {
			lines = append(lines, line)
		}
	}
	return lines
}

// lddStdout is LddLines's standard output, each line trimmed as
// loaderLines trims the loader's.
func lddStdout(lm *LinkMap) []string {
	var lines []string
	for _, l := range lm.LddLines() {
		if !l.Stderr {
			lines = append(lines, strings.TrimSpace(l.Text))
		}
	}
	return lines
}

// TestResolveMatchesLdd compares Resolve with the real ldd over every
// dynamic ELF file of the system: same libraries, same paths, same order.
func TestResolveMatchesLdd(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("ldd not installed")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the system walk assumes x86-64 library directories")
	}
	dirs := []string{"/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"}
	paths := testelf.Dynamic(t, dirs...)
	if testing.Short() {
		paths = paths[:min(len(paths), 60)]
	}
	type result struct {
		path string
		diff string
		skip bool
	}
	results := make([]result, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range next {
				results[i] = compareLdd(paths[i], Config{})
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	var compared, skipped, mismatched int
	for _, r := range results {
		switch {
		case r.skip:
			skipped++
		case r.diff != "":
			mismatched++
			if mismatched <= 20 {
				t.Errorf("%s:\n%s", r.path, r.diff)
			}
		default:
			compared++
		}
	}
	t.Logf("%d files agree with ldd, %d differ, %d not listed by ldd (static or not loadable)", compared, mismatched, skipped)
}

// TestResolveMatchesLddOnFixtures compares Resolve with ldd on the x86-64
// fixtures: programs that find their libraries through DT_RPATH or
// DT_RUNPATH with $ORIGIN, through LD_LIBRARY_PATH, through a preload, or
// miss them.
func TestResolveMatchesLddOnFixtures(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("ldd not installed")
	}
	set := fixtures.Build(t)
	lib := filepath.Join(set.Dir, "x86_64", "lib")
	envs := []map[string]string{
		nil,
		{"LD_LIBRARY_PATH": lib},
		{"LD_LIBRARY_PATH": "/nonexistent:" + lib + ":"},
		{"LD_LIBRARY_PATH": lib, "LD_PRELOAD": "libdata.so libvis.so"},
		{"LD_PRELOAD": filepath.Join(lib, "libifunc.so") + ":libnotthere.so"},
		// A preload whose soname (libvers.so) differs from its file name
		// answers the programs' DT_NEEDED libvers.so.
		{"LD_LIBRARY_PATH": lib, "LD_PRELOAD": filepath.Join(lib, "libvers-hash-sysv.so")},
	}
	var compared int
	for _, fx := range set.Fixtures {
		if fx.Machine != "x86_64" || fx.Has("static") {
			continue
		}
		for _, env := range envs {
			r := compareLdd(fx.Path, Config{Env: env})
			if r.diff != "" {
				t.Errorf("%s with %v:\n%s", fx.Name, env, r.diff)
			}
			if !r.skip {
				compared++
			}
		}
	}
	if compared == 0 {
		t.Fatal("ldd listed no fixture")
	}
	t.Logf("%d fixture runs agree with ldd", compared)
}

func compareLdd(path string, cfg Config) (r struct {
	path string
	diff string
	skip bool
}) {
	r.path = path
	want, ok := runLdd(path, cfg.Env)
	if !ok {
		r.skip = true
		return r
	}
	lm, err := Resolve(path, cfg)
	if err != nil {
		r.diff = fmt.Sprintf("Resolve: %v", err)
		return r
	}
	got := lddStdout(lm)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		var b bytes.Buffer
		fmt.Fprintf(&b, "  elfx:\n    %s\n  ldd:\n    %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
		r.diff = b.String()
	}
	return r
}

// TestSearchMatchesLDDebug compares every file the search tries with the
// "trying file=" lines of the real loader's LD_DEBUG=libs, for the
// fixtures under several LD_LIBRARY_PATH settings: the same directories,
// capability subdirectories and order, and the same directories skipped
// once known missing.
func TestSearchMatchesLDDebug(t *testing.T) {
	const rtld = x86Loader
	needX86Loader(t)
	set := fixtures.Build(t)
	lib := filepath.Join(set.Dir, "x86_64", "lib")
	envs := []map[string]string{
		nil,
		{"LD_LIBRARY_PATH": lib},
		{"LD_LIBRARY_PATH": "/nonexistent/a:" + lib + "::/tmp"},
	}
	var compared int
	for _, fx := range set.Fixtures {
		if fx.Machine != "x86_64" || fx.Kind != "exec" || fx.Has("static") || fx.Has("static-pie") {
			continue
		}
		for _, env := range envs {
			want, err := debugTried(rtld, fx.Path, env)
			if err != nil {
				t.Fatal(err)
			}
			lm, err := Resolve(fx.Path, Config{Env: env})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, o := range lm.Objects[1:] {
				for _, c := range o.Tried {
					got[o.Name] = append(got[o.Name], c.Path)
				}
			}
			for name, w := range want {
				if g := got[name]; strings.Join(g, "\n") != strings.Join(w, "\n") {
					t.Errorf("%s with %v, search for %s:\n  elfx tried %d files:\n    %s\n  loader tried %d:\n    %s",
						fx.Name, env, name, len(g), strings.Join(g, "\n    "), len(w), strings.Join(w, "\n    "))
				}
				compared++
			}
		}
	}
	if compared == 0 {
		t.Fatal("the loader searched for nothing")
	}
	t.Logf("%d searches agree with LD_DEBUG=libs", compared)
}

// debugTried runs the loader in ldd's mode with LD_DEBUG=libs and returns,
// for each library it searched for, the files it tried.
func debugTried(rtld, prog string, env map[string]string) (map[string][]string, error) {
	cmd := exec.Command(rtld, "--list", prog)
	cmd.Env = []string{"LD_DEBUG=libs", "LC_ALL=C"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, err
		}
	}
	tried := map[string][]string{}
	var current string
	for _, line := range strings.Split(stderr.String(), "\n") {
		_, msg, ok := strings.Cut(line, ":\t")
		if !ok {
			continue
		}
		msg = strings.TrimSpace(msg)
		if name, ok := strings.CutPrefix(msg, "find library="); ok {
			current, _, _ = strings.Cut(name, " [")
			tried[current] = []string{}
		} else if file, ok := strings.CutPrefix(msg, "trying file="); ok && current != "" {
			tried[current] = append(tried[current], file)
		}
	}
	return tried, nil
}
