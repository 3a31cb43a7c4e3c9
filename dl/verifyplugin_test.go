package dl_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/inspect"
)

// TestVerifyPlugin: elfx's prediction of each dlopening runner's load of
// a plugin (its relocations and its dlsyms) agrees with the loader's log.
func TestVerifyPlugin(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler: the runner's cgo loaders and the plugins need one")
	}
	runner := filepath.Join(t.TempDir(), "elfx-runner")
	if out, err := exec.Command("go", "build", "-o", runner, "github.com/elfx/elfx/cmd/elfx-runner").CombinedOutput(); err != nil {
		t.Fatalf("building elfx-runner: %v\n%s", err, out)
	}
	cases := []struct{ loader, plugin string }{
		{"purego", fixtures.CPlugin(t, "transform")},
		{"cgo", fixtures.CPlugin(t, "leak")}, // malloc, memset, memcpy from libc
		{"goplugin", fixtures.GoPlugin(t, "transform")},
	}
	for _, tc := range cases {
		t.Run(tc.loader, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			v, err := dl.VerifyPlugin(ctx, runner, tc.loader, tc.plugin, inspect.Config{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d references agree, %d unchecked", tc.plugin, v.Agree, v.Unchecked)
			for _, m := range v.Mismatches {
				t.Errorf("%s looks up %s: elfx %v, loader %v (%s)", m.From, m.Symbol, m.Predicted, m.Loader, m.Reason())
			}
			if v.Agree < 3 { // a relocation at least, and the contract's two dlsyms
				t.Errorf("only %d references checked", v.Agree)
			}
		})
	}
}
