package readelf

import (
	"regexp"
	"strings"
)

// Relocations is the report of `readelf -W -r` or `readelf -W -D -r`.
type Relocations struct {
	// Tables in the order readelf printed them: section-header order for
	// -r; REL, RELA, RELR, PLT for -D.
	Tables []RelocTable
	Diag
}

// Relocation table kinds, from the column heading (or, for RELR, from the
// "N offsets" line that replaces it).
const (
	KindRel  = "REL"
	KindRela = "RELA"
	KindRelr = "RELR"
)

// RelocTable is one relocation table.
type RelocTable struct {
	// Name is the section name (".rela.dyn", ".rela.plt", ".relr.dyn") for
	// -r, or readelf's name for the dynamic-segment table for -D: "REL",
	// "RELA", "RELR" or "PLT" (the DT_JMPREL table). When the file lacks a
	// section-name string table, -r prints the sh_name number instead.
	Name string
	// Kind is KindRel, KindRela or KindRelr.
	Kind string
	// Offset is the number in the heading. For -r it is the section's file
	// offset; for -D it is the d_val of DT_REL/DT_RELA/DT_RELR/DT_JMPREL,
	// a virtual address, although readelf calls it an offset.
	Offset uint64
	// Entries is the count in a -r heading ("contains N entries"); for a
	// RELR section that is the number of bitmap words, not relocations.
	// Bytes is the size in a -D heading ("contains N bytes"). The other is 0.
	Entries uint64
	Bytes   uint64
	// RelrCount is the "N offsets" readelf prints before expanding a RELR
	// table; 0 for other kinds.
	RelrCount uint64
	// Relocs holds one element per printed relocation. For RELR tables
	// readelf 2.40 prints the decoded addresses, one per line, never the
	// raw bitmap words; each becomes a Reloc with only Offset set.
	Relocs []Reloc
}

// Reloc is one relocation row.
type Reloc struct {
	Offset uint64 // r_offset
	Info   uint64 // r_info
	// Type is the relocation type name, e.g. "R_X86_64_JUMP_SLOT", or
	// "unrecognized: 2a" for numbers readelf cannot name.
	Type string
	// HasSym reports that the row names a symbol (r_info's symbol index is
	// not 0 and readelf could look it up).
	HasSym bool
	// SymValue is the symbol's st_value. For a symbol of type STT_GNU_IFUNC
	// readelf prints "name()" in the value column instead; then IFunc is set
	// and SymValue is 0.
	SymValue uint64
	IFunc    bool
	// SymPrinted is the name column as printed, version included. SymName
	// and SymVersion split it at the last '@' (see Symbol.Printed for the
	// ambiguity). Unlike --dyn-syms, relocation rows print needed and
	// hidden versions alike as "name@VER", with no "(N)"; only default
	// versions get "@@" (SymVersionDefault). A symbol without a name is
	// shown as "<null>" or, for section symbols, the section name.
	SymPrinted        string
	SymName           string
	SymVersion        string
	SymVersionDefault bool
	// Addend is r_addend for RELA rows. readelf prints it in hex without
	// 0x, as "+ 10" or "- 8" after a symbol and bare ("62b0", "-8") when
	// there is no symbol. HasAddend is false for REL and RELR rows.
	Addend    int64
	HasAddend bool
}

var (
	reRelSection = regexp.MustCompile(`^Relocation section (?:'(.*)'|(\d+)) at offset 0x([0-9a-f]+) contains (\d+) entr(?:y|ies):$`)
	reRelDynamic = regexp.MustCompile(`^'(.*)' relocation section at offset 0x([0-9a-f]+) contains (\d+) bytes:$`)
	reRelrCount  = regexp.MustCompile(`^  (\d+) offsets?$`)
	reRelRow     = regexp.MustCompile(`^([0-9a-f]{8}|[0-9a-f]{16})  ([0-9a-f]{8}|[0-9a-f]{16}) (unrecognized: [0-9a-f]+ *|\S+)(.*)$`)
	reRelrRow    = regexp.MustCompile(`^[0-9a-f]{8}$|^[0-9a-f]{16}$`)
	reSymValue   = regexp.MustCompile(`^([0-9a-f]{8}|[0-9a-f]{16}) +(.*)$`)
	// The name may be missing (bad string-table offset), leaving "+ 0".
	reAddend     = regexp.MustCompile(`^(.*)(?:^| )([+-]) ([0-9a-f]+)$`)
	reBareAddend = regexp.MustCompile(`^(-?)([0-9a-f]+)$`)
)

// noRelocMessages are the sentences readelf prints instead of tables.
var noRelocMessages = map[string]bool{
	"There are no relocations in this file.":                                true,
	"There are no static relocations in this file.":                         true,
	"To see the dynamic relocations add --use-dynamic to the command line.": true,
	"There are no dynamic relocations in this file.":                        true,
}

// Relocs lists relocation tables.
//
// With useDynamic false it runs `readelf -W -r`, which walks the section
// headers (SHT_REL, SHT_RELA, SHT_RELR). Without section headers it finds
// nothing and says "There are no static relocations in this file."; Tables
// is then empty.
//
// With useDynamic true it runs `readelf -W -D -r`, which reads the tables
// the dynamic section points at, so it works without section headers. Its
// symbols come from the -D symbol table (sized by the hash tables).
func Relocs(path string, useDynamic bool) (*Relocations, error) {
	args := []string{"-r"}
	if useDynamic {
		args = []string{"-D", "-r"}
	}
	out, err := run(path, args...)
	if err != nil {
		return nil, err
	}
	return parseRelocs(out)
}

func parseRelocs(out *output) (*Relocations, error) {
	r := &Relocations{Diag: out.diag}
	var t *RelocTable
	for i, line := range out.lines {
		switch {
		case line == "" || noRelocMessages[line]:
		case reRelSection.MatchString(line):
			m := reRelSection.FindStringSubmatch(line)
			r.Tables = append(r.Tables, RelocTable{Name: m[1] + m[2]})
			t = &r.Tables[len(r.Tables)-1]
			t.Offset, _ = parseHex(m[3])
			t.Entries, _ = parseDec(m[4])
		case reRelDynamic.MatchString(line):
			m := reRelDynamic.FindStringSubmatch(line)
			r.Tables = append(r.Tables, RelocTable{Name: m[1]})
			t = &r.Tables[len(r.Tables)-1]
			t.Offset, _ = parseHex(m[2])
			t.Bytes, _ = parseDec(m[3])
		case t == nil:
			return nil, out.errorf(i, "line outside any relocation table")
		case isRelocHeading(line):
			if t.Kind != "" {
				return nil, out.errorf(i, "second column heading in table %q", t.Name)
			}
			t.Kind = KindRel
			if strings.HasSuffix(line, "+ Addend") {
				t.Kind = KindRela
			}
		case reRelrCount.MatchString(line) && t.Kind == "":
			t.Kind = KindRelr
			t.RelrCount, _ = parseDec(reRelrCount.FindStringSubmatch(line)[1])
		case t.Kind == KindRelr && reRelrRow.MatchString(line):
			off, _ := parseHex(line)
			t.Relocs = append(t.Relocs, Reloc{Offset: off})
		case t.Kind == KindRel || t.Kind == KindRela:
			rel, ok := parseRelocRow(line, t.Kind == KindRela)
			if !ok {
				return nil, out.errorf(i, "malformed relocation row")
			}
			t.Relocs = append(t.Relocs, rel)
		case strings.HasPrefix(line, "                    Type2: ") ||
			strings.HasPrefix(line, "                    Type3: "):
			// MIPS64 packs three types into r_info; readelf prints the
			// second and third on lines of their own. Not modelled.
		default:
			return nil, out.errorf(i, "unexpected line in table %q", t.Name)
		}
	}
	return r, nil
}

// isRelocHeading matches the column headings of both ELF classes, e.g.
// "    Offset             Info             Type               Symbol's Value  Symbol's Name + Addend"
// and " Offset     Info    Type                Sym. Value  Symbol's Name".
func isRelocHeading(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 5 && f[0] == "Offset" && f[1] == "Info" && f[2] == "Type" &&
		(strings.HasSuffix(line, "Symbol's Name") || strings.HasSuffix(line, "+ Addend"))
}

// parseRelocRow decodes a REL or RELA row. After offset, info and type the
// row holds one of:
//
//	""                                  REL, no symbol
//	"   62b0" / "   -8"                 RELA, no symbol: bare hex addend
//	" 0000000000000000 free@GLIBC_2.2.5 + 0"
//	" name@@V()  name@@V + 0"           IFUNC symbol: "name()" replaces the value
func parseRelocRow(line string, rela bool) (Reloc, bool) {
	var r Reloc
	m := reRelRow.FindStringSubmatch(line)
	if m == nil {
		return r, false
	}
	r.Offset, _ = parseHex(m[1])
	r.Info, _ = parseHex(m[2])
	r.Type = strings.TrimRight(m[3], " ")
	rest := strings.TrimLeft(m[4], " ")
	if rest == "" {
		// REL without symbol, or a symbol readelf could not look up (it
		// then reports "bad symbol index" on stderr).
		return r, true
	}
	if rela {
		if a := reBareAddend.FindStringSubmatch(rest); a != nil {
			r.Addend, r.HasAddend = signedHex(a[1] == "-", a[2])
			return r, r.HasAddend
		}
	}
	var sym string
	if v := reSymValue.FindStringSubmatch(rest); v != nil {
		r.SymValue, _ = parseHex(v[1])
		sym = v[2]
	} else if after, ok := splitIFunc(rest); ok {
		r.IFunc = true
		sym = after
	} else {
		return r, false
	}
	if rela {
		a := reAddend.FindStringSubmatch(sym)
		if a == nil {
			return r, false
		}
		sym = a[1]
		if r.Addend, r.HasAddend = signedHex(a[2] == "-", a[3]); !r.HasAddend {
			return r, false
		}
	}
	r.HasSym = true
	r.SymPrinted = sym
	if at := strings.LastIndexByte(sym, '@'); at >= 0 {
		r.SymName, r.SymVersion = sym[:at], sym[at+1:]
		if at > 0 && sym[at-1] == '@' {
			r.SymName, r.SymVersionDefault = sym[:at-1], true
		}
	} else {
		r.SymName = sym
	}
	return r, true
}

// splitIFunc returns the name column of an IFUNC row such as
// "name@V()  name@V + 0". readelf prints the symbol name (or "??") and
// "()" in the value column, pads it to 14 columns, then prints the name
// column; the split point is the "()" whose prefix the name column repeats.
func splitIFunc(rest string) (nameColumn string, ok bool) {
	for from := 0; ; {
		j := strings.Index(rest[from:], "() ")
		if j < 0 {
			return "", false
		}
		j += from
		head, tail := rest[:j], strings.TrimLeft(rest[j+2:], " ")
		if head == "??" || strings.HasPrefix(tail, head) {
			return tail, true
		}
		from = j + 1
	}
}

func signedHex(neg bool, digits string) (int64, bool) {
	v, ok := parseHex(digits)
	if !ok {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}
