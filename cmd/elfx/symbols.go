package main

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// symbolsReport is what `elfx symbols` says of one file.
type symbolsReport struct {
	File    string         `json:"file"`
	Symbols []symbolRecord `json:"symbols"`
	class   elf.Class
}

type symbolRecord struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	Default    bool   `json:"default"` // a defined name@@VERSION
	Library    string `json:"library,omitempty"`
	Value      uint64 `json:"value"`
	Size       uint64 `json:"size"`
	Type       string `json:"type"`
	Bind       string `json:"bind"`
	Visibility string `json:"visibility"`
	Section    string `json:"section"` // UND, ABS, COMMON or the section index
	versionNdx uint16
}

func runSymbols(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("symbols", "[--format text|json] [--defined|--undefined] FILE...", stderr)
	format := formatFlag(fs, "text", "json")
	defined := fs.Bool("defined", false, "list only the symbols the file defines")
	undefined := fs.Bool("undefined", false, "list only the symbols the file needs from others")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	if *defined && *undefined {
		fmt.Fprintln(stderr, "elfx symbols: --defined and --undefined exclude each other")
		return exitUsage
	}
	keep := func(s *elfx.Symbol) bool {
		return !*defined && !*undefined || *defined == s.Defined()
	}
	analyze := func(path string) (*symbolsReport, error) { return analyzeSymbols(path, keep) }
	return reportFiles(paths, format.value, stdout, stderr, analyze, renderSymbols, nil)
}

func analyzeSymbols(path string, keep func(*elfx.Symbol) bool) (*symbolsReport, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := f.DynamicSymbols()
	if err != nil {
		return nil, err
	}
	r := &symbolsReport{File: path, Symbols: []symbolRecord{}, class: f.Class}
	for i := range syms {
		s := &syms[i]
		if i == 0 || !keep(s) {
			continue
		}
		r.Symbols = append(r.Symbols, symbolRecord{
			Index: i, Name: s.Name, Version: s.Version, Default: s.DefaultVersion(), Library: s.Library,
			Value: s.Value, Size: s.Size,
			Type:       elfx.SymTypeName(s.Type()),
			Bind:       elfx.SymBindName(s.Bind()),
			Visibility: strings.TrimPrefix(s.Visibility().String(), "STV_"),
			Section:    sectionName(s.Section),
			versionNdx: s.VersionIndex.Index(),
		})
	}
	return r, nil
}

// sectionName spells st_shndx as readelf's Ndx column does.
func sectionName(i elf.SectionIndex) string {
	switch i {
	case elf.SHN_UNDEF:
		return "UND"
	case elf.SHN_ABS:
		return "ABS"
	case elf.SHN_COMMON:
		return "COMMON"
	}
	return fmt.Sprint(uint16(i))
}

func renderSymbols(w io.Writer, r *symbolsReport) error {
	width := 16
	if r.class == elf.ELFCLASS32 {
		width = 8
	}
	rows := make([][]string, len(r.Symbols))
	for i, s := range r.Symbols {
		rows[i] = []string{
			fmt.Sprint(s.Index), fmt.Sprintf("%0*x", width, s.Value), fmt.Sprint(s.Size),
			s.Type, s.Bind, s.Visibility, s.Section, versionedName(s),
		}
	}
	return writeTable(w, []string{"Num", "Value", "Size", "Type", "Bind", "Vis", "Ndx", "Name"}, rows)
}

// versionedName spells a symbol with its version as readelf does:
// name@@V for a default definition, name@V for a hidden one, and
// name@V (n) for a reference with its version index.
func versionedName(s symbolRecord) string {
	switch {
	case s.Version == "":
		return s.Name
	case s.Section == "UND":
		return fmt.Sprintf("%s@%s (%d)", s.Name, s.Version, s.versionNdx)
	case s.Default:
		return s.Name + "@@" + s.Version
	}
	return s.Name + "@" + s.Version
}
