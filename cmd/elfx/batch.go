package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

// parseArgs parses flags that may come before, between or after the
// positional arguments, as users of readelf and ldd expect.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a flag set for subcommand name whose errors and usage
// go to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: elfx %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// fileError is the JSON record of a file that could not be read.
type fileError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// reportFiles analyses each path in order and writes its report: one JSON
// object a line in json format, or text through renderText. A file that
// cannot be read is reported (to stderr, and as a fileError line in JSON)
// and the others still are; the exit code is then exitUsage, else
// exitFinding when finding (if not nil) holds for a report.
func reportFiles[R any](paths []string, format string, stdout, stderr io.Writer,
	analyze func(path string) (R, error), renderText func(w io.Writer, r R) error, finding func(R) bool) int {
	code := exitOK
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for i, path := range paths {
		r, err := analyze(path)
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			code = exitUsage
			if format == "json" {
				enc.Encode(fileError{File: path, Error: err.Error()})
			}
			continue
		}
		if format == "json" {
			err = enc.Encode(r)
		} else {
			if len(paths) > 1 {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "%s:\n", path)
			}
			err = renderText(stdout, r)
		}
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %s: %v\n", path, err)
			return exitUsage
		}
		if finding != nil && finding(r) && code == exitOK {
			code = exitFinding
		}
	}
	return code
}
