package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
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

// badUsage prints fs's usage, unless parsing failed with err: the flag
// package printed it then, after the error. It returns exitUsage.
func badUsage(fs *flag.FlagSet, err error) int {
	if err == nil {
		fs.Usage()
	}
	return exitUsage
}

// fileError is the JSON record of a file that could not be read.
type fileError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// reportFiles analyses the paths on every CPU and writes the reports in
// the order of paths: one JSON object a line in json format, or text
// through renderText. A file that cannot be read is reported (to stderr,
// and as a fileError line in JSON) and the others still are; the exit code
// is then exitUsage, else exitFinding when finding (if not nil) holds for
// a report.
func reportFiles[R any](paths []string, format string, stdout, stderr io.Writer,
	analyze func(path string) (R, error), renderText func(w io.Writer, r R) error, finding func(R) bool) int {
	code := exitOK
	enc := newJSONEncoder(stdout)
	failed := false
	analyzeInOrder(paths, analyze, func(i int, r R, err error) {
		path := paths[i]
		if failed || errors.Is(err, errPassedOver) {
			return
		}
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			code = exitUsage
			if format == "json" {
				enc.Encode(fileError{File: path, Error: err.Error()})
			}
			return
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
			code, failed = exitUsage, true
			return
		}
		if finding != nil && finding(r) && code == exitOK {
			code = exitFinding
		}
	})
	return code
}

// newJSONEncoder returns the encoder of the JSON reports: one object a
// line, with '<', '>' and '&' (in paths, in C++ names) left unescaped,
// since the output is not for HTML.
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// analyzeInOrder runs analyze over paths with one worker a CPU and hands
// each result to emit in the order of paths, keeping only a few results
// ahead of the one being emitted. One file is analysed on the calling
// goroutine: for the commonest query, goroutines handing over work would
// cost more than the work.
func analyzeInOrder[R any](paths []string, analyze func(string) (R, error), emit func(i int, r R, err error)) {
	if len(paths) == 1 {
		r, err := guardFaults(paths[0], func() (R, error) { return analyze(paths[0]) })
		emit(0, r, err)
		return
	}
	type result struct {
		r   R
		err error
	}
	workers := min(runtime.NumCPU(), len(paths))
	ready := make([]chan result, len(paths))
	for i := range ready {
		ready[i] = make(chan result, 1)
	}
	ahead := make(chan struct{}, 4*workers) // results computed but not yet emitted
	work := make(chan int)
	go func() {
		defer close(work)
		for i := range paths {
			ahead <- struct{}{}
			work <- i
		}
	}()
	for range workers {
		go func() {
			for i := range work {
				r, err := guardFaults(paths[i], func() (R, error) { return analyze(paths[i]) })
				ready[i] <- result{r, err}
			}
		}()
	}
	for i := range paths {
		res := <-ready[i]
		<-ahead
		emit(i, res.r, res.err)
	}
}

// guardFaults runs fn, the analysis of what names, with memory faults
// turned into panics (debug.SetPanicOnFault) and those recovered as an
// error naming it: a mapped file that shrinks while elfx reads it faults
// (SIGBUS) on the pages past its new end, which would otherwise end the
// process and the rest of the batch. Other panics go on.
func guardFaults[R any](what string, fn func() (R, error)) (r R, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			fault, ok := p.(interface{ Addr() uintptr })
			if !ok {
				panic(p)
			}
			err = fmt.Errorf("%s: a file changed while it was read: a memory fault at %#x", what, fault.Addr())
		}
	}()
	return fn()
}

// expandDirs replaces each directory argument by the regular files under
// it, walked in lexical order without following symbolic links, as
// scanelf -R does; files are kept as given. walked holds the files a walk
// found, which are passed over when they are not ELF files.
func expandDirs(args []string) (paths []string, walked map[string]bool) {
	walked = map[string]bool{}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil || !fi.IsDir() {
			paths = append(paths, arg)
			continue
		}
		filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				paths = append(paths, path)
				walked[path] = true
			}
			return nil
		})
	}
	return paths, walked
}

// errPassedOver marks a file a directory walk found that is not an ELF
// file: reportFiles leaves it out.
var errPassedOver = errors.New("not an ELF file found by a directory walk")
