package inspect

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/elfx/elfx/fixtures"
)

// TestSearchRulesMatchLoader builds small layouts around the fixtures for
// rules the system walk does not exercise, and compares Resolve with the
// loader in ldd's mode for each: a glibc-hwcaps subdirectory of an
// LD_LIBRARY_PATH directory, with the CPU's subdirectories and with none
// (--glibc-hwcaps-mask), a program with DF_1_NODEFLIB, which must not
// take libc from the cache or the default directories, and a program
// linked with a DT_FILTER and a DT_AUXILIARY library, whose filtee goes
// before them in the link map.
func TestSearchRulesMatchLoader(t *testing.T) {
	const rtld = x86Loader
	needX86Loader(t)
	set := fixtures.Build(t)
	lib := filepath.Join(set.Dir, "x86_64", "lib")
	dir := t.TempDir()
	link := func(src, dst string) {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	// libvers.so in the directory and, as another file with the same
	// soname, in its x86-64-v2 subdirectory.
	link(filepath.Join(lib, "libvers.so"), filepath.Join(dir, "libvers.so"))
	link(filepath.Join(lib, "libvers-hash-sysv.so"), filepath.Join(dir, "glibc-hwcaps", "x86-64-v2", "libvers.so"))

	active := ActiveHWCaps(elf.EM_X86_64)
	cases := []ruleCase{
		{"hwcaps subdirectory", set.Require(t, "prog").Path,
			Config{Env: map[string]string{"LD_LIBRARY_PATH": dir + ":" + lib}}, nil},
		{"hwcaps masked", set.Require(t, "prog").Path,
			Config{Env: map[string]string{"LD_LIBRARY_PATH": dir + ":" + lib}, HWCaps: []string{}},
			[]string{"--glibc-hwcaps-mask", ""}},
	}
	if len(active) == 0 {
		t.Logf("this CPU activates no glibc-hwcaps subdirectory; the first case checks the plain directory")
	}
	if cc := ccPath(); cc != "" {
		src := filepath.Join(t.TempDir(), "nodeflib.c")
		bin := filepath.Join(filepath.Dir(src), "nodeflib")
		if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(cc, "-o", bin, src, "-Wl,-z,nodefaultlib").CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, out)
		}
		cases = append(cases,
			ruleCase{"NODEFLIB", bin, Config{}, nil},
			ruleCase{"NODEFLIB with LD_LIBRARY_PATH", bin, Config{Env: map[string]string{"LD_LIBRARY_PATH": "/lib/x86_64-linux-gnu"}}, nil},
		)
		filtered := filepath.Join(filepath.Dir(src), "filtered")
		if out, err := exec.Command(cc, "-o", filtered, src, "-L"+lib, "-Wl,--no-as-needed", "-lfilter", "-laux").CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cc, err, out)
		}
		cases = append(cases, ruleCase{"filter and auxiliary", filtered, Config{Env: map[string]string{"LD_LIBRARY_PATH": lib}}, nil})
	}
	for _, c := range cases {
		// ldd's mode: unlike --list, it goes on past a missing library.
		args := append(append([]string{}, c.rtldA...), c.prog)
		cmd := exec.Command(rtld, args...)
		cmd.Env = []string{"LC_ALL=C", "LD_TRACE_LOADED_OBJECTS=1"}
		for k, v := range c.cfg.Env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, _ := cmd.Output()
		want := loaderLines(out)
		c.cfg.NoPreloadFile = true
		lm, err := Resolve(c.prog, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := lddStdout(lm)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n  elfx:\n    %s\n  loader:\n    %s", c.name, strings.Join(got, "\n    "), strings.Join(want, "\n    "))
		}
	}
}

// ruleCase is one layout of TestSearchRulesMatchLoader.
type ruleCase struct {
	name  string
	prog  string
	cfg   Config
	rtldA []string // loader options
}

// ccPath is the C compiler the fixtures use, or "" when there is none.
func ccPath() string {
	out, err := exec.Command("go", "env", "CC").Output()
	if cc := strings.TrimSpace(string(out)); err == nil && cc != "" {
		if p, err := exec.LookPath(strings.Fields(cc)[0]); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("cc"); err == nil {
		return p
	}
	return ""
}
