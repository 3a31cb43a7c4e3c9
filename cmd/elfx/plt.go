package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// pltReport is what `elfx plt` says of one file.
type pltReport struct {
	File    string     `json:"file"`
	Machine string     `json:"machine"`
	BindNow bool       `json:"bind_now"`
	RELRO   string     `json:"relro"`   // "full", "partial" or "none": whether the slots are read-only once relocated
	GOT     uint64     `json:"got"`     // DT_PLTGOT: GOT[1] gets the link_map, GOT[2] the resolver
	PLT0    uint64     `json:"plt0"`    // the stub lazy slots lead to; 0 when there is none
	Entries []pltEntry `json:"entries"` // one per slot calls go through
}

type pltEntry struct {
	Symbol  string `json:"symbol"`
	Version string `json:"version"`
	PLT     uint64 `json:"plt"` // the address a call targets; 0 when calls go through the slot directly
	GOT     uint64 `json:"got"` // the slot
	Initial uint64 `json:"initial"`
	Reloc   string `json:"reloc"`
	Section string `json:"section,omitempty"` // the stub's section
	Lazy    bool   `json:"lazy"`              // filled at the first call
	// Resolver is, for an IRELATIVE slot (symbol ""), the IFUNC resolver
	// whose answer fills it at load.
	Resolver uint64 `json:"resolver,omitempty"`
}

func runPLT(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("plt", "[--format text|json] FILE...", stderr)
	format := formatFlag(fs, "text", "json")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	return reportFiles(paths, format.value, stdout, stderr, analyzePLT, renderPLT, nil)
}

// openPLT opens the file at path and maps its PLT; the caller closes the
// file.
func openPLT(path string) (*elfx.File, *inspect.PLT, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, nil, err
	}
	p, err := inspect.ReadPLT(f)
	if err != nil {
		f.Close()
		// The file's format errors name it already.
		if fe := (*elfx.FormatError)(nil); !errors.As(err, &fe) || fe.File == "" {
			err = fmt.Errorf("%s: %w", path, err)
		}
		return nil, nil, err
	}
	return f, p, nil
}

func analyzePLT(path string) (*pltReport, error) {
	f, p, err := openPLT(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	r := &pltReport{
		File: path, Machine: machineName(p.Machine), BindNow: p.BindNow, RELRO: p.RELRO,
		GOT: p.GOT, PLT0: p.PLT0, Entries: []pltEntry{},
	}
	for _, e := range p.Entries {
		r.Entries = append(r.Entries, pltEntry{
			Symbol: e.Symbol, Version: e.Version, PLT: e.Stub, GOT: e.Slot,
			Initial: e.Initial, Reloc: e.Reloc, Section: e.Section, Lazy: e.Lazy, Resolver: e.Resolver,
		})
	}
	return r, nil
}

// renderPLT prints the file's binding mode, then a row per slot.
func renderPLT(w io.Writer, r *pltReport) error {
	mode := "lazy: a JUMP_SLOT is filled at the first call"
	if r.BindNow {
		mode = "bind-now: every slot is filled at load"
	}
	fmt.Fprintf(w, "%s, %s; RELRO %s\n", r.Machine, mode, r.RELRO)
	if r.BindNow {
		fmt.Fprintf(w, "GOT %#x (GOT[1] and GOT[2] stay empty: nothing is resolved lazily); PLT0 %s\n", r.GOT, hexOrNone(r.PLT0))
	} else {
		fmt.Fprintf(w, "GOT %#x (GOT[1] link_map, GOT[2] resolver, filled at load); PLT0 %s\n", r.GOT, hexOrNone(r.PLT0))
	}
	rows := make([][]string, 0, len(r.Entries))
	for _, e := range r.Entries {
		stub := "-"
		if e.PLT != 0 {
			stub = fmt.Sprintf("%#x %s", e.PLT, e.Section)
		}
		name := referenceName(e.Symbol, e.Version)
		if e.Resolver != 0 {
			name = fmt.Sprintf("(IFUNC resolver %#x)", e.Resolver)
		}
		rows = append(rows, []string{name, stub, fmt.Sprintf("%#x", e.GOT), fmt.Sprintf("%#x", e.Initial), e.Reloc})
	}
	return writeTable(w, []string{"SYMBOL", "STUB", "SLOT", "INITIAL", "RELOC"}, rows)
}

func hexOrNone(v uint64) string {
	if v == 0 {
		return "none"
	}
	return fmt.Sprintf("%#x", v)
}
