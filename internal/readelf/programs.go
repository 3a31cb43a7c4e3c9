package readelf

import (
	"regexp"
	"strconv"
	"strings"
)

// Programs is the report of `readelf -W -l`.
type Programs struct {
	// FileType is the text after "Elf file type is", e.g.
	// "DYN (Position-Independent Executable file)".
	FileType string
	Entry    uint64
	// PhOff is e_phoff, from "starting at offset N".
	PhOff   uint64
	Headers []ProgramHeader
	// Interp is the text of "[Requesting program interpreter: X]", printed
	// after the PT_INTERP header; empty when there is none.
	Interp string
	// HasMapping reports whether readelf printed the "Section to Segment
	// mapping", which it does only when the file has section headers.
	HasMapping bool
	Diag
}

// Program-header flag bits as in elf.ProgFlag (PF_X, PF_W, PF_R). readelf
// shows only these three; other bits of p_flags are invisible in its output.
const (
	PF_X = 0x1
	PF_W = 0x2
	PF_R = 0x4
)

// ProgramHeader is one row of the "Program Headers" table.
type ProgramHeader struct {
	// Type is the name readelf prints, e.g. "LOAD" or "GNU_PROPERTY".
	// readelf cuts names to 14 characters ("%-14.14s"), so long ones
	// appear truncated ("OPENBSD_RANDOMIZE" prints as "OPENBSD_RANDOM");
	// unknown types print as "LOOS+0x..", "LOPROC+0x.." or "<unknown>: ..".
	Type string
	// TypeValue is p_type when it can be recovered from Type: for the
	// generic and GNU names, and for "LOOS+0x…"/"LOPROC+0x…" forms that
	// readelf did not truncate. TypeKnown is false otherwise (for example
	// for machine-specific names such as "EXIDX" or "MIPS_ABIFLAGS", whose
	// value depends on e_machine, which -l does not print).
	TypeValue uint32
	TypeKnown bool

	Offset, VAddr, PAddr, FileSize, MemSize, Align uint64
	// Flags holds PF_R, PF_W and PF_X as printed in the Flg column.
	Flags uint32
	// Sections lists the section names readelf maps to this segment in the
	// "Section to Segment mapping"; nil when no mapping was printed.
	Sections []string
}

// segmentTypes maps the names readelf 2.40 prints for machine-independent
// segment types to p_type. The OpenBSD names appear truncated, as printed.
var segmentTypes = map[string]uint32{
	"NULL":           0,
	"LOAD":           1,
	"DYNAMIC":        2,
	"INTERP":         3,
	"NOTE":           4,
	"SHLIB":          5,
	"PHDR":           6,
	"TLS":            7,
	"GNU_EH_FRAME":   0x6474e550,
	"GNU_STACK":      0x6474e551,
	"GNU_RELRO":      0x6474e552,
	"GNU_PROPERTY":   0x6474e553,
	"GNU_SFRAME":     0x6474e554,
	"OPENBSD_RANDOM": 0x65a3dbe6,
	"OPENBSD_WXNEED": 0x65a3dbe7,
	"OPENBSD_BOOTDA": 0x65a41be6,
}

// segmentTypeValue recovers p_type from the printed, possibly truncated,
// type name.
func segmentTypeValue(name string) (uint32, bool) {
	if v, ok := segmentTypes[name]; ok {
		return v, true
	}
	const width = 14 // readelf's "%-14.14s"
	for _, p := range []struct {
		prefix string
		base   uint64
	}{
		{"LOOS+0x", 0x60000000},
		{"LOPROC+0x", 0x70000000},
		{"GNU_MBIND+0x", 0x6474e555},
	} {
		rest, ok := strings.CutPrefix(name, p.prefix)
		if !ok {
			continue
		}
		// A name that fills the column may have lost digits, except for
		// LOOS+0x whose offset has at most 7 digits and always fits.
		if len(name) >= width && p.prefix != "LOOS+0x" {
			return 0, false
		}
		off, ok := parseHex(rest)
		if !ok || p.base+off > 0xffffffff {
			return 0, false
		}
		return uint32(p.base + off), true
	}
	if rest, ok := strings.CutPrefix(name, "<unknown>: "); ok && len(name) < width {
		if v, ok := parseHex(rest); ok && v <= 0xffffffff {
			return uint32(v), true
		}
	}
	return 0, false
}

var (
	rePhCount    = regexp.MustCompile(`^There (?:is|are) (\d+) program headers?, starting at offset (\d+)$`)
	reMappingRow = regexp.MustCompile(`^   (\d+)     ?(.*)$`)
)

// ProgramHeaders runs `readelf -W -l path`.
//
// A file without program headers (a relocatable object) yields an empty
// Headers slice; readelf says "There are no program headers in this file."
func ProgramHeaders(path string) (*Programs, error) {
	out, err := run(path, "-l")
	if err != nil {
		return nil, err
	}
	return parsePrograms(out)
}

func parsePrograms(out *output) (*Programs, error) {
	p := &Programs{Diag: out.diag}
	const (
		none = iota
		headers
		mapping
	)
	state := none
	for i, line := range out.lines {
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "Elf file type is "):
			p.FileType = strings.TrimPrefix(line, "Elf file type is ")
		case strings.HasPrefix(line, "Entry point "):
			v, ok := parseHex(strings.TrimPrefix(line, "Entry point "))
			if !ok {
				return nil, out.errorf(i, "bad entry point")
			}
			p.Entry = v
		case rePhCount.MatchString(line):
			m := rePhCount.FindStringSubmatch(line)
			p.PhOff, _ = parseDec(m[2])
		case line == "There are no program headers in this file.":
		case line == "Program Headers:":
			state = headers
		case strings.HasPrefix(line, "  Type           Offset"):
		case line == " Section to Segment mapping:":
			state = mapping
			p.HasMapping = true
		case line == "  Segment Sections...":
		case strings.HasPrefix(line, "      [Requesting program interpreter: ") && strings.HasSuffix(line, "]"):
			s := strings.TrimPrefix(line, "      [Requesting program interpreter: ")
			p.Interp = strings.TrimSuffix(s, "]")
		case state == headers:
			h, ok := parseProgramHeader(line)
			if !ok {
				return nil, out.errorf(i, "malformed program header row")
			}
			p.Headers = append(p.Headers, h)
		case state == mapping:
			m := reMappingRow.FindStringSubmatch(line)
			if m == nil {
				return nil, out.errorf(i, "malformed section-to-segment row")
			}
			n, _ := strconv.Atoi(m[1])
			if n >= len(p.Headers) {
				return nil, out.errorf(i, "mapping for segment %d of %d", n, len(p.Headers))
			}
			p.Headers[n].Sections = strings.Fields(m[2])
			if p.Headers[n].Sections == nil {
				p.Headers[n].Sections = []string{}
			}
		default:
			return nil, out.errorf(i, "unexpected line")
		}
	}
	return p, nil
}

// parseProgramHeader parses one wide-format row. The type occupies a fixed
// 14-character column (it may contain spaces, as in "<unknown>: 7f"); the
// flags column is three characters that are blank for unset bits, so it is
// recovered from whatever lies between the memory size and the alignment.
func parseProgramHeader(line string) (ProgramHeader, bool) {
	var h ProgramHeader
	if len(line) < 17 || !strings.HasPrefix(line, "  ") || line[16] != ' ' {
		return h, false
	}
	h.Type = strings.TrimRight(line[2:16], " ")
	h.TypeValue, h.TypeKnown = segmentTypeValue(h.Type)
	f := strings.Fields(line[17:])
	if len(f) < 6 {
		return h, false
	}
	nums := []*uint64{&h.Offset, &h.VAddr, &h.PAddr, &h.FileSize, &h.MemSize}
	for j, dst := range nums {
		if !strings.HasPrefix(f[j], "0x") {
			return h, false
		}
		v, ok := parseHex(f[j])
		if !ok {
			return h, false
		}
		*dst = v
	}
	align := f[len(f)-1]
	if !strings.HasPrefix(align, "0x") && align != "0" { // "%#lx" prints 0 as "0"
		return h, false
	}
	if align != "0" {
		v, ok := parseHex(align)
		if !ok {
			return h, false
		}
		h.Align = v
	}
	for _, flag := range strings.Join(f[5:len(f)-1], "") {
		switch flag {
		case 'R':
			h.Flags |= PF_R
		case 'W':
			h.Flags |= PF_W
		case 'E':
			h.Flags |= PF_X
		default:
			return h, false
		}
	}
	return h, true
}
