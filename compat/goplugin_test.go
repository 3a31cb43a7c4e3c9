package compat_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/elfx/elfx/compat"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/testelf"
)

// goBuilder builds the modules of the plugin.Open matrix.
type goBuilder struct {
	t   testing.TB
	dir string // the matrix's sources
	out string // where the builds go
}

// build builds the module (a directory of the matrix) with env and args
// into the file name.
func (g goBuilder) build(name, module string, env []string, args ...string) string {
	g.t.Helper()
	return fixtures.GoBuild(g.t, filepath.Join(g.dir, module), filepath.Join(g.out, name), env, args...)
}

// openResult is what the real plugin.Open did with one plugin.
type openResult struct {
	loaded bool
	err    string // without the "plugin.Open(...): " prefix
	crash  string // the fatal error that killed the host
}

var openPrefix = regexp.MustCompile(`^plugin\.Open\("[^"]*"\): `)

// openReally runs host with the plugins; its JSON lines say what each
// open did, and a fatal error on standard error ends the list.
func openReally(t *testing.T, host string, plugins []string) []openResult {
	t.Helper()
	cmd := exec.Command(host, plugins...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res []openResult
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var line struct{ Error string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("host output %q: %v", sc.Text(), err)
		}
		res = append(res, openResult{loaded: line.Error == "", err: openPrefix.ReplaceAllString(line.Error, "")})
	}
	if runErr != nil {
		fatal := regexp.MustCompile(`(?m)^fatal error: .*$`).FindString(stderr.String())
		if fatal == "" {
			t.Fatalf("host %v: %v\n%s", plugins, runErr, stderr.Bytes())
		}
		res = append(res, openResult{crash: fatal})
	}
	return res
}

// openCase is a host opening plugins in order.
type openCase struct {
	name    string
	host    string
	plugins []string
	// packages the differing packages of the last plugin must include
	// (the real plugin.Open names only the first)
	packages []string
}

// TestPredictPluginOpen builds real hosts and plugins, and checks the
// prediction of every plugin.Open against the host opening them in a
// child process: whether it loads, the error and the package it names,
// a crash of the host.
func TestPredictPluginOpen(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil || runtime.GOOS != "linux" {
		t.Skip("Go plugins need cgo and Linux here")
	}
	g := goBuilder{t: t, dir: fixtures.GoPluginMatrix(t), out: t.TempDir()}
	host := g.build("host", "host", nil)
	hostNoCgo := g.build("host-nocgo", "host", []string{"CGO_ENABLED=0"})
	plugin := func(name, pkg string, args ...string) string {
		return g.build(name+".so", "plugins", nil, append([]string{"-buildmode=plugin"}, append(args, "./"+pkg)...)...)
	}
	same := plugin("same", "usesdep")
	samePath := plugin("same-path", "usesdep")
	newer := plugin("newer", "usesdep", "-modfile=newer.mod")
	tagged := plugin("tagged", "usesdep", "-tags=special")
	trimmed := plugin("trimmed", "usesdep", "-trimpath")
	stripped := plugin("stripped", "usesdep", "-ldflags=-s -w")
	own := plugin("own", "own")
	ownTrimmed := plugin("own-trimmed", "own", "-trimpath")
	notGo := filepath.Join(g.out, "libnotgo.so")
	cc := exec.Command("cc", "-shared", "-fPIC", "-x", "c", "-o", notGo, "-")
	cc.Stdin = strings.NewReader("int not_go(void) { return 1; }\n")
	if b, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, b)
	}

	cases := []openCase{
		{"identical build", host, []string{same}, nil},
		{"one file twice", host, []string{same, same}, nil},
		{"one plugin path twice", host, []string{same, samePath}, nil},
		{"dependency at another version", host, []string{newer}, []string{"example.com/dep"}},
		{"other build tags", host, []string{tagged}, []string{"example.com/dep"}},
		{"-trimpath on one side", host, []string{trimmed}, []string{"runtime", "example.com/dep"}},
		{"stripped plugin", host, []string{stripped}, nil},
		{"a package only the plugin has", host, []string{own}, nil},
		{"a good plugin after a bad one", host, []string{ownTrimmed, own}, []string{"example.com/plugins/own/helper"}},
		{"not a Go plugin", host, []string{notGo, same}, nil},
		{"not a Go plugin after a good one", host, []string{same, notGo}, nil},
		{"host without cgo", hostNoCgo, []string{same}, nil},
	}
	if old := otherRelease(t, g); old != "" {
		cases = append(cases,
			openCase{"another Go release", host, []string{old}, nil},
			openCase{"another Go release after a good plugin", host, []string{same, old}, nil})
	}
	if runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && cpu.X86.HasBMI2 && cpu.X86.HasFMA {
		// A microarchitecture level alone changes no package hash.
		v3 := g.build("amd64-v3.so", "plugins", []string{"GOAMD64=v3"}, "-buildmode=plugin", "./usesdep")
		cases = append(cases, openCase{"GOAMD64=v3 on one side", host, []string{v3}, nil})
	}
	if raceSupported() {
		race := plugin("race", "usesdep", "-race")
		cases = append(cases, openCase{"-race on one side", host, []string{race}, []string{"runtime"}})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			predicted, err := compat.PredictPluginOpen(tc.host, tc.plugins)
			if err != nil {
				t.Fatal(err)
			}
			real := openReally(t, tc.host, tc.plugins)
			for i, p := range predicted {
				name := filepath.Base(tc.plugins[i])
				if p.Err != nil {
					t.Fatalf("%s: %v", name, p.Err)
				}
				var r openResult
				if i < len(real) {
					r = real[i]
				} else if len(real) > 0 && real[len(real)-1].crash != "" {
					if !strings.HasPrefix(p.Reason, "never opened") {
						t.Errorf("%s: predicted %q, but the host had died", name, p.Reason)
					}
					continue
				}
				t.Logf("%s: predicted loadable=%v %q %v; plugin.Open: loaded=%v %q%s", name, p.Loadable, p.Reason, p.Causes, r.loaded, r.err, r.crash)
				switch {
				case r.crash != "":
					if !p.Crash || !strings.HasPrefix(p.Reason, r.crash) {
						t.Errorf("%s: the host died with %q; predicted crash=%v %q", name, r.crash, p.Crash, p.Reason)
					}
				case p.Loadable != r.loaded || !strings.HasPrefix(p.Reason, r.err):
					t.Errorf("%s: plugin.Open loaded=%v %q; predicted loadable=%v %q", name, r.loaded, r.err, p.Loadable, p.Reason)
				}
				if named, ok := strings.CutPrefix(r.err, "plugin was built with a different version of package "); ok && p.Package != named {
					t.Errorf("%s: plugin.Open names package %s; predicted %s", name, named, p.Package)
				}
				if !p.Loadable && len(p.Packages) > 0 && len(p.Causes) == 0 {
					t.Errorf("%s: packages %v differ, and no cause is given", name, p.Packages)
				}
			}
			if last := predicted[len(predicted)-1]; !last.Loadable {
				for _, want := range tc.packages {
					if !slices.Contains(last.Packages, want) {
						t.Errorf("packages %v, want %s among them", last.Packages, want)
					}
				}
			}
		})
	}
}

// otherGo is a Go release before this one's, fetched through the module
// proxy as the go command fetches a toolchain.
const otherGo = "go1.25.5"

// otherRelease builds the usesdep plugin with otherGo, "" when the
// toolchain cannot be fetched here.
func otherRelease(t *testing.T, g goBuilder) string {
	proxy, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "env", "GOPROXY").Output()
	if err != nil || strings.TrimSpace(string(proxy)) == "off" {
		t.Logf("no module proxy to fetch %s from: no plugin of another release", otherGo)
		return ""
	}
	fetch := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "version")
	fetch.Env = append(fetch.Environ(), "GOTOOLCHAIN="+otherGo)
	if out, err := fetch.CombinedOutput(); err != nil {
		t.Logf("cannot fetch %s: %v\n%s", otherGo, err, out)
		return ""
	}
	env := []string{"GOTOOLCHAIN=" + otherGo, "GOPROXY=" + strings.TrimSpace(string(proxy))}
	return g.build("old-release.so", "plugins", env, "-buildmode=plugin", "./usesdep")
}

// raceSupported reports whether this Go builds with -race here.
func raceSupported() bool {
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64", "linux/ppc64le", "linux/s390x":
		return true
	}
	return false
}

// BenchmarkPredictPluginOpen predicts a host opening three plugins (one
// loads, one has a dependency at another version, one a package of its
// own) and times in the same run the host really opening them in a child
// process, median of 5: plugin.Open-x is the real open's time over the
// prediction's.
func BenchmarkPredictPluginOpen(b *testing.B) {
	if _, err := exec.LookPath("cc"); err != nil || runtime.GOOS != "linux" {
		b.Skip("Go plugins need cgo and Linux here")
	}
	g := goBuilder{t: b, dir: fixtures.GoPluginMatrix(b), out: b.TempDir()}
	host := g.build("host", "host", nil)
	plugins := []string{
		g.build("same.so", "plugins", nil, "-buildmode=plugin", "./usesdep"),
		g.build("newer.so", "plugins", nil, "-buildmode=plugin", "-modfile=newer.mod", "./usesdep"),
		g.build("own.so", "plugins", nil, "-buildmode=plugin", "./own"),
	}
	real := testelf.MedianRun(b, 5, func() error { return exec.Command(host, plugins...).Run() })
	b.Logf("the host opening %d plugins: %v (median of 5)", len(plugins), real)
	for b.Loop() {
		if _, err := compat.PredictPluginOpen(host, plugins); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(real)/(float64(b.Elapsed())/float64(b.N)), "plugin.Open-x")
}
