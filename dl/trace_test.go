package dl

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/elfx"
)

// The C sources the tests build: libt.so allocates with libc's malloc,
// prog uses it and frees with libc's free.
const (
	libtSrc = `#include <stdlib.h>
void *lib_alloc(size_t n) { return malloc(n); }
`
	progSrc = `#include <stdlib.h>
void *lib_alloc(size_t n);
int main(void) { free(lib_alloc(4)); return 0; }
`
)

// cbuild compiles C sources into a test's temporary directory with the
// compiler go env CC names.
type cbuild struct {
	t   *testing.T
	cc  []string
	dir string
}

// newCBuild skips the test where there is no C compiler, or where the
// programs it builds do not run under glibc's loader.
func newCBuild(t *testing.T) *cbuild {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("glibc's loader runs on Linux")
	}
	cc := []string{"cc"}
	if out, err := exec.Command("go", "env", "CC").Output(); err == nil && len(strings.Fields(string(out))) > 0 {
		cc = strings.Fields(string(out))
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		t.Skipf("no C compiler: %v", err)
	}
	b := &cbuild{t: t, cc: cc, dir: t.TempDir()}
	skipUnlessGlibc(t, b.build("probe", "int main(void) { return 0; }\n"))
	return b
}

// skipUnlessGlibc skips the test unless the program at path runs under
// glibc's loader here.
func skipUnlessGlibc(t *testing.T, path string) {
	t.Helper()
	f, err := elfx.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	interp, err := f.Interpreter()
	if err != nil {
		t.Fatal(err)
	}
	if !isGlibcLoader(interp) {
		t.Skipf("%s has interpreter %q, not glibc's loader", path, interp)
	}
	if _, err := os.Stat(interp); err != nil {
		t.Skipf("no glibc loader: %v", err)
	}
}

// build compiles src into dir/out and returns its path; flags follow the
// source, so they may name libraries.
func (b *cbuild) build(out, src string, flags ...string) string {
	b.t.Helper()
	path, err := b.tryBuild(out, src, flags...)
	if err != nil {
		b.t.Fatal(err)
	}
	return path
}

func (b *cbuild) tryBuild(out, src string, flags ...string) (string, error) {
	name := filepath.Join(b.dir, out)
	b.write(out+".c", src, 0o644)
	args := append(slices.Clone(b.cc[1:]), "-o", name, name+".c")
	cmd := exec.Command(b.cc[0], append(args, flags...)...)
	cmd.Dir = b.dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(cmd.String() + ": " + err.Error() + "\n" + string(msg))
	}
	return name, nil
}

// write writes dir/name and returns its path.
func (b *cbuild) write(name, content string, perm os.FileMode) string {
	b.t.Helper()
	path := filepath.Join(b.dir, name)
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		b.t.Fatal(err)
	}
	return path
}

// libt builds libt.so and prog, which needs it.
func (b *cbuild) libt() (lib, prog string) {
	lib = b.build("libt.so", libtSrc, "-shared", "-fPIC")
	prog = b.build("prog", progSrc, "-L"+b.dir, "-lt")
	return lib, prog
}

// findBinding returns the first binding of sym from the object from.
func findBinding(t *testing.T, log *DebugLog, from, sym string) Binding {
	t.Helper()
	for _, b := range log.Bindings {
		if b.From == from && b.Symbol == sym {
			return b
		}
	}
	t.Fatalf("no binding of %s from %s among %d bindings", sym, from, len(log.Bindings))
	return Binding{}
}

// checkLibc checks that b went to libc.so.6 with a GLIBC_ version.
func checkLibc(t *testing.T, b Binding) {
	t.Helper()
	if filepath.Base(b.To) != "libc.so.6" || !strings.HasPrefix(b.Version, "GLIBC_") || b.Protected {
		t.Errorf("binding %+v, want one to libc.so.6, version GLIBC_*", b)
	}
}

func TestTraceBindingsTrue(t *testing.T) {
	const prog = "/usr/bin/true"
	if _, err := os.Stat(prog); runtime.GOOS != "linux" || err != nil {
		t.Skipf("no %s to trace", prog)
	}
	skipUnlessGlibc(t, prog)
	log, err := TraceBindings(context.Background(), prog, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLibc(t, findBinding(t, log, prog, "__libc_start_main"))
	for _, b := range log.Bindings {
		if b.PID <= 0 || b.FromNS != 0 || b.ToNS != 0 {
			t.Errorf("binding %+v: want a PID and namespace 0", b)
		}
	}
	if len(log.Undefined) != 0 {
		t.Errorf("undefined symbols in %s: %+v", prog, log.Undefined)
	}
}

func TestTraceBindingsProgram(t *testing.T) {
	b := newCBuild(t)
	lib, prog := b.libt()
	env := []string{"LD_LIBRARY_PATH=" + b.dir}
	log, err := TraceBindings(context.Background(), prog, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := findBinding(t, log, prog, "lib_alloc"); got.To != lib || got.Version != "" {
		t.Errorf("lib_alloc: got %+v, want a binding to %s with no version", got, lib)
	}
	checkLibc(t, findBinding(t, log, prog, "free"))
	checkLibc(t, findBinding(t, log, lib, "malloc"))
	if len(log.Lookups) != 0 || len(log.Undefined) != 0 {
		t.Errorf("got %d lookups and undefined %+v, want none", len(log.Lookups), log.Undefined)
	}

	// A relative name without a slash is run as ./name, and that is the
	// main program's name.
	t.Chdir(b.dir)
	log, err = TraceBindings(context.Background(), "prog", env)
	if err != nil {
		t.Fatal(err)
	}
	if got := findBinding(t, log, "./prog", "lib_alloc"); got.To != lib {
		t.Errorf("lib_alloc from ./prog: got %+v, want a binding to %s", got, lib)
	}

	// LD_DEBUG in env adds its categories.
	log, err = TraceBindings(context.Background(), prog, append(env, "LD_DEBUG=symbols"))
	if err != nil {
		t.Fatal(err)
	}
	findBinding(t, log, prog, "lib_alloc")
	var walk []string
	for _, l := range log.Lookups {
		if l.Symbol == "lib_alloc" {
			walk = append(walk, l.File)
		}
	}
	if want := []string{prog, lib}; !slices.Equal(walk, want) {
		t.Errorf("lookups of lib_alloc went through %q, want %q", walk, want)
	}
}

func TestTraceBindingsLibrary(t *testing.T) {
	b := newCBuild(t)
	lib, _ := b.libt()
	log, err := TraceBindings(context.Background(), lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLibc(t, findBinding(t, log, lib, "malloc"))

	t.Chdir(b.dir)
	log, err = TraceBindings(context.Background(), "libt.so", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkLibc(t, findBinding(t, log, "./libt.so", "malloc"))
}

func TestTraceBindingsProtected(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the protected function's address is taken with an x86-64 R_X86_64_64 relocation")
	}
	b := newCBuild(t)
	lib := b.build("libp.so", `__attribute__((visibility("protected"))) int prot_fn(void) { return 1; }
int (*fp)(void) = prot_fn;
`, "-shared", "-fPIC")
	log, err := TraceBindings(context.Background(), lib, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := findBinding(t, log, lib, "prot_fn")
	want.PID = 0
	if (want != Binding{From: lib, To: lib, Protected: true, Symbol: "prot_fn"}) {
		t.Errorf("prot_fn: got %+v, want a protected binding to %s itself", want, lib)
	}
}

func TestTraceBindingsUndefined(t *testing.T) {
	b := newCBuild(t)
	bad := b.build("libbad.so", "int missing_fn(void);\nint bad_call(void) { return missing_fn(); }\n", "-shared", "-fPIC")
	prog := b.build("progbad", "int bad_call(void);\nint main(void) { return bad_call(); }\n",
		"-L"+b.dir, "-lbad", "-Wl,--allow-shlib-undefined", "-Wl,-rpath,"+b.dir)

	// progv needs vfun@V_1, and then libv.so is rebuilt without it.
	b.write("v1.map", "V_1 { global: vfun; local: *; };\n", 0o644)
	b.write("v2.map", "V_2 { global: other; local: *; };\n", 0o644)
	b.build("libv.so", "int vfun(void) { return 1; }\n", "-shared", "-fPIC", "-Wl,--version-script=v1.map", "-Wl,-soname,libv.so")
	progv := b.build("progv", "int vfun(void);\nint main(void) { return vfun(); }\n", "-L"+b.dir, "-lv", "-Wl,-rpath,"+b.dir)
	b.build("libv.so", "int other(void) { return 1; }\n", "-shared", "-fPIC", "-Wl,--version-script=v2.map", "-Wl,-soname,libv.so")

	// prog finds libt.so only through LD_LIBRARY_PATH.
	_, progt := b.libt()

	for _, tt := range []struct {
		prog     string
		want     Undefined
		notFound []string
	}{
		{prog, Undefined{Symbol: "missing_fn", Object: bad}, nil},
		{progv, Undefined{Symbol: "vfun", Version: "V_1", Object: progv}, nil},
		{progt, Undefined{Symbol: "lib_alloc", Object: progt}, []string{"libt.so"}},
	} {
		log, err := TraceBindings(context.Background(), tt.prog, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(log.Undefined, []Undefined{tt.want}) || !slices.Equal(log.NotFound, tt.notFound) {
			t.Errorf("%s: undefined %+v, libraries not found %q; want %+v, %q", tt.prog, log.Undefined, log.NotFound, tt.want, tt.notFound)
		}
	}
}

func TestTraceBindingsRefuses(t *testing.T) {
	b := newCBuild(t)
	_, prog := b.libt()
	data, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	setuid := b.write("setuid", string(data), 0o755)
	if err := os.Chmod(setuid, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	text := b.write("text", "#!/bin/sh\necho ran\n", 0o755)
	tests := []struct{ path, want string }{
		{setuid, "set-user-ID"},
		{text, text},
		{filepath.Join(b.dir, "absent"), "no such file"},
		{b.build("musl", "int main(void) { return 0; }\n", "-Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1"), "not glibc's loader"},
		{b.build("nointerp", "int main(void) { return 0; }\n", "-Wl,--dynamic-linker="+b.dir+"/ld-linux-absent.so.2"), "not on this machine"},
	}
	if static, err := b.tryBuild("static", "int main(void) { return 0; }\n", "-static"); err == nil {
		tests = append(tests, struct{ path, want string }{static, "statically linked"})
	} else {
		t.Logf("no static program: %v", err)
	}
	for _, tt := range tests {
		_, err := TraceBindings(context.Background(), tt.path, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path) {
			t.Errorf("TraceBindings(%s) error = %v, want one naming the file and saying %q", tt.path, err, tt.want)
		}
	}
}

// TestTraceBindingsLoaderFailures runs programs whose interpreter, named
// like glibc's loader, hangs or crashes.
func TestTraceBindingsLoaderFailures(t *testing.T) {
	b := newCBuild(t)
	interp := func(name, body string) string {
		path, err := b.tryBuild(name, "void _start(void) { "+body+" }\n", "-nostdlib", "-static")
		if err != nil {
			t.Skipf("cannot build a fake interpreter: %v", err)
		}
		return b.build("prog-"+name, "int main(void) { return 0; }\n", "-Wl,--dynamic-linker="+path)
	}
	hang := interp("ld-linux-hang.so.2", "for (;;) { }")
	crash := interp("ld-linux-crash.so.2", "*(volatile int *)0 = 1;")

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := TraceBindings(ctx, hang, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), hang) {
		t.Errorf("TraceBindings(%s) error = %v, want the deadline, naming the file", hang, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("TraceBindings(%s) returned after %v, long after its deadline", hang, d)
	}

	_, err = TraceBindings(context.Background(), crash, nil)
	if err == nil || !strings.Contains(err.Error(), "signal") || !strings.Contains(err.Error(), crash) {
		t.Errorf("TraceBindings(%s) error = %v, want one naming the file and the signal", crash, err)
	}
}
