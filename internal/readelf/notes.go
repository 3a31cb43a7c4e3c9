package readelf

import (
	"regexp"
	"strings"
)

// NoteList is the report of `readelf -W -n`.
type NoteList struct {
	Notes []Note
	Diag
}

// Note is one ELF note.
type Note struct {
	// Section is the SHT_NOTE section the note was found in. readelf walks
	// note sections when the file has any and PT_NOTE segments otherwise
	// (no section headers); then Section is empty and SegmentOffset and
	// SegmentLength give the segment's file range as printed.
	Section                      string
	SegmentOffset, SegmentLength uint64

	// Owner is the note name ("GNU", "Go", "stapsdt", "FDO"), shown through
	// print_symbol (see Printable). Annobin notes ("GA$<tool>gcc ...") are
	// rendered specially by readelf and kept as printed.
	Owner    string
	DescSize uint64
	// Type is the note type's symbolic name when readelf prints one,
	// e.g. "NT_GNU_BUILD_ID" from "NT_GNU_BUILD_ID (unique build ID
	// bitstring)"; otherwise the whole printed text, e.g. "GO BUILDID",
	// "OPEN" or "Unknown note type: (0x00000004)". TypeText is the text
	// exactly as printed.
	Type, TypeText string
	// Desc holds the description as printed, one element per output
	// line, with surrounding blanks trimmed ("Build ID: 1487b4…",
	// "Provider: libstdcxx", "Name: throw", ...).
	Desc []string

	// Decoded descriptions of GNU notes, when present:
	BuildID string // hex digits of NT_GNU_BUILD_ID
	// OS and ABI from NT_GNU_ABI_TAG's "OS: Linux, ABI: 3.2.0".
	OS, ABI string
	// Properties of NT_GNU_PROPERTY_TYPE_0.
	Properties []Property
}

// Property is one GNU property, e.g. {"x86 feature", ["IBT", "SHSTK"]}.
//
// With -W readelf separates properties with ", " — the same separator it
// uses between the words of one property — so the list is split at the
// property labels readelf 2.40 prints: "x86 ISA used", "x86 ISA needed",
// "x86 feature", "x86 feature used", "x86 feature needed",
// "AArch64 feature", "stack size", "no copy on protected", "1_needed",
// "UINT32_AND (0x…)", "UINT32_OR (0x…)". Properties it cannot decode print
// as "<unknown type 0x5 data: 01 00 >" (or "processor-specific",
// "application-specific"); their Name is that whole text and Values nil.
type Property struct {
	Name   string
	Values []string
}

var (
	reNotesIn    = regexp.MustCompile(`^Displaying notes found in: (.*)$`)
	reNotesAt    = regexp.MustCompile(`^Displaying notes found at file offset 0x([0-9a-f]+) with length 0x([0-9a-f]+):$`)
	reNoteHead   = regexp.MustCompile(`^  (.*) 0x([0-9a-f]{8,})$`)
	reNoteType   = regexp.MustCompile(`^(\S+) \((.*)\)$`)
	reABITag     = regexp.MustCompile(`^OS: (.*), ABI: (.*)$`)
	rePropLabel  = regexp.MustCompile(`^(x86 (?:ISA used|ISA needed|feature|feature used|feature needed)|AArch64 feature|stack size|1_needed|UINT32_(?:AND|OR) \(0x[0-9a-f]+\)): ?(.*)$`)
	rePropOpaque = regexp.MustCompile(`^<(?:unknown|processor-specific|application-specific) type `)
)

// Notes runs `readelf -W -n path`.
func Notes(path string) (*NoteList, error) {
	out, err := run(path, "-n")
	if err != nil {
		return nil, err
	}
	return parseNotes(out)
}

func parseNotes(out *output) (*NoteList, error) {
	nl := &NoteList{Diag: out.diag}
	var section string
	var segOff, segLen uint64
	var cur *Note
	for i, line := range out.lines {
		switch {
		case line == "":
			cur = nil
		case reNotesIn.MatchString(line):
			section = reNotesIn.FindStringSubmatch(line)[1]
			segOff, segLen = 0, 0
		case reNotesAt.MatchString(line):
			m := reNotesAt.FindStringSubmatch(line)
			section = ""
			segOff, _ = parseHex(m[1])
			segLen, _ = parseHex(m[2])
		case strings.HasPrefix(line, "  Owner") && strings.HasSuffix(line, "\tDescription"):
		case strings.Contains(line, "\t"):
			n, ok := parseNoteLine(line)
			if !ok {
				return nil, out.errorf(i, "malformed note")
			}
			n.Section, n.SegmentOffset, n.SegmentLength = section, segOff, segLen
			nl.Notes = append(nl.Notes, n)
			cur = &nl.Notes[len(nl.Notes)-1]
		case cur != nil:
			// Continuation of a multi-line description (stapsdt probes,
			// annobin regions after a gap warning).
			cur.Desc = append(cur.Desc, strings.TrimSpace(line))
		default:
			return nil, out.errorf(i, "unexpected line")
		}
	}
	for i := range nl.Notes {
		decodeNoteDesc(&nl.Notes[i])
	}
	return nl, nil
}

// parseNoteLine splits "  OWNER 0xSIZE\tTYPE\tDESCRIPTION". The owner is
// printed through print_symbol, which turns tabs into "^I", so the first
// two tab characters are reliable field separators.
func parseNoteLine(line string) (Note, bool) {
	var n Note
	head, rest, _ := strings.Cut(line, "\t")
	m := reNoteHead.FindStringSubmatch(head)
	if m == nil {
		return n, false
	}
	n.Owner = strings.TrimRight(m[1], " ")
	n.DescSize, _ = parseHex(m[2])
	typ, desc, _ := strings.Cut(rest, "\t")
	n.TypeText = typ
	n.Type = typ
	if t := reNoteType.FindStringSubmatch(typ); t != nil {
		n.Type = t[1]
	}
	if d := strings.TrimSpace(desc); d != "" {
		n.Desc = append(n.Desc, d)
	}
	return n, true
}

func decodeNoteDesc(n *Note) {
	if len(n.Desc) == 0 {
		return
	}
	first := n.Desc[0]
	switch n.Type {
	case "NT_GNU_BUILD_ID":
		n.BuildID, _ = strings.CutPrefix(first, "Build ID: ")
	case "NT_GNU_ABI_TAG":
		if m := reABITag.FindStringSubmatch(first); m != nil {
			n.OS, n.ABI = m[1], m[2]
		}
	case "NT_GNU_PROPERTY_TYPE_0":
		if list, ok := strings.CutPrefix(first, "Properties: "); ok {
			n.Properties = splitProperties(list)
		}
	}
}

func splitProperties(list string) []Property {
	var props []Property
	for _, part := range strings.Split(list, ", ") {
		part = strings.TrimRight(part, " ")
		switch m := rePropLabel.FindStringSubmatch(part); {
		case m != nil:
			p := Property{Name: m[1]}
			if m[2] != "" {
				p.Values = []string{m[2]}
			}
			props = append(props, p)
		case strings.HasPrefix(part, "no copy on protected"):
			p := Property{Name: "no copy on protected"}
			if v := strings.TrimSpace(strings.TrimPrefix(part, "no copy on protected")); v != "" {
				p.Values = []string{v}
			}
			props = append(props, p)
		case rePropOpaque.MatchString(part) || len(props) == 0:
			props = append(props, Property{Name: part})
		default:
			last := &props[len(props)-1]
			last.Values = append(last.Values, part)
		}
	}
	return props
}
