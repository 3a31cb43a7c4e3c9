package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/elfx/elfx/fixtures"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the golden files of the scripts that fail a cmp")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"elfx": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script. Each sees the
// compiled fixtures as $FX/<fixture name>, and their build directory as
// $FXDIR (programs in $FXDIR/<machine>, libraries in $FXDIR/<machine>/lib),
// the runner `elfx lazy --live` and `elfx run` start as $ELFX_RUNNER, the
// plugin fixtures' sources in $PLUGINSRC, the go-plugin programs of
// fixtures/plugin/rpc, built, in $RPCPLUGINS, and in $GOPLUGINS a Go host
// and plugins of fixtures/goplugin/matrix.txtar: host, host-nocgo,
// same.so (built as the host), newer.so (against a newer dependency).
func TestScripts(t *testing.T) {
	pluginSources, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "plugin"))
	if err != nil {
		t.Fatal(err)
	}
	set := fixtures.Build(t)
	runner := filepath.Join(t.TempDir(), "elfx-runner")
	build := exec.Command("go", "build", "-o", runner, "github.com/elfx/elfx/cmd/elfx-runner")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building elfx-runner: %v\n%s", err, out)
	}
	rpcPlugins := t.TempDir()
	for _, name := range []string{"transform", "misbehave", "noinfo"} {
		if err := os.Symlink(fixtures.RPCPlugin(t, name), filepath.Join(rpcPlugins, name)); err != nil {
			t.Fatal(err)
		}
	}
	goPlugins := buildGoPlugins(t)
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			fx := filepath.Join(env.WorkDir, "fx")
			if err := os.Mkdir(fx, 0o755); err != nil {
				return err
			}
			for _, f := range set.Fixtures {
				if err := os.Symlink(f.Path, filepath.Join(fx, f.Name)); err != nil {
					return err
				}
			}
			env.Setenv("FX", fx)
			env.Setenv("FXDIR", set.Dir)
			env.Setenv("ELFX_RUNNER", runner)
			env.Setenv("PLUGINSRC", pluginSources)
			env.Setenv("RPCPLUGINS", rpcPlugins)
			env.Setenv("GOPLUGINS", goPlugins)
			return nil
		},
		// [fixture:NAME] holds when NAME was built here (cross compilers
		// may be missing).
		Condition: func(cond string) (bool, error) {
			name, ok := strings.CutPrefix(cond, "fixture:")
			if !ok {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			_, built := set.Get(name)
			return built, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":         cmdExits,
			"stripsections": cmdStripSections,
		},
	})
}

// buildGoPlugins builds $GOPLUGINS, where there is a C compiler (Go
// plugins need cgo); the scripts that use it check [exec:cc].
func buildGoPlugins(t *testing.T) string {
	out := t.TempDir()
	if _, err := exec.LookPath("cc"); err != nil {
		return out
	}
	src := fixtures.GoPluginMatrix(t)
	build := func(name, module string, env []string, args ...string) {
		fixtures.GoBuild(t, filepath.Join(src, module), filepath.Join(out, name), env, args...)
	}
	build("host", "host", nil)
	build("host-nocgo", "host", []string{"CGO_ENABLED=0"})
	build("same.so", "plugins", nil, "-buildmode=plugin", "./usesdep")
	build("newer.so", "plugins", nil, "-buildmode=plugin", "-modfile=newer.mod", "./usesdep")
	return out
}

// cmdExits runs a command and checks its exit status:
//
//	exits N command [args...]
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// cmdStripSections writes a copy of a file without section headers, the
// way the loader sees it:
//
//	stripsections SRC DST
func cmdStripSections(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: stripsections SRC DST")
	}
	ts.Check(fixtures.StripSectionHeaders(ts.MkAbs(args[0]), ts.MkAbs(args[1])))
}
