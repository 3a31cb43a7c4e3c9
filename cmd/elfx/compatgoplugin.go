package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/compat"
)

// goPluginReport is what `elfx compat goplugin` says of one plugin.
type goPluginReport struct {
	Host     string   `json:"host"`
	Plugin   string   `json:"plugin"`
	Loadable bool     `json:"loadable"`
	Reason   string   `json:"reason"`
	Package  string   `json:"package"`
	Packages []string `json:"packages"`
	Crash    bool     `json:"crash"`  // the host dies instead of getting an error
	Causes   []string `json:"causes"` // what differs between the builds
}

func runCompatGoPlugin(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compat goplugin", "[--format text|json] HOST PLUGIN.so...", stderr)
	format := formatFlag(fs, "text", "json")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) < 2 {
		return badUsage(fs, err)
	}
	opens, err := compat.PredictPluginOpen(paths[0], paths[1:])
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	enc := newJSONEncoder(stdout)
	code := exitOK
	for i, o := range opens {
		if o.Err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", o.Err)
			if format.value == "json" {
				enc.Encode(fileError{File: o.Plugin, Error: o.Err.Error()})
			}
			code = exitUsage
			continue
		}
		r := goPluginReport{o.Host, o.Plugin, o.Loadable, o.Reason, o.Package, orNone(o.Packages), o.Crash, orNone(o.Causes)}
		if format.value == "json" {
			err = enc.Encode(r)
		} else {
			err = renderGoPlugin(stdout, i, r)
		}
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			return exitUsage
		}
		if !o.Loadable && code == exitOK {
			code = exitFinding
		}
	}
	return code
}

// renderGoPlugin prints one plugin's verdict: "loads", or why not and
// what differs.
func renderGoPlugin(w io.Writer, i int, r goPluginReport) error {
	verdict := "loads"
	switch {
	case r.Crash:
		verdict = "CRASHES THE HOST: " + r.Reason
	case !r.Loadable:
		verdict = "does not load: " + r.Reason
	}
	if _, err := fmt.Fprintf(w, "%d. %s %s\n", i+1, r.Plugin, verdict); err != nil {
		return err
	}
	if len(r.Packages) > 1 {
		fmt.Fprintf(w, "   every package that differs (%d): %s\n", len(r.Packages), strings.Join(r.Packages, ", "))
	}
	for _, c := range r.Causes {
		fmt.Fprintf(w, "   because %s\n", c)
	}
	return nil
}
