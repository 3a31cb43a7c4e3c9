package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/elfx/elfx/compat"
	"github.com/elfx/elfx/elfx"
)

// compatSubcommands are the checks under `elfx compat`.
var compatSubcommands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"check":    runCompatCheck,
	"diff":     runCompatDiff,
	"goplugin": runCompatGoPlugin,
	"wasm":     runCompatWasm,
}

func runCompat(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || compatSubcommands[args[0]] == nil {
		fmt.Fprintln(stderr, "usage: elfx compat check [flags] FILE|DIR...\n       elfx compat diff [flags] OLD NEW\n       elfx compat goplugin [flags] HOST PLUGIN.so...\n       elfx compat wasm [flags] MODULE.wasm...")
		return exitUsage
	}
	return compatSubcommands[args[0]](args[1:], stdout, stderr)
}

// checkReport is what `elfx compat check` says of one file.
type checkReport struct {
	File       string            `json:"file"`
	OK         bool              `json:"ok"`
	Required   map[string]string `json:"required"`
	TooNew     []tooNewRecord    `json:"too_new"`
	Violations []violationRecord `json:"violations,omitempty"`
}

type tooNewRecord struct {
	Symbol  string `json:"symbol"`
	Version string `json:"version"`
	Library string `json:"library"`
	Object  string `json:"object,omitempty"` // with --deep, the bundled library that needs it, when not the file
}

type violationRecord struct {
	Kind    string `json:"kind"`
	Object  string `json:"object"`
	Library string `json:"library,omitempty"`
	Symbol  string `json:"symbol,omitempty"`
	Version string `json:"version,omitempty"`
	Detail  string `json:"detail"`
}

// floorFlag collects repeated --floor FAMILY=VERSION flags.
type floorFlag compat.Floors

func (f floorFlag) String() string { return "" }

func (f floorFlag) Set(s string) error {
	fam, v, ok := strings.Cut(s, "=")
	if !ok || fam == "" || v == "" {
		return fmt.Errorf("want FAMILY=VERSION, got %q", s)
	}
	f[fam] = v
	return nil
}

func runCompatCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compat check", "[--glibc X.Y] [--libstdcxx X.Y.Z] [--floor FAMILY=VERSION]... [--policy NAME] [--sysroot DIR] [--deep] [--format text|json|sarif] FILE|DIR...", stderr)
	format := formatFlag(fs, "text", "json", "sarif")
	floors := floorFlag{}
	fs.Var(floors, "floor", "the newest `FAMILY=VERSION` the target provides (GLIBC=2.17, GLIBCXX=3.4.19, CXXABI=1.3.7, GCC=4.8.0); repeatable")
	glibc := fs.String("glibc", "", "the target's glibc `X.Y`: --floor GLIBC=X.Y")
	libstdcxx := fs.String("libstdcxx", "", "the newest GLIBCXX version `X.Y.Z` of the target's libstdc++: --floor GLIBCXX=X.Y.Z")
	var opts compat.Options
	fs.StringVar(&opts.Policy, "policy", "", "check against a platform policy `NAME`: "+strings.Join(compat.PolicyNames(), ", "))
	fs.StringVar(&opts.Sysroot, "sysroot", "", "check against the target's files in `DIR`: libraries found, versions defined, symbols bound")
	fs.BoolVar(&opts.Deep, "deep", false, "also check the libraries the file brings along (found through its RPATH, RUNPATH or a path)")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	if *glibc != "" {
		floors["GLIBC"] = *glibc
	}
	if *libstdcxx != "" {
		floors["GLIBCXX"] = *libstdcxx
	}
	opts.Floors = compat.Floors(floors)
	if len(opts.Floors) == 0 && opts.Policy == "" && opts.Sysroot == "" {
		fmt.Fprintln(stderr, "elfx compat check: give a floor (--glibc, --libstdcxx, --floor), a --policy or a --sysroot to check against")
		return exitUsage
	}
	paths, walked := expandDirs(paths)
	analyze := func(path string) (*checkReport, error) {
		r, err := analyzeCheck(path, opts)
		if walked[path] && errors.Is(err, elfx.ErrNotELF) {
			return nil, errPassedOver
		}
		return r, err
	}
	failed := func(r *checkReport) bool { return !r.OK }
	if format.value == "sarif" {
		return reportSARIF(paths, stdout, stderr, analyze)
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, renderCheck, failed)
}

func analyzeCheck(path string, opts compat.Options) (*checkReport, error) {
	c, err := compat.Check(path, opts)
	if err != nil {
		return nil, err
	}
	r := &checkReport{File: path, OK: c.OK, Required: c.Required, TooNew: []tooNewRecord{}}
	for _, t := range c.TooNew {
		rec := tooNewRecord{Symbol: t.Symbol, Version: t.Version, Library: t.Library}
		if t.Object != path {
			rec.Object = t.Object
		}
		r.TooNew = append(r.TooNew, rec)
	}
	for _, v := range c.Violations {
		r.Violations = append(r.Violations, violationRecord{v.Kind, v.Object, v.Library, v.Symbol, v.Version, v.Detail})
	}
	return r, nil
}

// renderCheck prints the verdict, the versions required, and each
// finding.
func renderCheck(w io.Writer, r *checkReport) error {
	verdict := "ok"
	if !r.OK {
		verdict = fmt.Sprintf("FAILS: %d too-new references, %d other findings", len(r.TooNew), len(r.Violations))
	}
	var req []string
	for _, fam := range slices.Sorted(maps.Keys(r.Required)) {
		req = append(req, fam+"_"+r.Required[fam])
	}
	fmt.Fprintf(w, "%s; requires %s\n", verdict, strings.Join(req, " "))
	for _, t := range r.TooNew {
		what := t.Symbol
		if what == "" {
			what = "(no symbol: the version itself)"
		}
		by := ""
		if t.Object != "" {
			by = " in " + t.Object
		}
		fmt.Fprintf(w, "  too new: %s@%s from %s%s\n", what, t.Version, t.Library, by)
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  %s: %s\n", v.Kind, v.Detail)
	}
	return nil
}

// reportSARIF checks every path and writes one SARIF 2.1.0 log: a result
// per too-new reference and per finding, an invocation notification per
// file that could not be read.
func reportSARIF(paths []string, stdout, stderr io.Writer, analyze func(string) (*checkReport, error)) int {
	code := exitOK
	log := newSARIFLog()
	analyzeInOrder(paths, analyze, func(i int, r *checkReport, err error) {
		switch {
		case errors.Is(err, errPassedOver):
		case err != nil:
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			log.notify(paths[i], err)
			code = exitUsage
		default:
			log.add(r)
			if !r.OK && code == exitOK {
				code = exitFinding
			}
		}
	})
	if err := writeSARIF(stdout, log); err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	return code
}
