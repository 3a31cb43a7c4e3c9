package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/fixtures"
)

// liveReport is what `elfx lazy --live` says of one library.
type liveReport struct {
	Library string     `json:"library"`
	BindNow bool       `json:"bind_now"`
	Call    string     `json:"call"`
	Base    uint64     `json:"base"` // the load bias
	GOT1    liveValue  `json:"got1"`
	GOT2    liveValue  `json:"got2"`
	Slots   []liveSlot `json:"slots"`
	AtLoad  []string   `json:"bound_at_load"` // the loader's LD_DEBUG lookups while dlopen ran
	AtCall  []string   `json:"bound_at_call"` // and during the call
}

type liveValue struct {
	Value uint64 `json:"value"`
	Is    string `json:"is"`
}

type liveSlot struct {
	Symbol   string `json:"symbol"`
	Slot     uint64 `json:"slot"` // the run-time address
	Before   uint64 `json:"before"`
	After    uint64 `json:"after"`
	BeforeIs string `json:"before_is"`
	AfterIs  string `json:"after_is"`
	// AfterIsDlsym: the value after the call is dlsym's answer, the
	// function an IFUNC's resolver chose included.
	AfterIsDlsym bool `json:"after_is_dlsym"`
}

// liveTimeout bounds the child: a load and one call.
const liveTimeout = time.Minute

// runnerPath finds elfx-runner, which does the watching in a process of
// its own: $ELFX_RUNNER, next to this executable, or on PATH.
func runnerPath() (string, error) {
	if p := os.Getenv("ELFX_RUNNER"); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "elfx-runner")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("elfx-runner"); err == nil {
		return p, nil
	}
	return "", errors.New("elfx-runner, which watches the live process, is neither next to elfx nor on PATH (make build puts it in bin/)")
}

func analyzeLive(lib, call string, bindNow bool, env map[string]string) (*liveReport, error) {
	runner, err := runnerPath()
	if err != nil {
		return nil, err
	}
	f, p, err := openPLT(lib)
	if err != nil {
		return nil, err
	}
	f.Close()
	if call == "" {
		return nil, fmt.Errorf("%s: --call SYM names the function to call (with no arguments)", lib)
	}
	var envList []string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		envList = append(envList, k+"="+env[k])
	}
	ctx, cancel := context.WithTimeout(context.Background(), liveTimeout)
	defer cancel()
	g, err := dl.WatchGOT(ctx, runner, lib, p, call, bindNow, envList)
	if err != nil {
		return nil, err
	}
	describe := func(v dl.Value, what string) liveValue {
		switch {
		case v.Value == 0:
			return liveValue{0, "0: not filled (no lazy binding)"}
		case v.Symbol != "":
			return liveValue{v.Value, v.Object + ":" + v.Symbol}
		case v.Object != "":
			return liveValue{v.Value, what + ", in " + v.Object}
		}
		return liveValue{v.Value, what}
	}
	r := &liveReport{
		Library: lib, BindNow: bindNow, Call: call, Base: g.Snapshot.Base,
		GOT1:  describe(g.GOT1, "the library's link_map, on the loader's heap"),
		GOT2:  describe(g.GOT2, "the resolver trampoline, not exported"),
		Slots: []liveSlot{}, AtLoad: lookupLines(g.AtLoad), AtCall: lookupLines(g.AtCall),
	}
	for _, s := range g.Slots {
		r.Slots = append(r.Slots, liveSlot{referenceName(s.Entry.Symbol, s.Entry.Version), s.Slot, s.Before.Value, s.After.Value, s.BeforeIs, s.AfterIs, s.AfterIsDlsym})
	}
	return r, nil
}

// demoLibrary builds the fixture libplugin.so, which calls into two
// libraries of its own through its PLT, into a temporary directory, and
// adds that directory to env's LD_LIBRARY_PATH so that its dependencies
// are found; cleanup removes it.
func demoLibrary(env map[string]string) (lib string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "elfx-live-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	set, err := fixtures.BuildHost(dir, "libplugin")
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building the demonstration library libplugin.so (give a LIB.so instead): %w", err)
	}
	f, ok := set.Get("libplugin")
	if !ok {
		cleanup()
		return "", nil, fmt.Errorf("cannot build the demonstration library libplugin.so here (give a LIB.so instead): %s", strings.Join(set.Skipped, "; "))
	}
	libDir := filepath.Dir(f.Path)
	if p := env["LD_LIBRARY_PATH"]; p != "" {
		libDir += ":" + p
	}
	env["LD_LIBRARY_PATH"] = libDir
	return f.Path, cleanup, nil
}

// lookupLines spells the loader's lookups as "symbol -> object".
func lookupLines(bs []dl.Binding) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s -> %s", referenceName(b.Symbol, b.Version), b.To))
	}
	return out
}

// renderLive prints the GOT before and after the call, then the
// loader's lookups on a timeline.
func renderLive(w io.Writer, r *liveReport) error {
	mode := "lazy (RTLD_LAZY)"
	if r.BindNow {
		mode = "LD_BIND_NOW=1"
	}
	fmt.Fprintf(w, "%s loaded at %#x, %s; calling %s\n", r.Library, r.Base, mode, r.Call)
	fmt.Fprintf(w, "GOT[1] %#x (%s), GOT[2] %#x (%s)\n", r.GOT1.Value, r.GOT1.Is, r.GOT2.Value, r.GOT2.Is)
	rows := make([][]string, 0, len(r.Slots))
	for _, s := range r.Slots {
		after := s.AfterIs
		if s.AfterIsDlsym {
			after += " (= dlsym)"
		}
		rows = append(rows, []string{s.Symbol, fmt.Sprintf("%#x", s.Slot), fmt.Sprintf("%#x %s", s.Before, s.BeforeIs), fmt.Sprintf("%#x %s", s.After, after)})
	}
	if err := writeTable(w, []string{"SYMBOL", "SLOT", "BEFORE THE CALL", "AFTER"}, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "timeline (LD_DEBUG=bindings):\n  before the call (dlopen, dlsym of the function):\n")
	for _, l := range r.AtLoad {
		fmt.Fprintf(w, "    %s\n", l)
	}
	fmt.Fprintf(w, "  first call of %s:\n", r.Call)
	for _, l := range r.AtCall {
		fmt.Fprintf(w, "    %s\n", l)
	}
	return nil
}
