package main

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// lazyReport is what `elfx lazy` says of one call.
type lazyReport struct {
	File       string      `json:"file"`
	Symbol     string      `json:"symbol"`
	Version    string      `json:"version"`
	Mode       string      `json:"mode"` // lazy, bind-now or no-plt
	Target     string      `json:"target"`
	CallSites  []uint64    `json:"call_sites"`
	FirstCall  []chainStep `json:"first_call"`
	LaterCalls []chainStep `json:"later_calls"`
}

type chainStep struct {
	Addr     uint64 `json:"addr"` // 0 for a step outside the file
	InLoader bool   `json:"in_loader,omitempty"`
	What     string `json:"what"`
	Source   string `json:"source,omitempty"`
}

func runLazy(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("lazy", "[--format text|json|svg] [--symbol S] [--env K=V]... FILE... | --live [--call SYM] [--bind-now] [LIB.so]", stderr)
	format := formatFlag(fs, "text", "json", "svg")
	symbol := fs.String("symbol", "", "the function whose call to follow; the first lazily bound one by default")
	loaderConfig := loaderFlags(fs)
	live := fs.Bool("live", false, "dlopen LIB.so (by default the fixture libplugin.so, built with cc) lazily in a child process, call --call SYM, and show its GOT slots before and after")
	call := fs.String("call", "", "with --live, the function of LIB.so to call, with no arguments")
	bindNow := fs.Bool("bind-now", false, "with --live, set LD_BIND_NOW=1 in the child: the slots are filled at load")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 && !*live || format.value == "svg" && (len(paths) > 1 || *live) {
		return badUsage(fs, err) // an SVG document draws one file
	}
	if *live {
		env := loaderConfig().Env
		if len(paths) == 0 {
			lib, cleanup, err := demoLibrary(env)
			if err != nil {
				fmt.Fprintf(stderr, "elfx: %v\n", err)
				return exitUsage
			}
			defer cleanup()
			paths = []string{lib}
			if *call == "" {
				*call = "plugin_run"
			}
		}
		analyze := func(lib string) (*liveReport, error) { return analyzeLive(lib, *call, *bindNow, env) }
		return reportFiles(paths, format.value, stdout, stderr, analyze, renderLive, nil)
	}
	rv := inspect.NewResolver(loaderConfig())
	analyze := func(path string) (*lazyReport, error) { return analyzeLazy(rv, path, *symbol) }
	render := renderLazy
	if format.value == "svg" {
		render = renderLazySVG
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, render, nil)
}

func analyzeLazy(rv *inspect.Resolver, path, symbol string) (*lazyReport, error) {
	f, p, err := openPLT(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if symbol == "" {
		symbol = firstLazy(p)
		if symbol == "" {
			return nil, fmt.Errorf("%s: no function is called through a GOT slot", path)
		}
	}
	var slot uint64
	for _, e := range p.Entries {
		if e.Symbol == symbol {
			slot = e.Slot
			break
		}
	}
	c, err := inspect.Lazy(f, p, symbol, boundTarget(rv, path, slot))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &lazyReport{File: path, Symbol: c.Entry.Symbol, Version: c.Entry.Version, Mode: c.Mode, CallSites: c.CallSites}
	if r.CallSites == nil {
		r.CallSites = []uint64{}
	}
	r.Target = strings.TrimPrefix(c.FirstCall[len(c.FirstCall)-1].What, "the function: ")
	r.FirstCall, r.LaterCalls = steps(c.FirstCall), steps(c.LaterCalls)
	return r, nil
}

// firstLazy is the first lazily bound slot's symbol, else the first's.
func firstLazy(p *inspect.PLT) string {
	for _, e := range p.Entries {
		if e.Lazy {
			return e.Symbol
		}
	}
	if len(p.Entries) > 0 {
		return p.Entries[0].Symbol
	}
	return ""
}

// boundTarget names the definition the loader binds the slot at slot of
// the program at path to, "" when the link map cannot say.
func boundTarget(rv *inspect.Resolver, path string, slot uint64) string {
	lm, err := rv.Resolve(path)
	if err != nil {
		return ""
	}
	bound, err := inspect.Bind(lm)
	if err != nil {
		return ""
	}
	for _, b := range bound.Bindings {
		if b.From != lm.Objects[0] || b.Offset != slot {
			continue
		}
		if b.To == nil {
			return b.Symbol + ": not found by the loader (undefined symbol)"
		}
		return fmt.Sprintf("%s in %s", versionedDef(b.Symbol, b.Def), b.To.Path)
	}
	return ""
}

// versionedDef spells a definition as name@@V, name@V or name.
func versionedDef(name string, def *elfx.Symbol) string {
	switch {
	case def == nil || def.Version == "":
		return name
	case def.DefaultVersion():
		return name + "@@" + def.Version
	}
	return name + "@" + def.Version
}

func steps(in []inspect.ChainStep) []chainStep {
	out := make([]chainStep, len(in))
	for i, s := range in {
		out[i] = chainStep{s.Addr, s.InLoader, s.What, s.Source}
	}
	return out
}

// renderLazy prints the first call's steps, then the later calls'.
func renderLazy(w io.Writer, r *lazyReport) error {
	fmt.Fprintf(w, "%s: %s, %s\n", r.File, referenceName(r.Symbol, r.Version), map[string]string{
		"lazy":     "bound lazily: the first call goes through the loader",
		"bind-now": "bound at load (bind-now): every call goes straight through its slot",
		"no-plt":   "called without a PLT (-fno-plt): the call sites jump through the slot, filled at load",
	}[r.Mode])
	section := func(title string, ss []chainStep) {
		fmt.Fprintf(w, "%s:\n", title)
		for i, s := range ss {
			addr := stepPlace(s)
			fmt.Fprintf(w, "  %d. %-10s %s\n", i+1, addr, s.What)
			if s.Source != "" {
				fmt.Fprintf(w, "     %-10s glibc: %s\n", "", s.Source)
			}
		}
	}
	if r.Mode == "lazy" {
		section("first call", r.FirstCall)
		section("later calls", r.LaterCalls)
		return nil
	}
	section("every call", r.LaterCalls)
	return nil
}

// renderLazySVG draws the first call's path as boxes joined by arrows,
// the steps in the loader shaded, with the later calls' shortcut beside.
func renderLazySVG(w io.Writer, r *lazyReport) error {
	const width, boxH, gap, left = 980, 46, 22, 20
	steps := r.FirstCall
	height := 60 + len(steps)*(boxH+gap)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="12">`+"\n", width, height)
	b.WriteString(`<defs><marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15">%s: %s (%s)</text>`+"\n", left, html.EscapeString(r.File), html.EscapeString(referenceName(r.Symbol, r.Version)), r.Mode)
	for i, s := range steps {
		y := 40 + i*(boxH+gap)
		fill, addr := "#e8f0fe", stepPlace(s)
		if s.InLoader {
			fill = "#fde8e8"
		}
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#555"/>`+"\n", left, y, width-2*left, boxH, fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", left+10, y+18, html.EscapeString(addr+"  "+clip(s.What, 120)))
		if s.Source != "" {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#666">glibc: %s</text>`+"\n", left+10, y+36, html.EscapeString(clip(s.Source, 120)))
		}
		if i+1 < len(steps) {
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333" marker-end="url(#arrow)"/>`+"\n", width/2, y+boxH, width/2, y+boxH+gap)
		}
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// stepPlace is where a step happens: its address in the file, the
// loader, or "-" for the function, which is in another object.
func stepPlace(s chainStep) string {
	switch {
	case s.InLoader:
		return "(ld.so)"
	case s.Addr == 0:
		return "-"
	}
	return fmt.Sprintf("%#x", s.Addr)
}

// clip shortens s to n runes for a box of fixed width.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
