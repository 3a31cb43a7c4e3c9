package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// depsReport is what `elfx deps` says of one program.
type depsReport struct {
	File        string        `json:"file"`
	Interpreter *string       `json:"interpreter"`
	Libraries   []depsLibrary `json:"libraries"`
	// Dropped are the preloads the loader would skip with a warning.
	Dropped []droppedPreload `json:"dropped_preloads,omitempty"`
	// Notes say where ldd would answer differently.
	Notes   []string `json:"notes,omitempty"`
	linkMap *inspect.LinkMap
}

type droppedPreload struct {
	Name   string `json:"name"`
	From   string `json:"from"`
	Reason string `json:"reason"`
}

type depsLibrary struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Found    bool   `json:"found"`
	Via      string `json:"via"`
	NeededBy string `json:"needed_by"`
	Depth    int    `json:"depth"`
	Reason   string `json:"reason,omitempty"` // why a library was not found
}

func runDeps(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("deps", "[--format tree|ldd|json|dot] [--env K=V]... [--root DIR] [--secure] [--hwcaps LIST] [--why NAME] FILE|DIR...", stderr)
	format := formatFlag(fs, "tree", "ldd", "json", "dot")
	loaderConfig := loaderFlags(fs)
	why := fs.String("why", "", "explain every place searched for the library `NAME`")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	paths, walked := expandDirs(paths)
	rv := inspect.NewResolver(loaderConfig())
	analyze := func(path string) (*depsReport, error) {
		r, err := analyzeDeps(rv, path)
		if walked[path] && errors.Is(err, elfx.ErrNotELF) {
			return nil, errPassedOver
		}
		return r, err
	}
	render := map[string]func(io.Writer, *depsReport) error{
		"tree": renderDepsTree, "ldd": renderDepsLdd, "dot": renderDepsDot,
	}[format.value]
	if *why != "" {
		render = func(w io.Writer, r *depsReport) error { return renderDepsWhy(w, r, *why) }
	}
	missing := func(r *depsReport) bool {
		for _, lib := range r.Libraries {
			if !lib.Found {
				return true
			}
		}
		return false
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, render, missing)
}

func analyzeDeps(rv *inspect.Resolver, path string) (*depsReport, error) {
	lm, err := rv.Resolve(path)
	if err != nil {
		return nil, err
	}
	r := &depsReport{File: path, Libraries: []depsLibrary{}, Notes: lm.Notes, linkMap: lm}
	if lm.Interpreter != "" {
		r.Interpreter = &lm.Interpreter
	}
	for _, o := range lm.Objects[1:] {
		lib := depsLibrary{Name: o.Name, Path: o.Path, Found: o.Found(), Via: string(o.Rule), Depth: o.Depth}
		if o.NeededBy != nil {
			lib.NeededBy = o.NeededBy.Path
		}
		if o.Err != nil {
			lib.Reason = o.Err.Error()
		}
		r.Libraries = append(r.Libraries, lib)
	}
	for _, d := range lm.Dropped {
		r.Dropped = append(r.Dropped, droppedPreload{Name: d.Name, From: d.From, Reason: d.Err.Error()})
	}
	return r, nil
}

// renderDepsLdd prints what the program's loader prints as ldd, without
// load addresses: glibc's list, or musl's with its errors in their place,
// as ldd's output and errors read together.
func renderDepsLdd(w io.Writer, r *depsReport) error {
	for _, l := range r.linkMap.LddLines() {
		if _, err := fmt.Fprintln(w, l.Text); err != nil {
			return err
		}
	}
	return nil
}

// renderDepsTree prints the dependency graph as a tree, each library with
// the rule that found it; a library already shown is marked and not
// expanded again; a missing one lists the places searched.
func renderDepsTree(w io.Writer, r *depsReport) error {
	color := useColor(w)
	main := r.linkMap.Objects[0]
	for _, d := range r.Dropped {
		fmt.Fprintf(w, "preload %s (from %s) would be ignored: %s\n", d.Name, d.From, d.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w, main.Path)
	shown := map[*inspect.Object]bool{main: true}
	var walk func(o *inspect.Object, prefix string) error
	walk = func(o *inspect.Object, prefix string) error {
		for i, dep := range o.Deps {
			branch, next := "├── ", "│   "
			if i == len(o.Deps)-1 {
				branch, next = "└── ", "    "
			}
			line := prefix + branch + depLabel(o.DepNames[i], dep, shown[dep], color)
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
			if !dep.Found() {
				for _, c := range dep.Tried {
					fmt.Fprintf(w, "%s%s    tried %s (%s): %s\n", prefix, next, c.Path, c.Rule, c.Reason)
				}
				continue
			}
			if shown[dep] {
				continue
			}
			shown[dep] = true
			if err := walk(dep, prefix+next); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(main, "")
}

// depLabel is the tree's line for dep, which its needer asked for by
// name: the name, and the file it resolved to with the rule that found
// it; the interpreter is marked as such, since the kernel and not a
// search put it there.
func depLabel(name string, dep *inspect.Object, repeat, color bool) string {
	switch {
	case !dep.Found():
		label := name + " not found"
		if dep.Err != nil {
			label = name + " not found: " + dep.Err.Error()
		}
		if color {
			return "\x1b[31m" + label + "\x1b[0m"
		}
		return label
	case repeat:
		return fmt.Sprintf("%s (repeat)", name)
	case dep.IsInterpreter():
		if name == dep.Path {
			return fmt.Sprintf("%s [interpreter]", name)
		}
		return fmt.Sprintf("%s => %s [interpreter]", name, dep.Path)
	case name == dep.Path:
		return fmt.Sprintf("%s [%s]", dep.Path, dep.Rule)
	}
	return fmt.Sprintf("%s => %s [%s]", name, dep.Path, dep.Rule)
}

// useColor reports whether w is a terminal and NO_COLOR is unset.
func useColor(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// renderDepsDot prints the dependency graph for graphviz.
func renderDepsDot(w io.Writer, r *depsReport) error {
	fmt.Fprintln(w, "digraph deps {")
	fmt.Fprintln(w, "\tnode [shape=box];")
	ids := map[*inspect.Object]int{}
	for i, o := range r.linkMap.Objects {
		ids[o] = i
		attrs := fmt.Sprintf("label=%q", o.Name)
		if !o.Found() {
			attrs += ", color=red, fontcolor=red"
		}
		fmt.Fprintf(w, "\tn%d [%s];\n", i, attrs)
	}
	for _, o := range r.linkMap.Objects {
		for _, dep := range o.Deps {
			fmt.Fprintf(w, "\tn%d -> n%d [label=%q];\n", ids[o], ids[dep], string(dep.Rule))
		}
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}

// renderDepsWhy prints every place searched for the library name (its
// DT_NEEDED name or soname) and why each was passed over.
func renderDepsWhy(w io.Writer, r *depsReport, name string) error {
	found := false
	for _, o := range r.linkMap.Objects[1:] {
		if o.Name != name && o.Soname != name {
			continue
		}
		found = true
		needer := "the program"
		if o.NeededBy != nil {
			needer = o.NeededBy.Path
		}
		fmt.Fprintf(w, "%s, needed by %s:\n", o.Name, needer)
		for _, c := range o.Tried {
			verdict := "taken"
			if c.Reason != "" {
				verdict = c.Reason
			}
			fmt.Fprintf(w, "  %-16s %s: %s\n", c.Rule, c.Path, verdict)
		}
		if o.Found() {
			fmt.Fprintf(w, "  => %s [%s]\n", o.Path, o.Rule)
		} else {
			fmt.Fprintf(w, "  => not found: %v\n", o.Err)
		}
	}
	if !found {
		return fmt.Errorf("%s is not in the link map of %s", name, r.File)
	}
	return nil
}
