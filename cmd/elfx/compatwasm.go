package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/compat"
)

// wasmReport is what `elfx compat wasm` says of one module.
type wasmReport struct {
	File         string         `json:"file"`
	OK           bool           `json:"ok"`
	Instantiable bool           `json:"instantiable"`
	Plugin       bool           `json:"plugin"` // it follows the plugin contract
	Imports      []wasmImport   `json:"imports"`
	Exports      []wasmExport   `json:"exports"`
	Contract     []string       `json:"contract"` // how it falls short of the contract
	checked      contractOption // not in JSON
}

type contractOption bool

type wasmImport struct {
	Module  string `json:"module"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Type    string `json:"type,omitempty"`
	Problem string `json:"problem,omitempty"`
}

type wasmExport struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Type string `json:"type,omitempty"`
}

func runCompatWasm(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compat wasm", "[--format text|json] [--host NAME,...] [--host-from FILE]... [--no-contract] MODULE.wasm...", stderr)
	format := formatFlag(fs, "text", "json")
	hosts := fs.String("host", strings.Join(compat.WasmHosts, ","), "the built-in hosts the module may import from, comma-separated (`NAME,...`; \"\" for none)")
	var from []string
	fs.Func("host-from", "add the host functions `FILE` lists, a line each: MODULE NAME (PARAMS) -> (RESULTS), or MODULE NAME memory; repeatable", func(s string) error {
		from = append(from, s)
		return nil
	})
	noContract := fs.Bool("no-contract", false, "do not check the elfx plugin contract's exports")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	host := compat.NewWasmHost()
	for name := range strings.SplitSeq(*hosts, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if err := host.AddBuiltin(name); err != nil {
				fmt.Fprintf(stderr, "elfx: %v\n", err)
				return exitUsage
			}
		}
	}
	for _, f := range from {
		if err := host.AddFrom(f); err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			return exitUsage
		}
	}
	analyze := func(path string) (*wasmReport, error) {
		r, err := compat.CheckWasm(path, host)
		if err != nil {
			return nil, err
		}
		w := &wasmReport{File: r.File, Instantiable: r.Instantiable, Plugin: len(r.Contract) == 0,
			Imports: []wasmImport{}, Exports: []wasmExport{}, Contract: orNone(r.Contract), checked: contractOption(!*noContract)}
		w.OK = w.Instantiable && (w.Plugin || *noContract)
		for _, i := range r.Imports {
			w.Imports = append(w.Imports, wasmImport{i.Module, i.Name, i.Kind, i.Type, i.Problem})
		}
		for _, e := range r.Exports {
			w.Exports = append(w.Exports, wasmExport{e.Name, e.Kind, e.Type})
		}
		return w, nil
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, renderWasm, func(r *wasmReport) bool { return !r.OK })
}

// renderWasm prints the verdict, the imports with their problems, and the
// contract's shortfalls.
func renderWasm(w io.Writer, r *wasmReport) error {
	verdict := "instantiates"
	if !r.Instantiable {
		verdict = "does NOT instantiate"
	}
	if r.checked {
		if r.Plugin {
			verdict += ", and follows the plugin contract"
		} else {
			verdict += ", and does NOT follow the plugin contract"
		}
	}
	fmt.Fprintf(w, "%s %s\n", r.File, verdict)
	for _, i := range r.Imports {
		status := "ok"
		if i.Problem != "" {
			status = strings.ToUpper(i.Problem[:1]) + i.Problem[1:]
		}
		fmt.Fprintf(w, "  import %s.%s %s %s: %s\n", i.Module, i.Name, i.Kind, i.Type, status)
	}
	if r.checked {
		for _, c := range r.Contract {
			fmt.Fprintf(w, "  contract: %s\n", c)
		}
	}
	return nil
}
