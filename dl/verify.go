package dl

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/elfx/elfx/inspect"
)

// Verification is a prediction of the loader's symbol lookups checked
// against what the loader reported.
type Verification struct {
	File string
	// Agree counts the references (object, symbol, version) for which
	// the prediction and the loader name the same definitions.
	Agree int
	// Mismatches are the references on which they differ, or which only
	// one of them has.
	Mismatches []Mismatch
	// Unchecked counts the lookups only one side could show: in trace
	// mode rtld's own (its relocations, its allocator), which it makes
	// only when the program really starts; in a real run those of the
	// objects the program dlopened.
	Unchecked int
}

// OK reports whether the prediction and the loader agree.
func (v *Verification) OK() bool { return len(v.Mismatches) == 0 }

// Mismatch is one reference on which the prediction and the loader
// differ: the definitions each found, by object, "" for an undefined
// strong reference; an empty list when that side made no such lookup.
type Mismatch struct {
	From, Symbol, Version string
	Predicted             []string
	Loader                []string
}

// Reason says what kind of mismatch it is.
func (m Mismatch) Reason() string {
	switch {
	case len(m.Predicted) == 0:
		return "the loader made a lookup elfx did not predict"
	case len(m.Loader) == 0:
		return "elfx predicted a lookup the loader did not make"
	}
	return "different definitions"
}

// Verify predicts the bindings of path's link map and checks them
// against the loader relocating it in trace mode (TraceBindings), with
// cfg's environment passed to both.
func Verify(ctx context.Context, path string, cfg inspect.Config) (*Verification, *inspect.Bindings, error) {
	lm, err := inspect.Resolve(path, cfg)
	if err != nil {
		return nil, nil, err
	}
	pred, err := inspect.Bind(lm)
	if err != nil {
		return nil, nil, err
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		env = append(env, k+"="+cfg.Env[k])
	}
	log, err := TraceBindings(ctx, path, env)
	if err != nil {
		return nil, pred, err
	}
	return Compare(pred, log, false), pred, nil
}

// Compare checks predicted bindings against a loader's log, reference by
// reference: the set of definitions each side found for an object's
// lookups of a symbol and version (a copy relocation and a GOT slot of
// one symbol may find two). The loader names the program by the path it
// was given, "./" put before a bare name. With partial, the log is of a
// real run with lazy binding, which makes only the lookups the run
// needed: a predicted lookup missing from it is no mismatch, and the
// lookups of objects dlopened while it ran are counted as unchecked.
// Otherwise
// the log is of trace mode, which does not relocate the interpreter: the
// interpreter's lookups are counted as unchecked.
func Compare(pred *inspect.Bindings, log *DebugLog, partial bool) *Verification {
	main := pred.LinkMap.Objects[0]
	name := func(o *inspect.Object) string {
		if o == main && !strings.Contains(o.Path, "/") {
			return "./" + o.Path
		}
		return o.Path
	}
	objects := map[string]bool{}
	for _, o := range pred.LinkMap.Objects {
		objects[name(o)] = true
	}
	c := comparison{
		v:       &Verification{File: main.Path},
		name:    name,
		partial: partial,
		logged: func(from string) lookupKind {
			if partial && !objects[from] {
				return uncheckedLookup // dlopened while the program ran
			}
			return checkedLookup
		},
	}
	return c.run(pred, log)
}

// CompareDlopen checks the lookups a dlopen made, as a program's loader
// logged them, against their prediction (inspect.BindDlopen of d). Only
// the lookups from the objects the dlopen loaded count; the program's own
// are ignored. The library must have been opened with RTLD_NOW, which
// makes all of them at once: a predicted lookup the loader did not make
// is a mismatch.
func CompareDlopen(d *inspect.Dlopened, pred *inspect.Bindings, log *DebugLog) *Verification {
	loaded := map[string]bool{}
	for _, o := range d.Loaded {
		loaded[o.Path] = true
	}
	c := comparison{
		v:    &Verification{File: d.Library.Path},
		name: func(o *inspect.Object) string { return o.Path },
		logged: func(from string) lookupKind {
			if loaded[from] {
				return checkedLookup
			}
			return ignoredLookup
		},
	}
	return c.run(pred, log)
}

// lookupKind is what a comparison does with a lookup in the log.
type lookupKind int

const (
	checkedLookup   lookupKind = iota
	uncheckedLookup            // counted in Unchecked
	ignoredLookup              // outside what is verified
)

// A comparison is the reference-by-reference check of Compare and
// CompareDlopen.
type comparison struct {
	v       *Verification
	name    func(*inspect.Object) string // as the loader names an object
	logged  func(from string) lookupKind
	partial bool // a lookup predicted but not logged is no mismatch
}

func (c *comparison) run(pred *inspect.Bindings, log *DebugLog) *Verification {
	v := c.v
	type ref struct{ from, symbol, version string }
	predicted := map[ref]map[string]bool{}
	for _, b := range pred.Bindings {
		if (b.From.IsInterpreter() || b.Internal) && !c.partial {
			v.Unchecked++ // rtld's own lookups come after trace mode stops
			continue
		}
		if b.To == nil && b.Weak {
			continue // left at zero: the loader prints nothing
		}
		k := ref{c.name(b.From), b.Symbol, b.Version}
		if predicted[k] == nil {
			predicted[k] = map[string]bool{}
		}
		to := ""
		if b.To != nil {
			to = c.name(b.To)
		}
		predicted[k][to] = true
	}
	loader := map[ref]map[string]bool{}
	add := func(k ref, to string) {
		switch c.logged(k.from) {
		case uncheckedLookup:
			v.Unchecked++
			return
		case ignoredLookup:
			return
		}
		if loader[k] == nil {
			loader[k] = map[string]bool{}
		}
		loader[k][to] = true
	}
	for _, b := range log.Bindings {
		if b.From == vdsoName || b.FromNS != 0 {
			continue // the vDSO is the kernel's; other namespaces are dlmopen's
		}
		add(ref{b.From, b.Symbol, b.Version}, b.To)
	}
	for _, u := range log.Undefined {
		add(ref{u.Object, u.Symbol, u.Version}, "")
	}
	for k, got := range loader {
		want := predicted[k]
		if maps.Equal(want, got) {
			v.Agree++
			continue
		}
		v.Mismatches = append(v.Mismatches, Mismatch{k.from, k.symbol, k.version, sortedKeys(want), sortedKeys(got)})
	}
	if !c.partial {
		for k, want := range predicted {
			if loader[k] == nil {
				v.Mismatches = append(v.Mismatches, Mismatch{k.from, k.symbol, k.version, sortedKeys(want), nil})
			}
		}
	}
	sort.Slice(v.Mismatches, func(i, j int) bool {
		a, b := v.Mismatches[i], v.Mismatches[j]
		return a.From+"\x00"+a.Symbol+"\x00"+a.Version < b.From+"\x00"+b.Symbol+"\x00"+b.Version
	})
	return v
}

// vdsoName is how the loader names the vDSO, which elfx leaves out.
const vdsoName = "linux-vdso.so.1"

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
