package dl

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Binding is one symbol lookup the loader reported with LD_DEBUG=bindings:
// an object's reference to Symbol and the object whose definition it got.
//
// Objects are named as glibc's DSO_FILENAME names them: a library by the
// path the loader opened (l_name, e.g. "/lib/x86_64-linux-gnu/libc.so.6"
// or "/tmp/x/./libt.so", never canonicalised), the vDSO by its soname
// ("linux-vdso.so.1"), and the main program by the process's argv[0]: the
// path as given to exec ("./prog", "/usr/bin/true"), or the FILE argument
// when the loader runs as a command ("ld.so ./lib.so"). glibc prints
// "<main program>" only when argv[0] is NULL, which Linux (since 5.18)
// never passes: a process started with no arguments gets "" as argv[0],
// so its main program is named "". Both are kept verbatim.
type Binding struct {
	PID    int    // the loader's process, from the line's tag; 0 for an untagged line
	From   string // the referencing object
	FromNS int    // its link-map namespace: 0 unless dlmopen loaded it
	To     string // the object whose definition was chosen
	ToNS   int
	// Protected reports "protected symbol" rather than "normal symbol":
	// the reference is From's own STV_PROTECTED symbol, whose definition
	// the loader does not let another object interpose.
	Protected bool
	Symbol    string // raw (mangled) name
	Version   string // the version the reference asked for; "" for none
}

// Undefined is a symbol the loader could not resolve, from the
// "undefined symbol: S[, version V]\t(OBJECT)" lines that trace mode with
// LD_WARN prints on standard error. A real run fails with "symbol lookup
// error" when it needs one.
type Undefined struct {
	Symbol  string
	Version string // "" when the reference asked for no version
	Object  string // the referencing object, named as in Binding.From
}

// SymbolLookup is one step of the loader's walk of a lookup scope, from
// an LD_DEBUG=symbols line "symbol=S;  lookup in file=F [N]": it searched
// File for Symbol. The steps for one reference run from the first object
// of the scope to the one that defines the symbol (or to the end).
type SymbolLookup struct {
	PID    int
	Symbol string
	File   string
	NS     int
}

// DebugLog is what ParseDebug recognised, each kind in the order of its
// lines.
type DebugLog struct {
	Bindings  []Binding
	Undefined []Undefined
	Lookups   []SymbolLookup
	// NotFound lists the libraries the trace-mode listing marks
	// "NAME => not found"; references to what they would define are
	// undefined.
	NotFound []string
}

// maxLine bounds a line ParseDebug will hold in memory; longer lines are
// skipped. C++ symbol names of several kilobytes are common, 16 MiB ones
// are not.
const maxLine = 16 << 20

// ParseDebug reads the glibc loader's output, any mix of LD_DEBUG lines,
// trace-mode lines, the ldd-style listing and other text, and returns the
// bindings, undefined symbols, lookups and missing libraries it
// recognises. Other lines, and lines over 16 MiB, are skipped, so the
// program's own output or a truncated file does no harm; the only error
// is the reader's.
//
// Object names may contain anything but a newline, so a binding line
// whose names contain the loader's own separators (" [0] to ", say) can
// be split in more than one way. ParseDebug then chooses the split whose
// objects the log names elsewhere: in the listing, in lookup lines or in
// bindings that split only one way; on a tie, the one with the shortest
// referencing object and the longest symbol. A version is taken to
// contain no "' [".
func ParseDebug(r io.Reader) (*DebugLog, error) {
	p := newParser()
	if err := p.read(r); err != nil {
		return nil, err
	}
	return p.finish(), nil
}

// parser gathers one DebugLog from one or more readers.
type parser struct {
	log       DebugLog
	known     map[string]bool // object names the log shows unambiguously
	ambiguous []ambiguousBinding
}

// ambiguousBinding is a binding line that splits in several ways, to be
// settled once every name in the log is known.
type ambiguousBinding struct {
	index int       // in log.Bindings
	cands []Binding // the splits, in the order of the tie-break
}

func newParser() *parser {
	return &parser{known: make(map[string]bool)}
}

// read parses every line of r.
func (p *parser) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte // a line longer than br's buffer, gathered
	skip := false   // the current line is longer than maxLine
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || len(long) > 0 || skip {
			if skip || len(long)+len(chunk) > maxLine {
				skip, long = true, long[:0]
			} else {
				long = append(long, chunk...)
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			chunk = long
		}
		if !skip && len(chunk) > 0 {
			p.line(string(chunk))
		}
		long, skip = long[:0], false
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line recognises one line, with or without its line end.
func (p *parser) line(s string) {
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	pid, body, tagged := cutTag(s)
	if rest, ok := strings.CutPrefix(body, "binding file "); ok {
		p.binding(pid, rest)
	} else if rest, ok := strings.CutPrefix(body, "symbol="); ok {
		p.lookup(pid, rest)
	} else if rest, ok := strings.CutPrefix(body, "undefined symbol: "); ok {
		p.undefined(rest)
	} else if rest, ok := strings.CutPrefix(s, "\t"); ok && !tagged {
		p.listing(rest)
	}
}

// cutTag removes the "%10d:\t" process tag that _dl_debug_printf puts
// before each line.
func cutTag(s string) (pid int, body string, ok bool) {
	t := strings.TrimLeft(s, " ")
	colon := strings.Index(t, ":\t")
	if colon < 0 {
		return 0, s, false
	}
	pid, ok = parseNum(t[:colon])
	if !ok {
		return 0, s, false
	}
	return pid, t[colon+2:], true
}

// parseNum parses an unsigned decimal number as the loader prints it
// (%lu): no sign, no leading zero. Other spellings are not separators,
// which keeps a line from splitting more ways than it must.
func parseNum(s string) (int, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// binding parses what follows "binding file ", as printed by
// _dl_lookup_symbol_x:
//
//	FROM [N] to TO [N]: normal|protected symbol `SYMBOL'[ [VERSION]]
func (p *parser) binding(pid int, s string) {
	cands := bindingSplits(s)
	switch len(cands) {
	case 0:
		return
	case 1:
		p.known[cands[0].From] = true
		p.known[cands[0].To] = true
	default:
		p.ambiguous = append(p.ambiguous, ambiguousBinding{len(p.log.Bindings), cands})
	}
	b := cands[0]
	b.PID = pid
	p.log.Bindings = append(p.log.Bindings, b)
}

// bindingSplits returns every way s, a binding line after "binding file ",
// splits into fields: symbol separators from the first, and for each,
// object separators from the first.
func bindingSplits(s string) []Binding {
	var cands []Binding
	const symSep = " symbol `"
	for off := 0; ; {
		i := strings.Index(s[off:], symSep)
		if i < 0 {
			return cands
		}
		i += off
		off = i + 1
		head := s[:i]
		protected := false
		if h, ok := strings.CutSuffix(head, "]: normal"); ok {
			head = h
		} else if h, ok := strings.CutSuffix(head, "]: protected"); ok {
			head, protected = h, true
		} else {
			continue
		}
		mid, toNS, ok := cutNS(head)
		if !ok {
			continue
		}
		sym, ver, ok := symbolTail(s[i+len(symSep):])
		if !ok {
			continue
		}
		for moff := 0; ; {
			j := strings.Index(mid[moff:], "] to ")
			if j < 0 {
				break
			}
			j += moff
			moff = j + 1
			from, fromNS, ok := cutNS(mid[:j])
			if !ok {
				continue
			}
			cands = append(cands, Binding{
				From: from, FromNS: fromNS, To: mid[j+len("] to "):], ToNS: toNS,
				Protected: protected, Symbol: sym, Version: ver,
			})
		}
	}
}

// cutNS splits "NAME [N" into NAME and N.
func cutNS(s string) (name string, ns int, ok bool) {
	i := strings.LastIndex(s, " [")
	if i < 0 {
		return "", 0, false
	}
	ns, ok = parseNum(s[i+2:])
	return s[:i], ns, ok
}

// symbolTail splits what follows the opening quote of the symbol:
// "SYMBOL'" or "SYMBOL' [VERSION]".
func symbolTail(s string) (sym, ver string, ok bool) {
	if sym, ok := strings.CutSuffix(s, "'"); ok {
		return sym, "", true
	}
	if !strings.HasSuffix(s, "]") {
		return "", "", false
	}
	i := strings.LastIndex(s, "' [")
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+len("' [") : len(s)-1], true
}

// lookup parses what follows "symbol=", as printed by do_lookup_x:
//
//	SYMBOL;  lookup in file=FILE [N]
func (p *parser) lookup(pid int, s string) {
	sym, rest, ok := strings.Cut(s, ";  lookup in file=")
	if !ok {
		return
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return
	}
	file, ns, ok := cutNS(rest)
	if !ok {
		return
	}
	p.known[file] = true
	p.log.Lookups = append(p.log.Lookups, SymbolLookup{PID: pid, Symbol: sym, File: file, NS: ns})
}

// undefined parses what follows "undefined symbol: " in trace mode's
// report (print_unresolved in rtld.c):
//
//	SYMBOL[, version VERSION]\t(OBJECT)
func (p *parser) undefined(s string) {
	what, obj, ok := strings.Cut(s, "\t(")
	if !ok {
		return
	}
	obj, ok = strings.CutSuffix(obj, ")")
	if !ok {
		return
	}
	u := Undefined{Symbol: what, Object: obj}
	if i := strings.LastIndex(what, ", version "); i >= 0 {
		u.Symbol, u.Version = what[:i], what[i+len(", version "):]
	}
	p.log.Undefined = append(p.log.Undefined, u)
}

// listing parses a trace-mode listing line after its tab:
// "NAME => PATH (0xADDR)", "PATH (0xADDR)" or "NAME => not found".
func (p *parser) listing(s string) {
	if name, ok := strings.CutSuffix(s, " => not found"); ok {
		p.log.NotFound = append(p.log.NotFound, name)
		return
	}
	s, ok := strings.CutSuffix(s, ")")
	if !ok {
		return
	}
	i := strings.LastIndex(s, " (0x")
	if i < 0 || strings.Trim(s[i+len(" (0x"):], "0123456789abcdef") != "" {
		return
	}
	name := s[:i]
	if _, path, ok := strings.Cut(name, " => "); ok {
		name = path
	}
	p.known[name] = true
}

// finish settles the ambiguous bindings and returns the log.
func (p *parser) finish() *DebugLog {
	for _, a := range p.ambiguous {
		best, bestScore := a.cands[0], -1
		for _, c := range a.cands {
			score := 0
			if p.known[c.From] {
				score++
			}
			if p.known[c.To] {
				score++
			}
			if score > bestScore {
				best, bestScore = c, score
			}
		}
		best.PID = p.log.Bindings[a.index].PID
		p.log.Bindings[a.index] = best
	}
	p.ambiguous = nil
	return &p.log
}
