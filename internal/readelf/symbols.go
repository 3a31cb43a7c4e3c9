package readelf

import (
	"regexp"
	"strconv"
	"strings"
)

// SymbolTable is a dynamic symbol table as printed by readelf.
type SymbolTable struct {
	// Present is false when readelf printed no table: with section
	// headers missing (--dyn-syms reads only SHT_DYNSYM sections and then
	// prints nothing at all), or in -D mode without DT_HASH/DT_GNU_HASH,
	// DT_SYMTAB or DT_STRTAB ("Dynamic symbol information is not
	// available for displaying symbols.").
	Present bool
	// Section is the table's section name, ".dynsym", or "" for the
	// table -D rebuilds from the dynamic segment ("Symbol table for image").
	Section string
	// Count is the number of entries announced in the heading.
	Count   uint64
	Symbols []Symbol
	Diag
}

// Version kinds: how readelf attached a version to a symbol name.
const (
	VersionNone    = ""        // nothing printed: versym 0 or 1, or no .gnu.version
	VersionNeeded  = "needed"  // "name@VER (N)": found in verneed; N is its vna_other
	VersionHidden  = "hidden"  // "name@VER": found in verdef, hidden bit (0x8000) set
	VersionDefault = "default" // "name@@VER": found in verdef, the default version
)

// Symbol is one row of a symbol table.
type Symbol struct {
	Num   uint64
	Value uint64
	// Size is st_size. readelf prints sizes up to 99999 in decimal and
	// larger ones in hex ("0x255a8"); both are decoded.
	Size uint64
	// Type, Bind and Vis are printed names: "FUNC", "IFUNC", "GLOBAL",
	// "UNIQUE", "DEFAULT" ... Values readelf has no name for read like
	// "<OS specific>: 10" (STB_GNU_UNIQUE in a file whose EI_OSABI is not
	// GNU, seen in libcc1.so) or "<processor specific>: 13".
	Type, Bind, Vis string
	// Other is the text readelf shows in brackets after Vis when st_other
	// has bits beyond the visibility, e.g. "<other>: 88" or "VARIANT_PCS";
	// empty otherwise.
	Other string
	// Ndx is the section index column: "UND", "ABS", "COM", a decimal
	// index ("13"), or forms such as "PRC[0xff01]" and "OS [0xff20]".
	Ndx string
	// Shndx is Ndx decoded for UND (0), ABS (0xfff1), COM (0xfff2), plain
	// numbers and the bracketed hex forms; ShndxKnown is false otherwise.
	Shndx      uint32
	ShndxKnown bool

	// Printed is the name column exactly as printed, version included. It
	// is what to fall back on when Name/Version are ambiguous: readelf
	// appends "@VER" with nothing to tell it from an '@' in the name
	// itself, so an unversioned symbol whose name contains '@' is split
	// at its last '@' as if it were versioned. Control characters in the
	// name are shown as ^X (see Printable).
	Printed string
	Name    string
	// Version is the version name, VersionKind how it was attached, and
	// VersionIndex the number readelf prints in parentheses for needed
	// versions (the vna_other of the matching vernaux); 0 otherwise.
	//
	// readelf prints no version for versym 0 (*local*) and 1 (*global*),
	// for a defined symbol whose version is the VER_FLG_BASE definition,
	// and for a version-definition symbol itself: the ABS symbol
	// "GLIBC_2.2.5" in libc has versym 2 but prints bare, because readelf
	// omits the version when st_name equals the verdaux's vda_name offset.
	// Unknown indexes print as "@<corrupt>".
	Version      string
	VersionKind  string
	VersionIndex uint64
}

var (
	reSymHeading  = regexp.MustCompile(`^Symbol table (?:'(.*)'|for image) contains (\d+) entr(?:y|ies):$`)
	reSymEntsize0 = regexp.MustCompile(`^Symbol table '.*' has a sh_entsize of zero!$`)
	// reSymRow follows print_dynamic_symbol: "%6d: " value " " size
	// " %-7s" type " %-6s" bind " %-7s" vis [" [%s] " other] " %4s " ndx name.
	reSymRow = regexp.MustCompile(`^ *(\d+): ([0-9a-f]+) +(\d+|0x[0-9a-f]+) ` +
		`(<[^>]*>: \d+|\S+) +(<[^>]*>: \d+|\S+) +(\S+)` +
		`(?: +\[([^\]]*)\] )? +` +
		`(bad section index\[ *\d+\]|OS \[0x[0-9a-f]+\]|\S+)(?: (.*))?$`)
	reNeededVersion = regexp.MustCompile(`^(.*)@([^@]*) \((\d+)\)$`)
	reShndxBrackets = regexp.MustCompile(`^(?:PRC|OS |RSV)\[0x([0-9a-f]+)\]$`)
)

// DynSyms lists the dynamic symbols.
//
// With useDynamic false it runs `readelf -W --dyn-syms`, which prints the
// SHT_DYNSYM section found through the section headers; without section
// headers readelf prints nothing and Present is false.
//
// With useDynamic true it runs `readelf -W -D -s`, which rebuilds the table
// from DT_SYMTAB/DT_STRTAB and sizes it from DT_HASH or DT_GNU_HASH. Note
// that `readelf -D --dyn-syms` would NOT do that: in readelf 2.40 -D only
// affects --syms, and `-D --dyn-syms` prints exactly what --dyn-syms prints.
// `-D -s` never falls back to section tables, so it does not print .symtab.
func DynSyms(path string, useDynamic bool) (*SymbolTable, error) {
	args := []string{"--dyn-syms"}
	if useDynamic {
		args = []string{"-D", "-s"}
	}
	out, err := run(path, args...)
	if err != nil {
		return nil, err
	}
	return parseSymbols(out)
}

func parseSymbols(out *output) (*SymbolTable, error) {
	st := &SymbolTable{Diag: out.diag}
	for i, line := range out.lines {
		switch {
		case line == "":
		case line == "Dynamic symbol information is not available for displaying symbols.":
		case reSymEntsize0.MatchString(line):
		case reSymHeading.MatchString(line):
			if st.Present {
				return nil, out.errorf(i, "second symbol table")
			}
			m := reSymHeading.FindStringSubmatch(line)
			st.Present = true
			st.Section = m[1]
			st.Count, _ = parseDec(m[2])
		case strings.HasPrefix(line, "   Num:    Value"):
		default:
			sym, ok := parseSymbolRow(line)
			if !ok || !st.Present {
				return nil, out.errorf(i, "unexpected line")
			}
			st.Symbols = append(st.Symbols, sym)
		}
	}
	return st, nil
}

func parseSymbolRow(line string) (Symbol, bool) {
	var s Symbol
	m := reSymRow.FindStringSubmatch(line)
	if m == nil {
		return s, false
	}
	var ok bool
	s.Num, _ = parseDec(m[1])
	if s.Value, ok = parseHex(m[2]); !ok {
		return s, false
	}
	if strings.HasPrefix(m[3], "0x") {
		s.Size, ok = parseHex(m[3])
	} else {
		s.Size, ok = parseDec(m[3])
	}
	if !ok {
		return s, false
	}
	s.Type, s.Bind, s.Vis, s.Other, s.Ndx = m[4], m[5], m[6], m[7], m[8]
	s.Shndx, s.ShndxKnown = decodeShndx(s.Ndx)
	s.Printed = m[9]
	s.Name, s.Version, s.VersionKind, s.VersionIndex = splitSymbolVersion(s.Printed)
	return s, true
}

func decodeShndx(ndx string) (uint32, bool) {
	switch ndx {
	case "UND":
		return 0, true
	case "ABS":
		return 0xfff1, true
	case "COM":
		return 0xfff2, true
	case "LARGE_COM":
		return 0xff02, true // SHN_X86_64_LCOMMON
	}
	if m := reShndxBrackets.FindStringSubmatch(ndx); m != nil {
		v, ok := parseHex(m[1])
		return uint32(v), ok
	}
	v, err := strconv.ParseUint(ndx, 10, 32)
	return uint32(v), err == nil
}

// splitSymbolVersion undoes the decoration readelf 2.40 appends to a
// dynamic symbol name: "@VER (N)" for a version found in verneed, "@@VER"
// for a default defined version, "@VER" for a hidden one.
func splitSymbolVersion(printed string) (name, version, kind string, index uint64) {
	if m := reNeededVersion.FindStringSubmatch(printed); m != nil {
		index, _ = parseDec(m[3])
		return m[1], m[2], VersionNeeded, index
	}
	at := strings.LastIndexByte(printed, '@')
	if at < 0 {
		return printed, "", VersionNone, 0
	}
	if at > 0 && printed[at-1] == '@' {
		return printed[:at-1], printed[at+1:], VersionDefault, 0
	}
	return printed[:at], printed[at+1:], VersionHidden, 0
}
