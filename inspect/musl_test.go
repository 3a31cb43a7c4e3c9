package inspect

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// muslToolchain returns musl-gcc and the loader its programs name in
// PT_INTERP, or skips the test.
func muslToolchain(t *testing.T) (cc, loader string) {
	t.Helper()
	cc, err := exec.LookPath("musl-gcc")
	if err != nil {
		t.Skip("musl-gcc not installed (apt-get install musl-tools)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "probe.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "probe")
	if b, err := exec.Command(cc, "-o", out, src).CombinedOutput(); err != nil {
		t.Skipf("musl-gcc cannot link a program: %v\n%s", err, b)
	}
	lm, err := Resolve(out, Config{})
	if err != nil {
		t.Fatal(err)
	}
	loader = lm.Interpreter
	if !isMuslInterpreter(loader) {
		t.Fatalf("musl-gcc's program asks for %q, not a musl loader", loader)
	}
	if _, err := os.Stat(loader); err != nil {
		t.Skipf("musl's loader is missing: %v", err)
	}
	return cc, loader
}

// muslBuilder compiles small C files with musl-gcc.
type muslBuilder struct {
	t   *testing.T
	cc  string
	dir string // the test's root, symlinks resolved
}

func (b *muslBuilder) path(rel string) string { return filepath.Join(b.dir, rel) }

// build compiles src (C source) into out (relative to the root) with args.
func (b *muslBuilder) build(out, src string, args ...string) string {
	b.t.Helper()
	out = b.path(out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		b.t.Fatal(err)
	}
	c := out + ".c"
	if err := os.WriteFile(c, []byte(src), 0o644); err != nil {
		b.t.Fatal(err)
	}
	cmd := exec.Command(b.cc, append([]string{"-o", out, c}, args...)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.t.Fatalf("musl-gcc %s: %v\n%s", out, err, msg)
	}
	os.Remove(c)
	return out
}

// lib builds a shared library whose function fn calls the functions
// calls, with soname the base name of out unless noSoname.
func (b *muslBuilder) lib(out, fn string, calls []string, args ...string) string {
	var src strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&src, "int %s(void);\n", c)
	}
	fmt.Fprintf(&src, "int %s(void) { return 1", fn)
	for _, c := range calls {
		fmt.Fprintf(&src, " + %s()", c)
	}
	src.WriteString("; }\n")
	return b.build(out, src.String(), append([]string{"-shared", "-fPIC", "-Wl,-soname," + filepath.Base(out)}, args...)...)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

var muslListAddress = regexp.MustCompile(` \(0x[0-9a-f]+\)$`)

// runMuslList runs musl's loader as ldd on path with only env in its
// environment: its stdout lines without load addresses, and the
// "Error loading shared library" lines of its stderr.
func runMuslList(t *testing.T, loader, path string, env map[string]string) (listed, errs []string) {
	t.Helper()
	cmd := exec.Command(loader, "--list", path)
	cmd.Env = []string{}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%s --list %s: %v", loader, path, err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line = strings.TrimSpace(muslListAddress.ReplaceAllString(line, "")); line != "" {
			listed = append(listed, line)
		}
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(line, "Error loading shared library ") {
			errs = append(errs, line)
		}
	}
	return listed, errs
}

// compareMuslList checks Resolve against musl's loader on one program.
func compareMuslList(t *testing.T, loader, prog string, env map[string]string) *LinkMap {
	t.Helper()
	lm, err := Resolve(prog, Config{Env: env})
	if err != nil {
		t.Fatalf("Resolve %s: %v", prog, err)
	}
	wantList, wantErrs := runMuslList(t, loader, prog, env)
	var gotList, gotErrs []string
	for _, l := range lm.LddLines() {
		if l.Stderr {
			gotErrs = append(gotErrs, l.Text)
		} else {
			gotList = append(gotList, strings.TrimSpace(l.Text))
		}
	}
	if os.Getenv("MUSL_DEBUG") != "" { // show what musl's loader listed
		t.Logf("%v:\n    %s", env, strings.Join(append(wantList, wantErrs...), "\n    "))
	}
	if strings.Join(gotList, "\n") != strings.Join(wantList, "\n") || strings.Join(gotErrs, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("%s with %v:\n  elfx:\n    %s\n  musl --list:\n    %s",
			filepath.Base(prog), env,
			strings.Join(append(gotList, gotErrs...), "\n    "),
			strings.Join(append(wantList, wantErrs...), "\n    "))
	}
	return lm
}

// muslRules maps each library name of the link map to "rule path".
func muslRules(lm *LinkMap) map[string]string {
	m := map[string]string{}
	for _, o := range lm.Objects[1:] {
		m[o.Name] = string(o.Rule) + " " + o.Path
	}
	return m
}

// TestMuslMatchesList builds a program and libraries with musl-gcc and
// compares Resolve with musl's own loader run with --list: same
// libraries, same paths, same order, same failures.
func TestMuslMatchesList(t *testing.T) {
	cc, loader := muslToolchain(t)
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &muslBuilder{t: t, cc: cc, dir: root}

	// Found through the program's DT_RPATH, LD_LIBRARY_PATH, liba's
	// DT_RUNPATH, and DT_RUNPATH and DT_RPATH inherited up the chain
	// (libr has no path of its own; libx is libr's dependency): glibc
	// would not search liba's DT_RUNPATH for libr's dependencies.
	b.lib("rpath/libdeep.so", "deep", nil)
	b.lib("runpath/libx.so", "x", []string{"deep"}, "-L"+b.path("rpath"), "-ldeep")
	b.lib("runpath/libr.so", "r", []string{"x"}, "-L"+b.path("runpath"), "-lx", "-Wl,-rpath-link,"+b.path("rpath"))
	b.lib("rpath/liba.so", "a", []string{"r"}, "-L"+b.path("runpath"), "-lr",
		"-Wl,-rpath-link,"+b.path("rpath"), "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../runpath")
	b.lib("env/libenv.so", "env", nil)
	// A second liba that LD_LIBRARY_PATH puts first, without DT_RUNPATH.
	b.lib("env2/liba.so", "a", []string{"r"}, "-L"+b.path("runpath"), "-lr", "-Wl,-rpath-link,"+b.path("rpath"))
	// Link-time stand-ins: libmissing.so is not there at run time, and
	// libpthread.so.0 and libm.so.6 are names musl's loader answers
	// itself; libmx.so only looks like one.
	b.lib("stub/libmissing.so", "missing", nil)
	b.lib("stub/libpthread.so.0", "pthread_stub", nil)
	b.lib("stub/libm.so.6", "m_stub", nil)
	b.lib("rpath/libmx.so", "mx", nil)
	// Stand-ins for copies of musl's libc and glibc's libc.so.6 at run
	// time: files that define __libc_start_main and stdin are the loader.
	b.lib("stub/libcopy.so", "copy_stub", nil)
	b.lib("stub/libglibc.so", "glibc_stub", nil)
	// A library without a soname linked by its path: DT_NEEDED is the
	// path, loaded as it is, and its dependency is matched by short name.
	abs := b.build("abs/libabs.so", "int a(void);\nint abs_(void) { return a(); }\n",
		"-shared", "-fPIC", "-L"+b.path("rpath"), "-la", "-Wl,-rpath-link,"+b.path("runpath")+":"+b.path("rpath"))
	prog := b.build("bin/prog", `int a(void); int env(void); int missing(void); int pthread_stub(void); int m_stub(void); int mx(void); int abs_(void);
int copy_stub(void); int glibc_stub(void);
int main(void) { return a() + copy_stub() + glibc_stub() + env() + missing() + pthread_stub() + m_stub() + mx() + abs_(); }
`,
		"-L"+b.path("rpath"), "-L"+b.path("env"), "-L"+b.path("stub"),
		"-la", "-lcopy", "-lglibc", "-lenv", "-lmissing", "-l:libpthread.so.0", "-l:libm.so.6", "-lmx", abs,
		"-Wl,-rpath-link,"+b.path("runpath")+":"+b.path("rpath"),
		"-Wl,--disable-new-dtags,-rpath,$ORIGIN/../rpath")
	// Copied after the link, which must take the stand-ins.
	real, err := filepath.EvalSymlinks(loader)
	if err != nil {
		t.Fatal(err)
	}
	copyFile(t, real, b.path("rpath/libcopy.so"))
	_, err = os.Stat("/lib/x86_64-linux-gnu/libc.so.6")
	haveGlibc := err == nil
	if haveGlibc {
		copyFile(t, "/lib/x86_64-linux-gnu/libc.so.6", b.path("rpath/libglibc.so"))
	}

	// A file that opens but is no library ends the search: a text file
	// named libenv.so, a directory named libmx.so.
	if err := os.MkdirAll(b.path("bad/libmx.so"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.path("bad/libenv.so"), []byte("not ELF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	envs := []map[string]string{
		nil,
		{"LD_LIBRARY_PATH": b.path("env")},
		{"LD_LIBRARY_PATH": ":" + b.path("env") + "/::/nonexistent"},
		{"LD_LIBRARY_PATH": b.path("env2") + ":" + b.path("env")},
		{"LD_LIBRARY_PATH": b.path("env"), "LD_PRELOAD": b.path("runpath/libx.so") + " libnotthere.so:libenv.so"},
		{"LD_PRELOAD": "libm.so.6 liba.so"},
		{"LD_LIBRARY_PATH": b.path("bad") + ":" + b.path("env")},
	}
	for _, env := range envs {
		compareMuslList(t, loader, prog, env)
	}

	// The rules each library was found by.
	lm, err := Resolve(prog, Config{Env: map[string]string{"LD_LIBRARY_PATH": b.path("env")}})
	if err != nil {
		t.Fatal(err)
	}
	rules := muslRules(lm)
	want := map[string]string{
		"liba.so":       "rpath " + b.path("bin") + "/../rpath/liba.so",
		"libr.so":       "runpath " + b.path("bin") + "/../rpath/../runpath/libr.so",
		"libx.so":       "runpath " + b.path("bin") + "/../rpath/../runpath/libx.so",
		"libdeep.so":    "rpath " + b.path("bin") + "/../rpath/libdeep.so",
		"libenv.so":     "ld_library_path " + b.path("env") + "/libenv.so",
		"libmissing.so": "not found ",
		"libmx.so":      "rpath " + b.path("bin") + "/../rpath/libmx.so",
		abs:             "direct " + abs,
		loader:          "direct " + loader,
	}
	for name, w := range want {
		if got := rules[name]; got != w {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
	}
	main := lm.Objects[0]
	for i, d := range main.Deps {
		name := main.Needed[i]
		_, self := muslReservedName(name)
		self = self || name == "libcopy.so" || name == "libglibc.so" && haveGlibc
		switch {
		case self != d.interp:
			t.Errorf("%s: got %s (%s)", name, d.Path, d.Rule)
		case name == "libmissing.so":
			var me *muslError
			if !errors.As(d.Err, &me) || len(d.Tried) < 3 || d.Tried[0].Rule != RuleLDLibraryPath ||
				d.Tried[1].Rule != RuleRPATH || d.Tried[len(d.Tried)-1].Rule != RuleDefault {
				t.Errorf("libmissing.so: %v, tried %v", d.Err, d.Tried)
			}
		}
	}
}

// TestMuslSystemPath checks where musl's loader takes its system path:
// the path file under the loader's prefix, split at newlines and colons,
// or the built-in "/lib:/usr/local/lib:/usr/lib" when there is none;
// musl's loader run as ldd, which reads the path file of the loader the
// program names, agrees.
func TestMuslSystemPath(t *testing.T) {
	cc, loader := muslToolchain(t)
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &muslBuilder{t: t, cc: cc, dir: root}
	arch, _ := muslArch(loader)
	b.lib("sys1/libsys.so", "sys", nil)
	b.lib("sys2/libsys2.so", "sys2", nil, "-L"+b.path("sys1"), "-lsys")
	for _, prefix := range []string{"withfile", "nofile"} {
		interp := b.path(prefix + "/lib/ld-musl-" + arch + ".so.1")
		if err := os.MkdirAll(filepath.Dir(interp), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(loader, interp); err != nil {
			t.Fatal(err)
		}
	}
	etc := b.path("withfile/etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	pathFile := filepath.Join(etc, "ld-musl-"+arch+".path")
	if err := os.WriteFile(pathFile, []byte(b.path("sys2")+"\n\n"+b.path("sys1")+":/nonexistent\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := muslPathFile(b.path("withfile/lib/ld-musl-"+arch+".so.1"), arch); got != pathFile {
		t.Errorf("muslPathFile = %s, want %s", got, pathFile)
	}
	src := "int sys2(void);\nint main(void) { return sys2(); }\n"
	for _, prefix := range []string{"withfile", "nofile"} {
		prog := b.build(prefix+"/prog", src, "-L"+b.path("sys2"), "-lsys2", "-Wl,-rpath-link,"+b.path("sys1"),
			"-Wl,--dynamic-linker="+b.path(prefix+"/lib/ld-musl-"+arch+".so.1"))
		lm := compareMuslList(t, loader, prog, nil)
		rules := muslRules(lm)
		switch prefix {
		case "withfile":
			if got, want := rules["libsys2.so"], "default "+b.path("sys2/libsys2.so"); got != want {
				t.Errorf("libsys2.so: %q, want %q", got, want)
			}
			if got, want := rules["libsys.so"], "default "+b.path("sys1/libsys.so"); got != want {
				t.Errorf("libsys.so: %q, want %q", got, want)
			}
		case "nofile":
			var tried []string
			for _, c := range lm.Objects[0].Deps[0].Tried {
				tried = append(tried, c.Path)
			}
			want := "/lib/libsys2.so /usr/local/lib/libsys2.so /usr/lib/libsys2.so"
			if strings.Join(tried, " ") != want {
				t.Errorf("without a path file, tried %v, want %s", tried, want)
			}
		}
	}
}

func TestMuslNames(t *testing.T) {
	for _, c := range []struct {
		name     string
		reserved bool
	}{
		{"libc.so", true}, {"libc.so.6", true}, {"libc.musl-x86_64.so.1", true},
		{"libm.so.6", true}, {"libpthread.so.0", true}, {"librt.so.1", true},
		{"libdl.so.2", true}, {"libutil.so.1", true}, {"libxnet.so", true},
		{"libcrypt.so.1", false}, {"libmx.so", false}, {"libc", false}, {"/lib/libc.so", false},
	} {
		if _, ok := muslReservedName(c.name); ok != c.reserved {
			t.Errorf("muslReservedName(%q) = %v", c.name, ok)
		}
	}
	for interp, want := range map[string]string{
		"/lib/ld-musl-x86_64.so.1":    "x86_64",
		"/lib/ld-musl-armhf.so.1":     "armhf",
		"ld-musl-aarch64_be.so.1":     "aarch64_be",
		"/lib/ld-musl-.so.1":          "",
		"/lib64/ld-linux-x86-64.so.2": "",
	} {
		if got, _ := muslArch(interp); got != want {
			t.Errorf("muslArch(%q) = %q, want %q", interp, got, want)
		}
	}
	for _, c := range []struct{ interp, file string }{
		{"/lib/ld-musl-x86_64.so.1", "/etc/ld-musl-x86_64.path"},
		{"/usr/local/musl/lib/ld-musl-x86_64.so.1", "/usr/local/musl/etc/ld-musl-x86_64.path"},
		{"/ld-musl-x86_64.so.1", "/etc/ld-musl-x86_64.path"},
		{"lib/ld-musl-x86_64.so.1", "/etc/ld-musl-x86_64.path"},
	} {
		if got := muslPathFile(c.interp, "x86_64"); got != c.file {
			t.Errorf("muslPathFile(%q) = %q, want %q", c.interp, got, c.file)
		}
	}
	m := &muslResolver{rv: NewResolver(Config{})}
	for _, c := range []struct{ rpath, name, want string }{
		{"$ORIGIN/../lib", "/a/b/libx.so", "/a/b/../lib"},
		{"${ORIGIN}:$ORIGIN/x", "/a/libx.so", "/a:/a/x"},
		{"$ORIGINX", "/a/libx.so", "/aX"},
		{"/lib:$LIB", "/a/libx.so", ""},
		{"$ORIGIN", "libx.so", "."},
		{"$ORIGIN/l", "/libx.so", "/l"},
	} {
		got, ok := m.fixupRpath(c.rpath, c.name, false)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("fixupRpath(%q, %q) = %q, %v; want %q", c.rpath, c.name, got, ok, c.want)
		}
	}
}
