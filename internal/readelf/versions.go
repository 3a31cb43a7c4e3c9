package readelf

import (
	"regexp"
	"strings"
)

// VersionInfo is the report of `readelf -W -V`.
//
// -V walks the section headers (SHT_GNU_versym, SHT_GNU_verdef,
// SHT_GNU_verneed) and nothing else: adding -D changes nothing, and a file
// without section headers yields "No version information found in this
// file." even when its dynamic section has DT_VERSYM and friends. Versions
// are still visible there through DynSyms(path, true).
type VersionInfo struct {
	// The three sections' headings; nil when the section is absent.
	VersymSection, VerdefSection, VerneedSection *VersionSection
	// Versym is the .gnu.version listing, one entry per dynamic symbol.
	Versym   []Versym
	Verdefs  []Verdef
	Verneeds []Verneed
	Diag
}

// VersionSection is the heading readelf prints above each version section.
type VersionSection struct {
	Name string // ".gnu.version", ".gnu.version_d", ".gnu.version_r"
	// Count is the "contains N entries" figure: symbols for versym,
	// sh_info (the number of verdef/verneed records) for the others.
	Count    uint64
	Addr     uint64
	Offset   uint64
	Link     uint64
	LinkName string // e.g. ".dynsym" or ".dynstr"
}

// Versym is one .gnu.version entry, printed as "   2 (GLIBC_2.2.5)",
// "   2h(GLIBC_2.2.5)", "   0 (*local*)" or "   1 (*global*)".
type Versym struct {
	Index uint64 // symbol index
	// Value is the version index as printed: the entry with the hidden bit
	// (0x8000) masked off. Hidden is that bit. Values 0 and 1 are printed
	// as "*local*" and "*global*" only when the hidden bit is clear.
	Value  uint64
	Hidden bool
	// Name is the version name readelf found for the index ("*local*",
	// "*global*", "GLIBC_2.2.5", "*both*" when both a verdef and a vernaux
	// match, "*invalid*"); empty when it printed none.
	Name string
}

// Verdef is one .gnu.version_d record with its auxiliary names.
type Verdef struct {
	Offset uint64 // offset within the section
	Rev    uint64
	// Flags are "BASE", "WEAK", "INFO" or "<unknown>"; nil for "none".
	Flags []string
	Index uint64
	Cnt   uint64
	Name  string // the first verdaux name
	// Parents are the names of the following verdaux entries.
	Parents []string
}

// Verneed is one .gnu.version_r record.
type Verneed struct {
	Offset  uint64
	Version uint64 // vn_version
	File    string
	Cnt     uint64
	Aux     []Vernaux
}

// Vernaux is one version needed from a Verneed's file.
type Vernaux struct {
	Offset uint64
	Name   string
	Flags  []string // as Verdef.Flags; nil for "none"
	// Other is vna_other, printed as "Version: N": the index that
	// .gnu.version entries use for this version.
	Other uint64
}

var (
	reVerHeading = regexp.MustCompile(`^Version (symbols|definition|needs) section '(.*)' contains (\d+) entr(?:y|ies):$`)
	reVerAddr    = regexp.MustCompile(`^ Addr: 0x([0-9a-f]+)  Offset: 0x([0-9a-f]+)  Link: (\d+) \((.*)\)$`)
	reVersymRow  = regexp.MustCompile(`^  ([0-9a-f]{3,}):(.*)$`)
	// Offsets are printed with "%#06zx", which renders 0 as "000000".
	reVerdefRow  = regexp.MustCompile(`^  (0x[0-9a-f]+|0+): Rev: (\d+)  Flags: (.*)  Index: (\d+)  Cnt: (\d+)  Name(?: index)?: (.*)$`)
	reVerdefAux  = regexp.MustCompile(`^  (0x[0-9a-f]+|0+): Parent (\d+)(?::|, name index:) (.*)$`)
	reVerneedRow = regexp.MustCompile(`^  (0x[0-9a-f]+|0+): Version: (\d+)  File: (.*)  Cnt: (\d+)$`)
	reVernauxRow = regexp.MustCompile(`^  (0x[0-9a-f]+|0+):   Name(?: index)?: (.*)  Flags: (.*)  Version: (\d+)$`)
)

// Versions runs `readelf -W -V path`.
func Versions(path string) (*VersionInfo, error) {
	out, err := run(path, "-V")
	if err != nil {
		return nil, err
	}
	return parseVersions(out)
}

func parseVersions(out *output) (*VersionInfo, error) {
	v := &VersionInfo{Diag: out.diag}
	var cur *VersionSection
	kind := ""
	for i, line := range out.lines {
		switch {
		case line == "":
		case line == "No version information found in this file.":
		case reVerHeading.MatchString(line):
			m := reVerHeading.FindStringSubmatch(line)
			kind = m[1]
			cur = &VersionSection{Name: m[2]}
			cur.Count, _ = parseDec(m[3])
			switch kind {
			case "symbols":
				v.VersymSection = cur
			case "definition":
				v.VerdefSection = cur
			case "needs":
				v.VerneedSection = cur
			}
		case cur == nil:
			return nil, out.errorf(i, "line outside any version section")
		case reVerAddr.MatchString(line):
			m := reVerAddr.FindStringSubmatch(line)
			cur.Addr, _ = parseHex(m[1])
			cur.Offset, _ = parseHex(m[2])
			cur.Link, _ = parseDec(m[3])
			cur.LinkName = m[4]
		case kind == "symbols" && reVersymRow.MatchString(line):
			m := reVersymRow.FindStringSubmatch(line)
			base, _ := parseHex(m[1])
			entries, ok := parseVersymRow(m[2])
			if !ok {
				return nil, out.errorf(i, "malformed version symbols row")
			}
			for j := range entries {
				entries[j].Index = base + uint64(j)
			}
			v.Versym = append(v.Versym, entries...)
		case kind == "definition" && reVerdefRow.MatchString(line):
			m := reVerdefRow.FindStringSubmatch(line)
			d := Verdef{Flags: verFlags(m[3]), Name: m[6]}
			d.Offset, _ = parseNum(m[1])
			d.Rev, _ = parseDec(m[2])
			d.Index, _ = parseDec(m[4])
			d.Cnt, _ = parseDec(m[5])
			v.Verdefs = append(v.Verdefs, d)
		case kind == "definition" && reVerdefAux.MatchString(line) && len(v.Verdefs) > 0:
			m := reVerdefAux.FindStringSubmatch(line)
			d := &v.Verdefs[len(v.Verdefs)-1]
			d.Parents = append(d.Parents, m[3])
		case kind == "definition" && (line == "  Version def aux past end of section" ||
			line == "  Version definition past end of section"):
			// Damaged section: readelf's own complaint, printed on stdout.
		case kind == "needs" && reVerneedRow.MatchString(line):
			m := reVerneedRow.FindStringSubmatch(line)
			n := Verneed{File: m[3]}
			n.Offset, _ = parseNum(m[1])
			n.Version, _ = parseDec(m[2])
			n.Cnt, _ = parseDec(m[4])
			v.Verneeds = append(v.Verneeds, n)
		case kind == "needs" && reVernauxRow.MatchString(line) && len(v.Verneeds) > 0:
			m := reVernauxRow.FindStringSubmatch(line)
			a := Vernaux{Name: m[2], Flags: verFlags(m[3])}
			a.Offset, _ = parseNum(m[1])
			a.Other, _ = parseDec(m[4])
			n := &v.Verneeds[len(v.Verneeds)-1]
			n.Aux = append(n.Aux, a)
		default:
			return nil, out.errorf(i, "unexpected line in version %s section", kind)
		}
	}
	return v, nil
}

// verFlags splits readelf's get_ver_flags text ("none", "BASE",
// "BASE | WEAK").
func verFlags(s string) []string {
	if s == "none" {
		return nil
	}
	return strings.Split(s, " | ")
}

// parseVersymRow decodes the up to four entries after "  %03x:". Each is
// "%4x" plus 'h' or ' ', then "(name)" padded to 18 columns, or no name at
// all when readelf found none; so entries are scanned rather than split on
// fixed columns.
func parseVersymRow(s string) ([]Versym, bool) {
	var entries []Versym
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			return entries, true
		}
		n := 0
		for n < len(s) && isHexDigit(s[n]) {
			n++
		}
		if n == 0 {
			return nil, false
		}
		var e Versym
		e.Value, _ = parseHex(s[:n])
		s = s[n:]
		if strings.HasPrefix(s, "h") {
			e.Hidden = true
			s = s[1:]
		}
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "(") {
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return nil, false
			}
			e.Name = s[1:end]
			s = s[end+1:]
		}
		entries = append(entries, e)
	}
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
}
