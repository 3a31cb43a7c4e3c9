package main

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// infoReport is what `elfx info` says of one file.
type infoReport struct {
	File            string           `json:"file"`
	Class           string           `json:"class"`
	Endian          string           `json:"endian"`
	Machine         string           `json:"machine"`
	Type            string           `json:"type"`
	Entry           uint64           `json:"entry"`
	Interpreter     *string          `json:"interpreter"`
	Soname          string           `json:"soname"`
	Needed          []string         `json:"needed"`
	Rpath           []string         `json:"rpath"`
	Runpath         []string         `json:"runpath"`
	BindNow         bool             `json:"bind_now"`
	Relro           string           `json:"relro"`
	PIE             bool             `json:"pie"`
	Static          bool             `json:"static"`
	ExecStack       bool             `json:"exec_stack"`
	TextRel         bool             `json:"textrel"`
	Symbolic        bool             `json:"symbolic"`
	IBT             bool             `json:"ibt"`
	SHSTK           bool             `json:"shstk"`
	TLS             bool             `json:"tls"`
	Flags           []string         `json:"flags"`
	Flags1          []string         `json:"flags_1"`
	BuildID         string           `json:"build_id"`
	ABITag          string           `json:"abi_tag"`
	ISANeeded       []string         `json:"isa_needed"`
	VersionsNeeded  []versionsNeeded `json:"versions_needed"`
	VersionsDefined []string         `json:"versions_defined"`
	Counts          infoCounts       `json:"counts"`
}

type versionsNeeded struct {
	File     string   `json:"file"`
	Versions []string `json:"versions"`
}

type infoCounts struct {
	ProgramHeaders int `json:"program_headers"`
	SectionHeaders int `json:"section_headers"`
	DynamicEntries int `json:"dynamic_entries"`
	DynamicSymbols int `json:"dynamic_symbols"`
	Defined        int `json:"defined_symbols"`
	Undefined      int `json:"undefined_symbols"`
	Relocations    int `json:"relocations"`
	PLTRelocations int `json:"plt_relocations"`
}

func runInfo(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("info", "[--format text|json] FILE...", stderr)
	format := formatFlag(fs, "text", "json")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	return reportFiles(paths, format.value, stdout, stderr, analyzeInfo, renderInfo, nil)
}

func analyzeInfo(path string) (*infoReport, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &infoReport{
		File:    path,
		Class:   strings.Replace(f.Class.String(), "CLASS", "", 1),
		Endian:  map[elf.Data]string{elf.ELFDATA2LSB: "little", elf.ELFDATA2MSB: "big"}[f.Data],
		Machine: machineName(f.Machine),
		Type:    strings.TrimPrefix(f.Type.String(), "ET_"),
		Entry:   f.Entry,
		Needed:  []string{}, Rpath: []string{}, Runpath: []string{},
		Flags: []string{}, Flags1: []string{}, ISANeeded: []string{},
		VersionsNeeded: []versionsNeeded{}, VersionsDefined: []string{},
		Relro:  "none",
		Counts: infoCounts{ProgramHeaders: len(f.Progs), SectionHeaders: f.ShNum},
	}
	if interp, err := f.Interpreter(); err != nil {
		return nil, err
	} else if interp != "" {
		r.Interpreter = &interp
	}
	d, err := f.Dynamic()
	if err != nil {
		return nil, err
	}
	r.Static = d == nil
	if d != nil {
		r.Soname, r.BindNow, r.TextRel, r.Symbolic = d.Soname, d.BindNow(), d.TextRel(), d.Symbolic()
		r.Needed = append(r.Needed, d.Needed...)
		r.Rpath = append(r.Rpath, d.Rpath...)
		r.Runpath = append(r.Runpath, d.Runpath...)
		r.Flags = flagNames(uint64(d.Flags), func(b uint64) string { return elf.DynFlag(b).String() }, "DF_")
		r.Flags1 = flagNames(uint64(d.Flags1), func(b uint64) string { return elf.DynFlag1(b).String() }, "DF_1_")
		r.Counts.DynamicEntries = len(d.Entries)
	}
	if _, ok := f.Prog(elf.PT_GNU_RELRO); ok {
		r.Relro = "partial"
		if r.BindNow {
			r.Relro = "full"
		}
	}
	r.PIE = f.Type == elf.ET_DYN && (d != nil && d.Flags1&elf.DF_1_PIE != 0 || r.Interpreter != nil && r.Soname == "")
	// Without PT_GNU_STACK the loader keeps its default, an executable stack.
	r.ExecStack = true
	if p, ok := f.Prog(elf.PT_GNU_STACK); ok {
		r.ExecStack = p.Flags&elf.PF_X != 0
	}
	_, r.TLS = f.Prog(elf.PT_TLS)
	if err := addNoteInfo(f, r); err != nil {
		return nil, err
	}
	if err := addSymbolInfo(f, r); err != nil {
		return nil, err
	}
	return r, nil
}

func addNoteInfo(f *elfx.File, r *infoReport) error {
	notes, err := f.Notes()
	if err != nil {
		return err
	}
	for _, n := range notes {
		if n.Owner == "GNU" && n.Type == elfx.NT_GNU_ABI_TAG {
			tag, err := f.ABITag(n)
			if err != nil {
				return err
			}
			r.ABITag = tag.String()
		}
	}
	if r.BuildID, err = f.BuildID(); err != nil {
		return err
	}
	ft, err := f.Features()
	if err != nil {
		return err
	}
	r.IBT, r.SHSTK = ft.IBT || ft.BTI, ft.SHSTK || ft.PAC
	for level, bit := 1, uint32(1); bit <= 8; level, bit = level+1, bit<<1 {
		if ft.ISANeeded&bit != 0 {
			r.ISANeeded = append(r.ISANeeded, isaLevelName(level))
		}
	}
	return nil
}

func isaLevelName(level int) string {
	if level == 1 {
		return "x86-64-baseline"
	}
	return fmt.Sprintf("x86-64-v%d", level)
}

func addSymbolInfo(f *elfx.File, r *infoReport) error {
	for s, err := range f.AllSymbols() {
		switch {
		case err != nil:
			return err
		case r.Counts.DynamicSymbols == 0: // the null symbol
		case s.Defined():
			r.Counts.Defined++
		default:
			r.Counts.Undefined++
		}
		r.Counts.DynamicSymbols++
	}
	needs, err := f.VersionNeeds()
	if err != nil {
		return err
	}
	for _, n := range needs {
		v := versionsNeeded{File: n.File, Versions: []string{}}
		for _, aux := range n.Needs {
			v.Versions = append(v.Versions, aux.Name)
		}
		r.VersionsNeeded = append(r.VersionsNeeded, v)
	}
	defs, err := f.VersionDefs()
	if err != nil {
		return err
	}
	for _, d := range defs {
		if d.Flags&elf.VER_FLG_BASE == 0 {
			r.VersionsDefined = append(r.VersionsDefined, d.Name)
		}
	}
	tables, err := f.RelocTables()
	if err != nil {
		return err
	}
	for _, t := range tables {
		n := 0
		for range t.All() {
			n++
		}
		if t.Tag == elf.DT_JMPREL {
			r.Counts.PLTRelocations += n
		} else {
			r.Counts.Relocations += n
		}
	}
	return nil
}

// machineName spells a machine as uname -m does for the common ones and
// as debug/elf's name without EM_ for the rest.
func machineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
}

// flagNames lists the bits set in v by their debug/elf names without
// prefix (BIND_NOW, NOW, PIE), as readelf prints them; unknown bits as hex.
func flagNames(v uint64, name func(bit uint64) string, prefix string) []string {
	names := []string{}
	for bit := uint64(1); bit != 0 && bit <= v; bit <<= 1 {
		if v&bit == 0 {
			continue
		}
		n := name(bit)
		if strings.HasPrefix(n, prefix) {
			names = append(names, strings.TrimPrefix(n, prefix))
		} else {
			names = append(names, fmt.Sprintf("%#x", bit))
		}
	}
	return names
}

func renderInfo(w io.Writer, r *infoReport) error {
	interp := "none"
	if r.Interpreter != nil {
		interp = *r.Interpreter
	}
	needs := make([]string, len(r.VersionsNeeded))
	for i, n := range r.VersionsNeeded {
		needs[i] = n.File + ": " + strings.Join(n.Versions, " ")
	}
	c := r.Counts
	rows := [][]string{
		{"class", r.Class + " " + r.Endian + "-endian"},
		{"machine", r.Machine},
		{"type", r.Type},
		{"entry", fmt.Sprintf("%#x", r.Entry)},
		{"interpreter", interp},
		{"soname", r.Soname},
		{"needed", strings.Join(r.Needed, " ")},
		{"rpath", strings.Join(r.Rpath, ":")},
		{"runpath", strings.Join(r.Runpath, ":")},
		{"flags", strings.Join(append(append([]string{}, r.Flags...), r.Flags1...), " ")},
		{"bind now", yesNo(r.BindNow)},
		{"relro", r.Relro},
		{"pie", yesNo(r.PIE)},
		{"static", yesNo(r.Static)},
		{"exec stack", yesNo(r.ExecStack)},
		{"textrel", yesNo(r.TextRel)},
		{"symbolic", yesNo(r.Symbolic)},
		{"ibt", yesNo(r.IBT)},
		{"shstk", yesNo(r.SHSTK)},
		{"tls", yesNo(r.TLS)},
		{"isa needed", strings.Join(r.ISANeeded, " ")},
		{"build id", r.BuildID},
		{"abi tag", r.ABITag},
		{"versions needed", strings.Join(needs, "; ")},
		{"versions defined", strings.Join(r.VersionsDefined, " ")},
		{"counts", fmt.Sprintf("%d program headers, %d section headers, %d dynamic entries, %d dynamic symbols (%d defined, %d undefined), %d relocations, %d PLT relocations",
			c.ProgramHeaders, c.SectionHeaders, c.DynamicEntries, c.DynamicSymbols, c.Defined, c.Undefined, c.Relocations, c.PLTRelocations)},
	}
	return writeTable(w, nil, rows)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
