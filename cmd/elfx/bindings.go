package main

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// bindingsReport is what `elfx bindings` says of one program.
type bindingsReport struct {
	File     string          `json:"file"`
	Bindings []bindingRecord `json:"bindings"`
	// Errors are the objects whose relocations could not be read.
	Errors []string `json:"errors,omitempty"`
	// Interpositions and Why are filled for --interpose and --why.
	Interpositions []interpositionRecord `json:"interpositions,omitempty"`
	Why            []walkRecord          `json:"why,omitempty"`
	// Host, Mode and Differences are filled for --into: the program the
	// library is dlopened into, the dlopen mode, and the bindings whose
	// answer differs from loading the library on its own.
	Host        string             `json:"host,omitempty"`
	Mode        string             `json:"rtld,omitempty"`
	Differences []differenceRecord `json:"differences,omitempty"`

	bound *inspect.Bindings
}

type bindingRecord struct {
	From      string `json:"from"`
	Symbol    string `json:"symbol"`
	Version   string `json:"version"`
	To        string `json:"to"`
	Reloc     string `json:"reloc"`
	Weak      bool   `json:"weak,omitempty"`      // a weak reference, left at zero when unresolved
	Protected bool   `json:"protected,omitempty"` // the referencing object defines it protected
	IFunc     bool   `json:"ifunc,omitempty"`     // the definition is an IFUNC resolver
	Unique    bool   `json:"unique,omitempty"`    // the definition is STB_GNU_UNIQUE
	Internal  bool   `json:"internal,omitempty"`  // rtld's own lookup (its allocator), not a relocation's
}

type interpositionRecord struct {
	Symbol string   `json:"symbol"`
	Winner string   `json:"winner"`
	Losers []string `json:"losers"`
	Rule   string   `json:"via"` // how the winner came into the link map
}

type differenceRecord struct {
	From    string `json:"from"`
	Symbol  string `json:"symbol"`
	Version string `json:"version"`
	To      string `json:"to"`     // dlopened into the host
	Direct  string `json:"direct"` // loaded on its own
}

type walkRecord struct {
	From    string       `json:"from"`
	Symbol  string       `json:"symbol"`
	Version string       `json:"version"`
	Reloc   string       `json:"reloc"`
	Steps   []stepRecord `json:"steps"`
	To      string       `json:"to"`
	Note    string       `json:"note,omitempty"`
}

type stepRecord struct {
	Object string `json:"object"`
	Reason string `json:"reason,omitempty"` // why it was passed over; "" where the lookup stopped
}

func runBindings(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bindings", "[--format text|json] [--env K=V]... [--root DIR] [--why SYMBOL | --interpose | --unresolved] FILE...", stderr)
	format := formatFlag(fs, "text", "json")
	loaderConfig := loaderFlags(fs)
	why := fs.String("why", "", "show the scope walk of every lookup of `SYMBOL`: each object looked at and why it was passed over")
	interpose := fs.Bool("interpose", false, "list the symbols defined by more than one object: the definition lookups take and the ones they pass over")
	unresolved := fs.Bool("unresolved", false, "list only the strong references no object defines, as ldd -r does")
	into := fs.String("into", "", "predict the bindings of each FILE dlopened by the program `HOST` once it runs")
	rtld := &oneOf{"local", []string{"local", "global", "deepbind"}}
	fs.Var(rtld, "rtld", "with --into, the dlopen `mode`: local, global or deepbind")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 || btoi(*why != "")+btoi(*interpose)+btoi(*unresolved) > 1 {
		return badUsage(fs, err)
	}
	mode := map[string]inspect.DlopenMode{"local": inspect.RTLDLocal, "global": inspect.RTLDGlobal, "deepbind": inspect.RTLDDeepbind}[rtld.value]
	rv := inspect.NewResolver(loaderConfig())
	analyze := func(path string) (*bindingsReport, error) {
		var r *bindingsReport
		var err error
		if *into != "" {
			r, err = analyzeDlopen(rv, *into, path, mode)
		} else {
			r, err = analyzeBindings(rv, path)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case *why != "":
			r.Why = whyRecords(r.bound.Why(*why))
			if len(r.Why) == 0 {
				return nil, fmt.Errorf("%s: no object of its link map refers to %s", path, *why)
			}
		case *interpose:
			r.Interpositions = interpositionRecords(r.bound.Interpositions())
		case *unresolved:
			r.Bindings = bindingRecords(r.bound, (*inspect.Binding).Unresolved)
		default:
			r.Bindings = bindingRecords(r.bound, nil)
		}
		return r, nil
	}
	render := renderBindings
	switch {
	case *why != "":
		render = renderWhy
	case *interpose:
		render = renderInterpositions
	case *unresolved:
		render = renderUnresolved
	}
	hasUnresolved := func(r *bindingsReport) bool {
		for _, b := range r.bound.Bindings {
			if b.Unresolved() {
				return true
			}
		}
		return false
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, render, hasUnresolved)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func analyzeBindings(rv *inspect.Resolver, path string) (*bindingsReport, error) {
	lm, err := rv.Resolve(path)
	if err != nil {
		return nil, err
	}
	bound, err := inspect.Bind(lm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &bindingsReport{File: path, Bindings: []bindingRecord{}, bound: bound}
	for _, err := range bound.Errors {
		r.Errors = append(r.Errors, err.Error())
	}
	return r, nil
}

// analyzeDlopen predicts the bindings of dlopen(path, mode) called by
// host, and where they differ from path loaded on its own.
func analyzeDlopen(rv *inspect.Resolver, host, path string, mode inspect.DlopenMode) (*bindingsReport, error) {
	lm, err := rv.Resolve(host)
	if err != nil {
		return nil, err
	}
	d, err := lm.Dlopen(path, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", host, err)
	}
	bound, err := inspect.BindDlopen(d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r := &bindingsReport{File: path, Bindings: []bindingRecord{}, bound: bound, Host: host, Mode: mode.String()}
	for _, err := range bound.Errors {
		r.Errors = append(r.Errors, err.Error())
	}
	if alone, err := rv.Resolve(path); err == nil {
		if direct, err := inspect.Bind(alone); err == nil {
			r.Differences = differences(bound, direct)
		}
	}
	return r, nil
}

// differences are the bindings of the objects dlopen loaded whose answer
// is not the one they get when the library is loaded on its own.
func differences(into, direct *inspect.Bindings) []differenceRecord {
	// The library and its dependencies may be spelled otherwise when it
	// is loaded on its own ($ORIGIN of another path): objects are matched
	// by file.
	type key struct {
		from            *inspect.Object
		symbol, version string
	}
	sameAs := func(o *inspect.Object, in []inspect.Binding) *inspect.Object {
		for _, b := range in {
			if b.From.SameFile(o) || b.From.Path == o.Path {
				return b.From
			}
		}
		return nil
	}
	alone := map[key]*inspect.Object{}
	for _, b := range direct.Bindings {
		if b.To != nil {
			alone[key{b.From, b.Symbol, b.Version}] = b.To
		}
	}
	counterpart := map[*inspect.Object]*inspect.Object{}
	var out []differenceRecord
	seen := map[key]bool{}
	for _, b := range into.Bindings {
		from, ok := counterpart[b.From]
		if !ok {
			from = sameAs(b.From, direct.Bindings)
			counterpart[b.From] = from
		}
		k := key{b.From, b.Symbol, b.Version}
		d, ok := alone[key{from, b.Symbol, b.Version}]
		if from == nil || !ok || b.To == nil || b.To.SameFile(d) || b.To.Path == d.Path || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, differenceRecord{From: b.From.Path, Symbol: b.Symbol, Version: b.Version, To: b.To.Path, Direct: d.Path})
	}
	return out
}

// bindingRecords are the records of the bindings keep accepts, or of all
// when keep is nil.
func bindingRecords(bound *inspect.Bindings, keep func(*inspect.Binding) bool) []bindingRecord {
	out := make([]bindingRecord, 0, len(bound.Bindings))
	for i := range bound.Bindings {
		b := &bound.Bindings[i]
		if keep != nil && !keep(b) {
			continue
		}
		rec := bindingRecord{
			From: b.From.Path, Symbol: b.Symbol, Version: b.Version, Reloc: b.Reloc,
			Weak: b.Weak, Protected: b.Protected, Internal: b.Internal,
		}
		if b.To != nil && b.Def != nil {
			rec.To = b.To.Path
			rec.IFunc = b.Def.Type() == elf.STT_GNU_IFUNC
			rec.Unique = b.Def.Bind() == elfx.STB_GNU_UNIQUE
		}
		out = append(out, rec)
	}
	return out
}

func whyRecords(walks []inspect.Walk) []walkRecord {
	var out []walkRecord
	for _, w := range walks {
		rec := walkRecord{From: w.Binding.From.Path, Symbol: w.Binding.Symbol, Version: w.Binding.Version, Reloc: w.Binding.Reloc, Note: w.Note}
		if w.Binding.To != nil {
			rec.To = w.Binding.To.Path
		}
		for _, s := range w.Steps {
			rec.Steps = append(rec.Steps, stepRecord{Object: s.Object.Path, Reason: s.Reason})
		}
		out = append(out, rec)
	}
	return out
}

func interpositionRecords(ips []inspect.Interposition) []interpositionRecord {
	out := []interpositionRecord{}
	for _, ip := range ips {
		winner := ip.Definers[0].Object
		rec := interpositionRecord{Symbol: ip.Symbol, Winner: winner.Path, Rule: string(winner.Rule)}
		for _, d := range ip.Definers[1:] {
			rec.Losers = append(rec.Losers, d.Object.Path)
		}
		out = append(out, rec)
	}
	return out
}

// renderBindings prints the bindings grouped by the object whose
// relocations make them, in the order the loader relocates the objects.
func renderBindings(w io.Writer, r *bindingsReport) error {
	for i := 0; i < len(r.Bindings); {
		from := r.Bindings[i].From
		var rows [][]string
		for ; i < len(r.Bindings) && r.Bindings[i].From == from; i++ {
			b := r.Bindings[i]
			reloc := b.Reloc
			if b.Internal {
				reloc = "(rtld's allocator)"
			}
			rows = append(rows, []string{b.Symbol, b.Version, reloc, bindingTarget(b)})
		}
		fmt.Fprintf(w, "%s (%d):\n", from, len(rows))
		if err := writeTable(w, []string{"  SYMBOL", "VERSION", "RELOC", "BOUND TO"}, indent(rows)); err != nil {
			return err
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	if r.Host != "" {
		fmt.Fprintf(w, "dlopen(%s, %s) from %s: %d bindings differ from loading it on its own\n", r.File, r.Mode, r.Host, len(r.Differences))
		for _, d := range r.Differences {
			fmt.Fprintf(w, "  %s: %s binds to %s, not %s\n", d.From, referenceName(d.Symbol, d.Version), d.To, d.Direct)
		}
	}
	return nil
}

// referenceName spells a reference as name@VERSION, or name alone.
func referenceName(symbol, version string) string {
	if version == "" {
		return symbol
	}
	return symbol + "@" + version
}

// bindingTarget says where a binding goes, with what is special about it.
func bindingTarget(b bindingRecord) string {
	if b.To == "" {
		if b.Weak {
			return "nothing (weak: left at 0)"
		}
		return "UNDEFINED"
	}
	var marks []string
	for _, m := range []struct {
		on   bool
		name string
	}{{b.Protected, "protected"}, {b.IFunc, "ifunc"}, {b.Unique, "unique"}} {
		if m.on {
			marks = append(marks, m.name)
		}
	}
	if len(marks) == 0 {
		return b.To
	}
	return b.To + " (" + strings.Join(marks, ", ") + ")"
}

func indent(rows [][]string) [][]string {
	for _, row := range rows {
		row[0] = "  " + row[0]
	}
	return rows
}

// renderUnresolved prints ldd -r's complaint for each strong reference no
// object defines.
func renderUnresolved(w io.Writer, r *bindingsReport) error {
	for _, b := range r.Bindings {
		sym := b.Symbol
		if b.Version != "" {
			sym += ", version " + b.Version
		}
		if _, err := fmt.Fprintf(w, "undefined symbol: %s\t(%s)\n", sym, b.From); err != nil {
			return err
		}
	}
	return nil
}

// renderWhy prints each scope walk: the objects in the order the loader
// looked at them, why each was passed over, and where it stopped.
func renderWhy(w io.Writer, r *bindingsReport) error {
	for i, wk := range r.Why {
		if i > 0 {
			fmt.Fprintln(w)
		}
		ver := ""
		if wk.Version != "" {
			ver = " version " + wk.Version
		}
		fmt.Fprintf(w, "%s looks up %s%s (%s):\n", wk.From, wk.Symbol, ver, wk.Reloc)
		for _, s := range wk.Steps {
			verdict := "defines it: taken"
			if s.Reason != "" {
				verdict = s.Reason
			}
			fmt.Fprintf(w, "  %s: %s\n", s.Object, verdict)
		}
		to := wk.To
		if to == "" {
			to = "nothing"
		}
		fmt.Fprintf(w, "  => %s\n", to)
		if wk.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", wk.Note)
		}
	}
	return nil
}

// renderInterpositions prints each symbol defined more than once with the
// definition lookups take and the ones they pass over.
func renderInterpositions(w io.Writer, r *bindingsReport) error {
	for _, ip := range r.Interpositions {
		if _, err := fmt.Fprintf(w, "%s: %s (%s) wins over %s\n", ip.Symbol, ip.Winner, ip.Rule, strings.Join(ip.Losers, ", ")); err != nil {
			return err
		}
	}
	return nil
}
