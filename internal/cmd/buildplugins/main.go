// Command buildplugins builds the plugins elfx bench runs into a
// directory, each loader's kind in a subdirectory: c/ (purego, cgo),
// wasm/ (wazero, wasmtime), go/NAME/ (Go plugins, one plugin path each),
// rpc/ (go-plugin programs). A kind whose tool is missing is left out,
// with a line saying so; elfx bench then skips its loaders.
//
//	go run ./internal/cmd/buildplugins DIR
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/elfx/elfx/fixtures"
)

// The bench's plugins: the workload, the trivial call, the allocating
// workload, in each kind's names.
var kinds = []struct {
	dir   string
	build func(dir, name string) (string, error)
	names []string
	each  bool // each plugin in a directory of its own (a plugin path of its own)
}{
	{"c", fixtures.BuildCPlugin, []string{"transform", "failing", "churn"}, false},
	{"wasm", fixtures.BuildWasmPlugin, []string{"transform", "misbehave", "churn"}, false},
	{"go", fixtures.BuildGoPlugin, []string{"transform", "misbehave", "churn"}, true},
	{"rpc", fixtures.BuildRPCPlugin, []string{"transform", "misbehave", "churn"}, false},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: buildplugins DIR")
		os.Exit(2)
	}
	for _, k := range kinds {
		for _, name := range k.names {
			dir := filepath.Join(os.Args[1], k.dir)
			if k.each {
				dir = filepath.Join(dir, name)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				fail(err)
			}
			_, err := k.build(dir, name)
			var missing *fixtures.MissingToolError
			if errors.As(err, &missing) {
				fmt.Fprintf(os.Stderr, "buildplugins: %s: %v; elfx bench skips its loaders\n", k.dir, err)
				break
			}
			if err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "buildplugins:", err)
	os.Exit(1)
}
