package main

import (
	"fmt"
	"io"
	"os"

	"github.com/elfx/elfx/compat"
)

// diffReport is what `elfx compat diff` says of two libraries.
type diffReport struct {
	Old        string         `json:"old"`
	New        string         `json:"new"`
	Compatible bool           `json:"compatible"`
	Changes    []changeRecord `json:"changes"`
}

type changeRecord struct {
	Kind     string `json:"kind"`
	Symbol   string `json:"symbol"`
	Breaking bool   `json:"breaking"`
	Detail   string `json:"detail"`
}

func runCompatDiff(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compat diff", "[--format text|json|sarif] [--consumer BIN]... [--suppress FILE] OLD NEW", stderr)
	format := formatFlag(fs, "text", "json", "sarif")
	var opts compat.DiffOptions
	fs.Func("consumer", "judge only what the binary `BIN`, built against OLD, uses; repeatable", func(s string) error {
		opts.Consumers = append(opts.Consumers, s)
		return nil
	})
	suppress := fs.String("suppress", "", "drop the changes the rules in `FILE` match: lines \"KIND PATTERN\", e.g. \"symbol-removed internal_*\"")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) != 2 {
		return badUsage(fs, err)
	}
	if *suppress != "" {
		text, err := os.ReadFile(*suppress)
		if err == nil {
			opts.Suppress, err = compat.ParseSuppressions(*suppress, string(text))
		}
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			return exitUsage
		}
	}
	d, err := guardFaults(paths[0]+" or "+paths[1], func() (*compat.DiffReport, error) { return compat.Diff(paths[0], paths[1], opts) })
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	r := &diffReport{Old: d.Old, New: d.New, Compatible: d.Compatible, Changes: []changeRecord{}}
	for _, c := range d.Changes {
		r.Changes = append(r.Changes, changeRecord{c.Kind, c.Symbol, c.Breaking, c.Detail})
	}
	switch format.value {
	case "json":
		err = newJSONEncoder(stdout).Encode(r)
	case "sarif":
		log := newSARIFLog()
		log.addDiff(r)
		err = writeSARIF(stdout, log)
	default:
		err = renderDiff(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	if !r.Compatible {
		return exitFinding
	}
	return exitOK
}

// renderDiff prints the verdict, the breaking changes, then the others.
func renderDiff(w io.Writer, r *diffReport) error {
	verdict := "compatible: binaries built against the old library work with the new one"
	if !r.Compatible {
		verdict = "INCOMPATIBLE: binaries built against the old library may fail with the new one"
	}
	fmt.Fprintf(w, "%s -> %s: %s\n", r.Old, r.New, verdict)
	for _, breaking := range []bool{true, false} {
		for _, c := range r.Changes {
			if c.Breaking != breaking {
				continue
			}
			mark := "  "
			if breaking {
				mark = "! "
			}
			sym := ""
			if c.Symbol != "" {
				sym = " " + c.Symbol
			}
			if _, err := fmt.Fprintf(w, "%s%s%s: %s\n", mark, c.Kind, sym, c.Detail); err != nil {
				return err
			}
		}
	}
	return nil
}
