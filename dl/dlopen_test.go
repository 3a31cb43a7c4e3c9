package dl_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/inspect"
)

// TestDlopenMatchesLoader confirms inspect.Dlopen and BindDlopen against
// the real loader: a host that dlopens a plugin (which needs a library
// of its own) with each mode, RTLD_NOW, run under LD_DEBUG=bindings. The
// lookups of the objects dlopen loaded must be the ones predicted, and
// where the mode decides, the expected one.
func TestDlopenMatchesLoader(t *testing.T) {
	cc := bindCompiler(t)
	f := newBindFixture(t, cc, "dlopen")
	f.lib("libhelper.so", f.src("helper.c"))
	plugin := f.lib("plugin.so", f.src("plugin.c"), "-lhelper", "-Wl,-rpath,$ORIGIN")
	host := f.prog("host", "-rdynamic", f.src("host.c"))

	for _, tc := range []struct {
		arg  string
		mode inspect.DlopenMode
		// where the plugin's and its dependency's shared_fn bind
		pluginTo, helperTo string
	}{
		{"local", inspect.RTLDLocal, "host", "host"},
		{"global", inspect.RTLDGlobal, "host", "host"},
		{"deepbind", inspect.RTLDDeepbind, "plugin.so", "plugin.so"},
	} {
		t.Run(tc.arg, func(t *testing.T) {
			lm, err := inspect.Resolve(host, inspect.Config{})
			if err != nil {
				t.Fatal(err)
			}
			d, err := lm.Dlopen(plugin, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			bound, err := inspect.BindDlopen(d)
			if err != nil {
				t.Fatal(err)
			}
			loaded := map[string]bool{}
			for _, o := range d.Loaded {
				loaded[o.Path] = true
			}
			var predicted, observed []bindLookup
			for _, b := range bound.Bindings {
				if b.To == nil {
					continue // weak and undefined: the loader prints nothing
				}
				predicted = append(predicted, bindLookup{f.name(b.From.Path), b.Symbol, b.Version, f.name(b.To.Path), b.Protected})
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			log, exit, err := dl.RunBindings(ctx, host, []string{plugin, tc.arg}, nil, io.Discard, io.Discard)
			if err != nil || exit != 0 {
				t.Fatalf("running %s: exit %d, %v", host, exit, err)
			}
			for _, b := range log.Bindings {
				if loaded[b.From] {
					observed = append(observed, bindLookup{f.name(b.From), b.Symbol, b.Version, f.name(b.To), b.Protected})
				}
			}
			if len(observed) == 0 {
				t.Fatalf("the loader reported no lookup for the dlopened objects %v", d.Loaded)
			}
			compareLookups(t, tc.arg, predicted, observed)
			for _, want := range []bindLookup{
				{From: "plugin.so", Symbol: "shared_fn", To: tc.pluginTo},
				{From: "libhelper.so", Symbol: "shared_fn", To: tc.helperTo},
			} {
				found := false
				for _, p := range predicted {
					found = found || p == want
				}
				if !found {
					t.Errorf("%s: want %v among the predictions %v", tc.arg, want, predicted)
				}
			}
		})
	}
}
