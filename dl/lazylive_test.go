package dl_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// TestWatchGOT dlopens a library lazily in the runner and watches its GOT
// around one call: a slot the call goes through holds its lazy value (back
// into the PLT) before and dlsym's answer after, an IFUNC's slot the
// function its resolver chose, a slot the call does not use stays lazy;
// under LD_BIND_NOW=1 every slot holds its target from the start.
func TestWatchGOT(t *testing.T) {
	cc := bindCompiler(t)
	f := newBindFixture(t, cc, "live")
	f.lib("libdep.so", f.src("libdep.c"))
	lib := f.lib("libwatched.so", f.src("libwatched.c"), "-ldep", "-Wl,-rpath,$ORIGIN")
	runner := filepath.Join(t.TempDir(), "elfx-runner")
	build := exec.Command("go", "build", "-o", runner, "github.com/elfx/elfx/cmd/elfx-runner")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the runner: %v\n%s", err, out)
	}
	file, err := elfx.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	p, err := inspect.ReadPLT(file)
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	slot := func(t *testing.T, g *dl.LiveGOT, symbol string) dl.LiveSlot {
		for _, s := range g.Slots {
			if s.Entry.Symbol == symbol {
				return s
			}
		}
		t.Fatalf("no slot for %s in %v", symbol, g.Slots)
		return dl.LiveSlot{}
	}
	watch := func(t *testing.T, bindNow bool) *dl.LiveGOT {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		g, err := dl.WatchGOT(ctx, runner, lib, p, "live_entry", bindNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	t.Run("lazy", func(t *testing.T) {
		g := watch(t, false)
		if g.GOT2.Object == "" {
			t.Errorf("GOT[2] = %#x, not in the loader", g.GOT2.Value)
		}
		for _, name := range []string{"live_dep", "live_ifunc"} {
			s := slot(t, g, name)
			if s.BeforeIs != "plt" || !s.AfterIsDlsym {
				t.Errorf("%s: before %#x (%s), after %#x (%s, dlsym %v): want the lazy value, then dlsym's answer", name, s.Before.Value, s.BeforeIs, s.After.Value, s.AfterIs, s.AfterIsDlsym)
			}
			if len(s.BoundAtCall) == 0 {
				t.Errorf("%s: the loader reported no lookup during the call", name)
			}
		}
		if s := slot(t, g, "live_ifunc"); s.After.Symbol == "live_ifunc" {
			t.Errorf("live_ifunc's slot holds the IFUNC symbol itself, %s, not the function its resolver chose", s.AfterIs)
		}
		if s := slot(t, g, "unused_dep"); s.BeforeIs != "plt" || s.After != s.Before {
			t.Errorf("unused_dep: before %s, after %s: a slot no call used must stay lazy", s.BeforeIs, s.AfterIs)
		}
	})
	t.Run("bind_now", func(t *testing.T) {
		g := watch(t, true)
		for _, name := range []string{"live_dep", "live_ifunc", "unused_dep"} {
			if s := slot(t, g, name); s.BeforeIs != "target" || s.After != s.Before {
				t.Errorf("%s under LD_BIND_NOW=1: before %s, after %s: want the target from the start", name, s.BeforeIs, s.AfterIs)
			}
		}
		if len(g.AtCall) != 0 {
			t.Errorf("under LD_BIND_NOW=1 the call made lookups: %v", g.AtCall)
		}
	})
}
