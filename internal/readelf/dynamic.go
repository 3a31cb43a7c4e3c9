package readelf

import (
	"regexp"
	"strings"
)

// DynamicSection is the report of `readelf -W -d`.
type DynamicSection struct {
	// Present is false when readelf said "There is no dynamic section in
	// this file." (static executables, relocatable objects).
	Present bool
	// Offset is the file offset readelf read the entries from: the
	// .dynamic section's, or PT_DYNAMIC's when there are no section headers.
	Offset uint64
	// Count is the number of entries announced in the heading. It counts
	// up to and including the first DT_NULL, like Entries.
	Count   uint64
	Entries []DynEntry
	Diag
}

// DynEntry is one row of the dynamic section.
//
// readelf stops at the first DT_NULL: it prints that terminator as the last
// row and never shows the DT_NULL padding that linkers leave after it (the
// .dynamic of /usr/bin/ls has 31 slots; readelf lists 27). A reader that
// returns every slot must cut its list after the first DT_NULL to compare.
type DynEntry struct {
	Tag uint64 // d_tag, from the hex column
	// TagName is the name in parentheses: "NEEDED", "FLAGS_1", or for
	// tags readelf does not know "Operating System specific: 6ffffdf8",
	// "Processor Specific: 70000001" or "<unknown>: 40000000".
	TagName string
	// Value is the Name/Value column exactly as printed, e.g.
	// "Shared library: [libc.so.6]", "0x4000", "24 (bytes)", "Flags: NOW PIE".
	Value string

	// Str is the bracketed string of NEEDED, SONAME, RPATH, RUNPATH,
	// AUXILIARY, FILTER, CONFIG, DEPAUDIT, AUDIT and USED entries; HasStr
	// reports that there was one (readelf prints the number instead when
	// the string-table offset is invalid).
	Str    string
	HasStr bool
	// Interp is set for a NEEDED entry that names the program interpreter
	// (readelf appends " program interpreter").
	Interp bool

	// Flags holds the words of FLAGS ("ORIGIN BIND_NOW"), FLAGS_1, POSFLAG_1,
	// FEATURE and GNU_FLAGS_1 ("Flags: NOW PIE"). Bits readelf has no name for
	// appear as one hex word without 0x (leftover bits of FLAGS_1) or as the
	// word "unknown" (each unknown bit of FLAGS). A zero value gives nil:
	// readelf prints nothing for FLAGS and "Flags: None" for the others.
	Flags []string

	// Num is d_val when the value is numeric: an address or plain number
	// ("0x4000"), a size ("24 (bytes)"), a count ("212"), or PLTREL's
	// "RELA"/"REL" (7/17). HasNum is false for strings, flag words and
	// anything else (GNU_PRELINKED's date, machine-specific renderings).
	Num    uint64
	HasNum bool
}

var (
	reDynHeading = regexp.MustCompile(`^Dynamic section at offset 0x([0-9a-f]+) contains (\d+) entr(?:y|ies):$`)
	reDynRow     = regexp.MustCompile(`^ 0x([0-9a-f]+) \(([^)]*)\) ?(.*)$`)
	reDynStr     = regexp.MustCompile(`^([A-Za-z ]+): \[(.*)\]( program interpreter)?$`)
	reDynBytes   = regexp.MustCompile(`^(\d+) \(bytes\)$`)
	reLabel      = regexp.MustCompile(`^[A-Za-z ]+$`)
)

// flagTags are the tags whose value readelf renders as "Flags: WORD...".
var flagTags = map[string]bool{
	"FLAGS_1": true, "POSFLAG_1": true, "FEATURE": true, "GNU_FLAGS_1": true,
}

// Dynamic runs `readelf -W -d path`. The section is found through the
// section headers or, without them, through PT_DYNAMIC; the output is the
// same either way.
func Dynamic(path string) (*DynamicSection, error) {
	out, err := run(path, "-d")
	if err != nil {
		return nil, err
	}
	return parseDynamic(out)
}

func parseDynamic(out *output) (*DynamicSection, error) {
	d := &DynamicSection{Diag: out.diag}
	for i, line := range out.lines {
		switch {
		case line == "":
		case line == "There is no dynamic section in this file.":
		case reDynHeading.MatchString(line):
			m := reDynHeading.FindStringSubmatch(line)
			d.Present = true
			d.Offset, _ = parseHex(m[1])
			d.Count, _ = parseDec(m[2])
		case strings.HasPrefix(line, "  Tag        Type"):
		case reDynRow.MatchString(line):
			m := reDynRow.FindStringSubmatch(line)
			tag, ok := parseHex(m[1])
			if !ok {
				return nil, out.errorf(i, "bad tag")
			}
			d.Entries = append(d.Entries, decodeDynValue(tag, m[2], strings.TrimSpace(m[3])))
		default:
			return nil, out.errorf(i, "unexpected line")
		}
	}
	return d, nil
}

func decodeDynValue(tag uint64, name, value string) DynEntry {
	e := DynEntry{Tag: tag, TagName: name, Value: value}
	if name == "FLAGS" {
		e.Flags = words(value)
		return e
	}
	if flagTags[name] {
		if list, ok := strings.CutPrefix(value, "Flags:"); ok {
			if w := words(list); !(len(w) == 1 && w[0] == "None") {
				e.Flags = w
			}
			return e
		}
	}
	if m := reDynStr.FindStringSubmatch(value); m != nil {
		e.Str, e.HasStr = m[2], true
		e.Interp = m[3] != ""
		return e
	}
	if label, num, ok := strings.Cut(value, ": 0x"); ok && reLabel.MatchString(label) {
		// A string entry whose string-table offset is invalid.
		e.Num, e.HasNum = parseHex(num)
		return e
	}
	if name == "PLTREL" {
		switch value {
		case "RELA":
			e.Num, e.HasNum = 7, true
		case "REL":
			e.Num, e.HasNum = 17, true
		}
		return e
	}
	if m := reDynBytes.FindStringSubmatch(value); m != nil {
		e.Num, e.HasNum = parseDec(m[1])
		return e
	}
	if strings.HasPrefix(value, "0x") {
		e.Num, e.HasNum = parseHex(value)
		return e
	}
	e.Num, e.HasNum = parseDec(value)
	return e
}

// words is strings.Fields, but nil rather than empty for blank input so
// that zero flag values compare equal however they were produced.
func words(s string) []string {
	if f := strings.Fields(s); len(f) > 0 {
		return f
	}
	return nil
}
