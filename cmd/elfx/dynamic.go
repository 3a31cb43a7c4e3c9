package main

import (
	"debug/elf"
	"fmt"
	"io"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// dynamicReport is what `elfx dynamic` says of one file: its dynamic array.
type dynamicReport struct {
	File    string         `json:"file"`
	Offset  uint64         `json:"offset"`
	Entries []dynamicEntry `json:"entries"`
	class   elf.Class
}

type dynamicEntry struct {
	Tag    string   `json:"tag"`
	TagNum uint64   `json:"tag_value"`
	Value  uint64   `json:"value"`
	String *string  `json:"string,omitempty"`
	Flags  []string `json:"flags,omitempty"`
}

func runDynamic(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("dynamic", "[--format text|json] FILE...", stderr)
	format := formatFlag(fs, "text", "json")
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) == 0 {
		return badUsage(fs, err)
	}
	return reportFiles(paths, format.value, stdout, stderr, analyzeDynamic, renderDynamic, nil)
}

func analyzeDynamic(path string) (*dynamicReport, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := f.Dynamic()
	if err != nil {
		return nil, err
	}
	r := &dynamicReport{File: path, Entries: []dynamicEntry{}, class: f.Class}
	if d == nil {
		return r, nil
	}
	r.Offset = d.Off
	for _, e := range d.Entries {
		de := dynamicEntry{Tag: elfx.DynTagName(e.Tag), TagNum: uint64(e.Tag), Value: e.Val}
		if elfx.IsStringTag(e.Tag) {
			de.String = &e.Str
		}
		switch e.Tag {
		case elf.DT_FLAGS:
			de.Flags = flagNames(e.Val, func(b uint64) string { return elf.DynFlag(b).String() }, "DF_")
		case elf.DT_FLAGS_1:
			de.Flags = flagNames(e.Val, func(b uint64) string { return elf.DynFlag1(b).String() }, "DF_1_")
		}
		r.Entries = append(r.Entries, de)
	}
	return r, nil
}

func renderDynamic(w io.Writer, r *dynamicReport) error {
	if len(r.Entries) == 0 {
		_, err := fmt.Fprintln(w, "no dynamic section")
		return err
	}
	width := 16
	if r.class == elf.ELFCLASS32 {
		width = 8
	}
	if _, err := fmt.Fprintf(w, "Dynamic array at offset %#x contains %d entries:\n", r.Offset, len(r.Entries)); err != nil {
		return err
	}
	rows := make([][]string, len(r.Entries))
	for i, e := range r.Entries {
		rows[i] = []string{fmt.Sprintf("0x%0*x", width, e.TagNum), strings.TrimPrefix(e.Tag, "DT_"), dynamicValueText(e)}
	}
	return writeTable(w, []string{"Tag", "Type", "Name/Value"}, rows)
}

// dynamicValueText spells an entry's value as readelf -d does.
func dynamicValueText(e dynamicEntry) string {
	if e.String != nil {
		label := map[string]string{
			"DT_NEEDED": "Shared library", "DT_SONAME": "Library soname",
			"DT_RPATH": "Library rpath", "DT_RUNPATH": "Library runpath",
			"DT_AUXILIARY": "Auxiliary library", "DT_FILTER": "Filter library",
		}[e.Tag]
		if label == "" {
			return *e.String
		}
		return fmt.Sprintf("%s: [%s]", label, *e.String)
	}
	switch elf.DynTag(e.TagNum) {
	case elf.DT_FLAGS:
		return strings.Join(e.Flags, " ")
	case elf.DT_FLAGS_1:
		return "Flags: " + strings.Join(e.Flags, " ")
	case elf.DT_PLTREL:
		return strings.TrimPrefix(elf.DynTag(e.Value).String(), "DT_")
	case elf.DT_PLTRELSZ, elf.DT_RELASZ, elf.DT_RELAENT, elf.DT_STRSZ, elf.DT_SYMENT,
		elf.DT_RELSZ, elf.DT_RELENT, elf.DT_INIT_ARRAYSZ, elf.DT_FINI_ARRAYSZ,
		elf.DT_PREINIT_ARRAYSZ, elfx.DT_RELRSZ, elfx.DT_RELRENT:
		return fmt.Sprintf("%d (bytes)", e.Value)
	case elf.DT_VERNEEDNUM, elf.DT_VERDEFNUM, elf.DT_RELACOUNT, elf.DT_RELCOUNT:
		return fmt.Sprint(e.Value)
	}
	return fmt.Sprintf("%#x", e.Value)
}
