package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/inspect"
)

// verifyReport is what `elfx verify` says of one file.
type verifyReport struct {
	File       string           `json:"file"`
	OK         bool             `json:"ok"`
	Mode       string           `json:"mode"`  // "trace" (every lookup, nothing run), "run" (the lookups of a real run) or "dlopen" (a plugin's load by a runner)
	Agree      int              `json:"agree"` // references on which elfx and the loader agree
	Unchecked  int              `json:"unchecked"`
	Mismatches []mismatchRecord `json:"mismatches"`
	Exit       *int             `json:"exit,omitempty"`        // the program's exit status, with --run
	Loader     string           `json:"loader,omitempty"`      // the runner, with --loader
	DlopenMode string           `json:"dlopen_mode,omitempty"` // its dlopen flags
}

type mismatchRecord struct {
	From      string   `json:"from"`
	Symbol    string   `json:"symbol"`
	Version   string   `json:"version"`
	Predicted []string `json:"predicted"` // "" stands for undefined
	Loader    []string `json:"loader"`
	Reason    string   `json:"reason"`
}

// verifyTimeout bounds one file's trace: the loader maps and relocates,
// it does not run the program.
const verifyTimeout = 2 * time.Minute

func runVerify(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", "[--format text|json] [--env K=V]... FILE... | --run FILE [-- ARG...] | --loader purego|cgo|goplugin PLUGIN...", stderr)
	format := formatFlag(fs, "text", "json")
	loaderConfig := loaderFlags(fs)
	run := fs.Bool("run", false, "run FILE for real with the arguments after it (lazy binding) and check every lookup the run made")
	loader := &oneOf{"", slices.Sorted(maps.Keys(dl.PluginLoads))}
	fs.Var(loader, "loader", "load each PLUGIN with this `runner` of elfx run (purego, cgo or goplugin) and check the lookups its dlopen made")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	cfg := loaderConfig()
	if cfg.Root != "" || cfg.Secure || cfg.HWCaps != nil {
		fmt.Fprintln(stderr, "elfx verify: --root, --secure and --hwcaps describe another machine or mode than the loader here runs in")
		return exitUsage
	}
	failed := func(r *verifyReport) bool { return !r.OK }
	if loader.value != "" {
		runner, err := runnerPath()
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			return exitUsage
		}
		analyze := func(path string) (*verifyReport, error) {
			ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
			defer cancel()
			v, err := dl.VerifyPlugin(ctx, runner, loader.value, path, cfg)
			if err != nil {
				return nil, err
			}
			r := verifyRecord(v, "dlopen")
			r.Loader, r.DlopenMode = loader.value, dl.PluginLoads[loader.value].Mode.String()+"|RTLD_NOW"
			return r, nil
		}
		return reportFiles(paths, format.value, stdout, stderr, analyze, renderVerify, failed)
	}
	if *run {
		file, progArgs := paths[0], paths[1:]
		analyze := func(string) (*verifyReport, error) { return verifyRun(file, progArgs, cfg, stderr) }
		return reportFiles([]string{file}, format.value, stdout, stderr, analyze, renderVerify, failed)
	}
	analyze := func(path string) (*verifyReport, error) {
		ctx, cancel := context.WithTimeout(context.Background(), verifyTimeout)
		defer cancel()
		v, _, err := dl.Verify(ctx, path, cfg)
		if err != nil {
			return nil, err
		}
		return verifyRecord(v, "trace"), nil
	}
	return reportFiles(paths, format.value, stdout, stderr, analyze, renderVerify, failed)
}

// verifyRun predicts the bindings of file, runs it with args, and checks
// the lookups the run made; the program's output goes to stderr.
func verifyRun(file string, args []string, cfg inspect.Config, stderr io.Writer) (*verifyReport, error) {
	lm, err := inspect.Resolve(file, cfg)
	if err != nil {
		return nil, err
	}
	pred, err := inspect.Bind(lm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var env []string
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		env = append(env, k+"="+cfg.Env[k])
	}
	log, exit, err := dl.RunBindings(context.Background(), file, args, env, stderr, stderr)
	if err != nil {
		return nil, err
	}
	r := verifyRecord(dl.Compare(pred, log, true), "run")
	r.Exit = &exit
	return r, nil
}

func verifyRecord(v *dl.Verification, mode string) *verifyReport {
	r := &verifyReport{File: v.File, OK: v.OK(), Mode: mode, Agree: v.Agree, Unchecked: v.Unchecked, Mismatches: []mismatchRecord{}}
	for _, m := range v.Mismatches {
		r.Mismatches = append(r.Mismatches, mismatchRecord{m.From, m.Symbol, m.Version, orNone(m.Predicted), orNone(m.Loader), m.Reason()})
	}
	return r
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// renderVerify prints the verdict, then each mismatch.
func renderVerify(w io.Writer, r *verifyReport) error {
	what := "every lookup the loader made (trace mode, LD_BIND_NOW)"
	switch r.Mode {
	case "run":
		what = fmt.Sprintf("the lookups of a real run (exit status %d)", *r.Exit)
	case "dlopen":
		what = fmt.Sprintf("the lookups of its load by elfx run --loader %s (dlopen %s)", r.Loader, r.DlopenMode)
	}
	verdict := "agree"
	if !r.OK {
		verdict = fmt.Sprintf("DIFFER on %d references", len(r.Mismatches))
	}
	fmt.Fprintf(w, "elfx and the loader %s: %d references checked against %s", verdict, r.Agree+len(r.Mismatches), what)
	if r.Unchecked > 0 {
		fmt.Fprintf(w, "; %d lookups unchecked", r.Unchecked)
	}
	fmt.Fprintln(w)
	for _, m := range r.Mismatches {
		fmt.Fprintf(w, "  %s looks up %s: elfx %s, loader %s (%s)\n", m.From, referenceName(m.Symbol, m.Version), definitions(m.Predicted), definitions(m.Loader), m.Reason)
	}
	return nil
}

// definitions spells a list of defining objects, "" being undefined.
func definitions(objs []string) string {
	if len(objs) == 0 {
		return "no lookup"
	}
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o
		if o == "" {
			out[i] = "undefined"
		}
	}
	return strings.Join(out, ", ")
}
