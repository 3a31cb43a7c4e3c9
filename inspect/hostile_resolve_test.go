package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elfx/elfx/fixtures"
)

// hostileDeadline is how long Resolve may take on any hostile layout.
const hostileDeadline = 2 * time.Second

// hostileKnownBugs are the hostile cases where elfx and the loader still
// disagree, by subtest name. Such a case logs the difference and skips
// instead of failing; delete its entry once the bug is fixed, so that the
// case guards the fix.
var hostileKnownBugs = map[string]string{}

// hostileLoader is the loader the hostile cases are compared with.
const hostileLoader = x86Loader

// loaderVerdict is what the loader in ldd's mode said of a program.
type loaderVerdict struct {
	lines  []string // the objects listed, as lddStdout renders them
	file   string   // the file of "error while loading shared libraries: FILE: MSG"
	msg    string
	signal string // the signal that killed the loader, if one did
}

func (v loaderVerdict) String() string {
	switch {
	case v.signal != "":
		return "killed by " + v.signal
	case v.file != "":
		return fmt.Sprintf("error while loading shared libraries: %s: %s", v.file, v.msg)
	}
	return strings.Join(v.lines, "\n    ")
}

// runLoaderList runs the loader on prog as ldd does, with
// LD_TRACE_LOADED_OBJECTS=1 (--list reports a missing library as an error
// rather than as "not found"), and only env besides.
func runLoaderList(t *testing.T, prog string, env map[string]string) loaderVerdict {
	t.Helper()
	cmd := exec.Command(hostileLoader, prog)
	cmd.Env = []string{"LC_ALL=C", "LD_TRACE_LOADED_OBJECTS=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	v := loaderVerdict{lines: loaderLines(stdout.Bytes())}
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			v.signal = ws.Signal().String()
		}
	} else if err != nil {
		t.Fatalf("running the loader: %v", err)
	}
	const marker = "error while loading shared libraries: "
	if _, rest, ok := strings.Cut(stderr.String(), marker); ok {
		rest, _, _ = strings.Cut(rest, "\n")
		v.file, v.msg, _ = strings.Cut(rest, ": ")
	}
	if err != nil && v.signal == "" && v.file == "" {
		t.Fatalf("the loader failed without saying why: %v\n%s", err, stderr.Bytes())
	}
	return v
}

// resolveQuickly runs Resolve, failing the test on a panic or an error,
// and returns the link map and how long it took. A Resolve that has not
// returned after a minute is reported as a hang.
func resolveQuickly(t *testing.T, prog string, cfg Config) (*LinkMap, time.Duration) {
	t.Helper()
	type result struct {
		lm    *LinkMap
		err   error
		panic string
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{panic: fmt.Sprintf("%v\n%s", p, debug.Stack())}
			}
		}()
		lm, err := Resolve(prog, cfg)
		done <- result{lm: lm, err: err}
	}()
	select {
	case r := <-done:
		elapsed := time.Since(start)
		switch {
		case r.panic != "":
			t.Fatalf("Resolve panicked: %s", r.panic)
		case r.err != nil:
			t.Fatalf("Resolve: %v", r.err)
		}
		return r.lm, elapsed
	case <-time.After(time.Minute):
		t.Fatalf("Resolve did not return within a minute: a hang")
	}
	return nil, 0
}

// knownBug skips the current case, with the difference found, when it is
// a known bug, and fails it otherwise.
func knownBug(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if bug, ok := hostileKnownBugs[strings.TrimPrefix(t.Name(), "TestHostileResolve/")]; ok {
		t.Skipf("KNOWN BUG (%s):\n%s", bug, msg)
	}
	t.Error(msg)
}

// checkQuick reports a Resolve slower than hostileDeadline.
func checkQuick(t *testing.T, elapsed time.Duration) {
	t.Helper()
	t.Logf("Resolve took %v", elapsed.Round(time.Millisecond))
	if elapsed > hostileDeadline {
		knownBug(t, "Resolve took %v, more than %v", elapsed.Round(time.Millisecond), hostileDeadline)
	}
}

// compareWithLoader checks elfx against the loader's verdict: the same
// list when the loader lists the program; the same file and reason when
// the loader stops with an error (elfx goes on, and reports the library
// as unusable with that reason); a report naming the file when the loader
// crashes on it.
func compareWithLoader(t *testing.T, lm *LinkMap, want loaderVerdict) {
	t.Helper()
	got := lddStdout(lm)
	t.Logf("loader: %s", want)
	switch {
	case want.signal != "":
		// The loader maps the file and dies reading it; elfx must name
		// the file as unusable.
		for _, o := range lm.Objects[1:] {
			if o.Err != nil && len(o.Tried) > 0 {
				t.Logf("elfx: %s: %v (the loader crashed: %s)", o.Name, o.Err, want.signal)
				return
			}
		}
		t.Errorf("the loader crashed (%s), and elfx found nothing wrong:\n    %s", want.signal, strings.Join(got, "\n    "))
	case want.file != "":
		for _, o := range lm.Objects[1:] {
			if o.Err == nil || len(o.Tried) == 0 || o.Tried[len(o.Tried)-1].Path != want.file {
				continue
			}
			t.Logf("elfx: %s stopped at %s: %v", o.Name, want.file, o.Err)
			// ld.so has no strerror table and prints EISDIR as "Error 21";
			// elfx names it.
			if !strings.HasSuffix(o.Err.Error(), strings.Replace(want.msg, "Error 21", "is a directory", 1)) {
				knownBug(t, "the loader stops at %s with %q; elfx says %q", want.file, want.msg, o.Err)
			}
			return
		}
		knownBug(t, "the loader stops at %s: %s; elfx did not stop there:\n    %s", want.file, want.msg, strings.Join(got, "\n    "))
	default:
		if strings.Join(got, "\n") != strings.Join(want.lines, "\n") {
			var reasons []string
			for _, o := range lm.Objects[1:] {
				if o.Err != nil {
					reasons = append(reasons, fmt.Sprintf("%s: %v", o.Name, o.Err))
				}
			}
			knownBug(t, "elfx:\n    %s\nloader:\n    %s\nelfx's reasons:\n    %s",
				strings.Join(got, "\n    "), strings.Join(want.lines, "\n    "), strings.Join(reasons, "\n    "))
		}
	}
}

// buildTinyLibs builds fixtures.Tiny, skipping t without a compiler.
func buildTinyLibs(t *testing.T) *tinyLibs {
	t.Helper()
	tl, err := fixtures.BuildTiny()
	var missing *fixtures.MissingToolError
	switch {
	case errors.As(err, &missing):
		t.Skip(err)
	case err != nil:
		t.Fatal(err)
	}
	return &tinyLibs{tl}
}

// tinyLibs is fixtures.Tiny whose writes fail the test.
type tinyLibs struct{ *fixtures.Tiny }

var tinyName = fixtures.TinyName

func (tl *tinyLibs) writeLib(t *testing.T, dir, soname, needed string) {
	t.Helper()
	if err := tl.WriteLib(dir, soname, needed); err != nil {
		t.Fatal(err)
	}
}

func (tl *tinyLibs) writeProg(t *testing.T, dir, needed string) string {
	t.Helper()
	p, err := tl.WriteProg(dir, needed)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fastTempDir is a temporary directory on tmpfs when /dev/shm is one:
// creating 10,000 files there takes a tenth of the time it takes on a disk.
func fastTempDir(t *testing.T) string {
	t.Helper()
	var st syscall.Statfs_t
	const tmpfsMagic = 0x01021994
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Type == tmpfsMagic {
		if dir, err := os.MkdirTemp("/dev/shm", "elfx-hostile-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// unprivilegedEnv marks the run of the test binary that unprivileged
// starts.
const unprivilegedEnv = "ELFX_HOSTILE_UNPRIVILEGED"

// unprivileged reports whether the current case can check permissions
// here, which it cannot as root: root reads a file of mode 000. As root it
// runs the case again in a copy of the test binary as uid and gid 65534
// (nobody), reports that run, and returns false; when that is impossible,
// it skips the case and says why.
func unprivileged(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return true
	}
	if os.Getenv(unprivilegedEnv) != "" {
		t.Fatal("the unprivileged run is still root")
	}
	skip := func(why string, args ...any) bool {
		t.Skipf("running as root, where a mode of 000 does not keep a file from being read, and "+why, args...)
		return false
	}
	self, err := os.Executable()
	if err != nil {
		return skip("the test binary is not found: %v", err)
	}
	// t.TempDir's parent is private to root.
	dir, err := os.MkdirTemp("", "elfx-unprivileged-")
	if err != nil {
		return skip("no temporary directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "inspect.test")
	b, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(bin, b, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return skip("copying the test binary failed: %v", err)
	}
	var pattern []string
	for _, part := range strings.Split(t.Name(), "/") {
		pattern = append(pattern, "^"+regexp.QuoteMeta(part)+"$")
	}
	cmd := exec.Command(bin, "-test.run", strings.Join(pattern, "/"), "-test.v")
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "LC_ALL=C", unprivilegedEnv + "=1"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var kept []string
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, "fixture skipped") {
			kept = append(kept, line)
		}
	}
	t.Logf("run again as uid 65534:\n%s", strings.Join(kept, "\n"))
	switch {
	case err != nil && !bytes.Contains(out, []byte("--- FAIL")):
		return skip("the run as uid 65534 could not start: %v", err)
	case err != nil:
		t.Errorf("the case failed when run as uid 65534")
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("the case, or a part of it, skipped when run as uid 65534: see above")
	}
	return false
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestHostileResolve gives Resolve layouts built to trap a resolver: cycles,
// a library needing itself, a chain 10,000 libraries deep, symbolic link
// loops, unreadable directories, and files named like a needed library
// earlier in the path that are not ELF, are cut short, are for another
// machine or are directories. Each must resolve within hostileDeadline,
// without a panic, and agree with the loader run in ldd's mode: the same
// list, or the same file and reason where the loader stops with an error.
func TestHostileResolve(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("compares with the x86-64 glibc loader")
	}
	if _, err := os.Stat(hostileLoader); err != nil {
		t.Skip(err)
	}
	set := fixtures.Build(t)
	prog := set.Require(t, "prog").Path
	fxlib := filepath.Join(set.Dir, "x86_64", "lib")
	plugin := filepath.Join(fxlib, "libplugin.so")
	tiny := buildTinyLibs(t)
	root := t.TempDir()

	// withFirst resolves the fixture program with dir before the fixture
	// libraries on LD_LIBRARY_PATH, and compares with the loader.
	withFirst := func(t *testing.T, dir string) *LinkMap {
		env := map[string]string{"LD_LIBRARY_PATH": dir + ":" + fxlib}
		lm, elapsed := resolveQuickly(t, prog, Config{Env: env})
		checkQuick(t, elapsed)
		compareWithLoader(t, lm, runLoaderList(t, prog, env))
		return lm
	}
	// decoy puts a file (or whatever make creates) named libplugin.so in
	// a new directory.
	decoy := func(t *testing.T, make func(path string)) string {
		dir := filepath.Join(root, strings.ReplaceAll(t.Name(), "/", "_"))
		mkdirs(t, dir)
		make(filepath.Join(dir, "libplugin.so"))
		return dir
	}
	writeFile := func(t *testing.T, path string, b []byte) {
		if err := os.WriteFile(path, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pluginBytes, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("cycle", func(t *testing.T) {
		dir := filepath.Join(root, "cycle")
		mkdirs(t, dir)
		tiny.writeLib(t, dir, tinyName(0), tinyName(1))
		tiny.writeLib(t, dir, tinyName(1), tinyName(0))
		p := tiny.writeProg(t, dir, tinyName(0))
		env := map[string]string{"LD_LIBRARY_PATH": dir}
		lm, elapsed := resolveQuickly(t, p, Config{Env: env})
		compareWithLoader(t, lm, runLoaderList(t, p, env))
		checkQuick(t, elapsed)
		var a, b *Object
		for _, o := range lm.Objects {
			switch o.Name {
			case tinyName(0):
				a = o
			case tinyName(1):
				b = o
			}
		}
		if a == nil || b == nil || len(a.Deps) != 1 || a.Deps[0] != b || len(b.Deps) != 1 || b.Deps[0] != a {
			t.Errorf("the cycle %s -> %s -> %s is not in the graph", tinyName(0), tinyName(1), tinyName(0))
		}
	})

	t.Run("needs_itself", func(t *testing.T) {
		dir := filepath.Join(root, "self")
		mkdirs(t, dir)
		tiny.writeLib(t, dir, tinyName(0), tinyName(0))
		p := tiny.writeProg(t, dir, tinyName(0))
		env := map[string]string{"LD_LIBRARY_PATH": dir}
		lm, elapsed := resolveQuickly(t, p, Config{Env: env})
		compareWithLoader(t, lm, runLoaderList(t, p, env))
		checkQuick(t, elapsed)
		for _, o := range lm.Objects {
			if o.Name == tinyName(0) && (len(o.Deps) != 1 || o.Deps[0] != o) {
				t.Errorf("%s does not need itself in the graph: %v", o.Name, o.Deps)
			}
		}
	})

	// The chain: libd00000.so needs libd00001.so ... libd09999.so needs
	// libd10000.so, which is missing. The loader itself takes about 25 s
	// for the whole chain (it too matches names and walks DT_RPATH up the
	// loader chain linearly), so it is asked only about the last 1,000
	// links; elfx resolves the whole chain against the deadline.
	const depth = 10000
	chainDir, chainWritten := fastTempDir(t), false
	chain := func(t *testing.T) string {
		if !chainWritten {
			chainWritten = true
			start := time.Now()
			for i := range depth {
				tiny.writeLib(t, chainDir, tinyName(i), tinyName(i+1))
			}
			t.Logf("wrote %d libraries in %v", depth, time.Since(start).Round(time.Millisecond))
		}
		return chainDir
	}

	t.Run("chain_1000_against_loader", func(t *testing.T) {
		p := tiny.writeProg(t, root, tinyName(depth-1000))
		env := map[string]string{"LD_LIBRARY_PATH": chain(t)}
		lm, elapsed := resolveQuickly(t, p, Config{Env: env})
		compareWithLoader(t, lm, runLoaderList(t, p, env))
		checkQuick(t, elapsed)
	})

	t.Run("chain_10000", func(t *testing.T) {
		p := tiny.writeProg(t, root, tinyName(0))
		lm, elapsed := resolveQuickly(t, p, Config{Env: map[string]string{"LD_LIBRARY_PATH": chain(t)}})
		byName := map[string]*Object{}
		for _, o := range lm.Objects {
			byName[o.Name] = o
		}
		for i := range depth {
			o := byName[tinyName(i)]
			if o == nil || !o.Found() || o.Depth != i+1 {
				t.Fatalf("%s: missing or at the wrong depth: %+v", tinyName(i), o)
			}
		}
		last := byName[tinyName(depth)]
		switch {
		case last == nil || last.Found():
			t.Errorf("%s should be the one library not found", tinyName(depth))
		case last.NeededBy != byName[tinyName(depth-1)] || last.Depth != depth+1:
			t.Errorf("%s: needed by %v at depth %d", tinyName(depth), last.NeededBy, last.Depth)
		}
		checkQuick(t, elapsed)
	})

	t.Run("symlink_loop_in_library_directory", func(t *testing.T) {
		// libplugin.so -> b.so -> libplugin.so: open fails with ELOOP in
		// an existing directory, which ends the LD_LIBRARY_PATH search;
		// libplugin.so is nowhere else, so it is not found.
		dir := decoy(t, func(path string) {
			symlink(t, "b.so", path)
			symlink(t, "libplugin.so", filepath.Join(filepath.Dir(path), "b.so"))
		})
		withFirst(t, dir)
	})

	t.Run("symlink_loop_hides_cached_library", func(t *testing.T) {
		// The same loop named libc.so.6: the loader abandons
		// LD_LIBRARY_PATH and still finds libc.so.6 through ld.so.cache.
		dir := filepath.Join(root, "loopc")
		mkdirs(t, dir)
		symlink(t, "b.so", filepath.Join(dir, "libc.so.6"))
		symlink(t, "libc.so.6", filepath.Join(dir, "b.so"))
		withFirst(t, dir)
	})

	t.Run("loop_in_directory_component", func(t *testing.T) {
		// dloop/sub -> dloop/sub2 -> dloop/sub: every path through the
		// directory fails with ELOOP, and so does the loader's stat of
		// it, so it counts as missing and the search goes on.
		base := filepath.Join(root, "dloop")
		mkdirs(t, base)
		symlink(t, "sub2", filepath.Join(base, "sub"))
		symlink(t, "sub", filepath.Join(base, "sub2"))
		withFirst(t, filepath.Join(base, "sub"))
	})

	t.Run("unreadable", func(t *testing.T) {
		if !unprivileged(t) {
			return
		}
		// A directory that cannot be searched, and a library that cannot
		// be read: open fails with EACCES, and the search goes on.
		t.Run("directory", func(t *testing.T) {
			dir := decoy(t, func(path string) { writeFile(t, path, pluginBytes) })
			if err := os.Chmod(dir, 0); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
			withFirst(t, dir)
		})
		t.Run("library", func(t *testing.T) {
			dir := decoy(t, func(path string) { writeFile(t, path, pluginBytes) })
			if err := os.Chmod(filepath.Join(dir, "libplugin.so"), 0); err != nil {
				t.Fatal(err)
			}
			withFirst(t, dir)
		})
	})

	t.Run("short_non-ELF", func(t *testing.T) {
		withFirst(t, decoy(t, func(path string) { writeFile(t, path, []byte("not an ELF file\n")) }))
	})

	t.Run("non-ELF", func(t *testing.T) {
		withFirst(t, decoy(t, func(path string) {
			writeFile(t, path, bytes.Repeat([]byte("INPUT(libplugin.so.1)\n"), 200))
		}))
	})

	t.Run("truncated_in_header", func(t *testing.T) {
		withFirst(t, decoy(t, func(path string) { writeFile(t, path, pluginBytes[:40]) }))
	})

	t.Run("truncated_after_headers", func(t *testing.T) {
		// The headers are whole, the segments are not: the loader maps
		// the file and dies of SIGBUS reading its dynamic section.
		withFirst(t, decoy(t, func(path string) { writeFile(t, path, pluginBytes[:2000]) }))
	})

	t.Run("wrong_machine", func(t *testing.T) {
		lm := withFirst(t, decoy(t, func(path string) {
			if fx, ok := set.Get("aarch64-libplugin"); ok {
				b, err := os.ReadFile(fx.Path)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, path, b)
				return
			}
			t.Logf("no aarch64 fixture; patching e_machine of the x86-64 libplugin.so")
			b := bytes.Clone(pluginBytes)
			binary.LittleEndian.PutUint16(b[18:], uint16(elf.EM_AARCH64))
			writeFile(t, path, b)
		}))
		passed := false
		for _, o := range lm.Objects {
			for _, c := range o.Tried {
				passed = passed || o.Name == "libplugin.so" && strings.HasPrefix(c.Reason, "wrong machine")
			}
		}
		if !passed {
			t.Errorf("libplugin.so: the aarch64 file was not passed over as the wrong machine")
		}
	})

	t.Run("wrong_class", func(t *testing.T) {
		fx := set.Require(t, "i386-libplugin")
		b, err := os.ReadFile(fx.Path)
		if err != nil {
			t.Fatal(err)
		}
		lm := withFirst(t, decoy(t, func(path string) { writeFile(t, path, b) }))
		passed := false
		for _, o := range lm.Objects {
			for _, c := range o.Tried {
				passed = passed || o.Name == "libplugin.so" && strings.HasPrefix(c.Reason, "wrong ELF class")
			}
		}
		if !passed {
			t.Errorf("libplugin.so: the i386 file was not passed over as the wrong class")
		}
	})

	t.Run("directory_named_like_library", func(t *testing.T) {
		withFirst(t, decoy(t, func(path string) { mkdirs(t, path) }))
	})
}
