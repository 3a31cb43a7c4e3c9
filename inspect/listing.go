package inspect

import (
	"errors"
	"fmt"
)

// LddLine is one line the program's loader prints when run as ldd, as it
// prints it but without the load address.
type LddLine struct {
	Text   string
	Stderr bool // written to standard error rather than with the list
}

// LddLines returns what the program's loader prints when run as ldd
// (glibc's ld.so --list, or musl's loader as ldd), in order, without the
// vDSO's line, which the kernel and not the program decides.
func (lm *LinkMap) LddLines() []LddLine {
	if lm.musl {
		return lm.muslLines()
	}
	return lm.glibcLines()
}

// glibcLines is _dl_map_object's complaint about each preload it dropped
// (which ldd shows with its list), then the link map in order: the
// interpreter by its path alone, a missing library as "not found".
func (lm *LinkMap) glibcLines() []LddLine {
	var lines []LddLine
	for _, d := range lm.Dropped {
		lines = append(lines, LddLine{Text: fmt.Sprintf("ERROR: ld.so: object '%s' from %s cannot be preloaded (cannot open shared object file): ignored.", d.Name, d.From)})
	}
	for _, o := range lm.Objects[1:] {
		text := "\t" + o.Name + " => " + o.Path
		switch {
		case !o.Found():
			text = "\t" + o.Name + " => not found"
		case o.Name == o.Path:
			text = "\t" + o.Path
		}
		lines = append(lines, LddLine{Text: text})
	}
	return lines
}

// muslLines is what musl's loader prints as ldd: the loader first, then
// each library as load_library maps it ("name => path"), each reserved
// libc name the first time a load asks for it ("name => loader"), and
// load_deps's error for each library it could not load, on standard
// error, as it happens. A preload that fails is passed over silently.
func (lm *LinkMap) muslLines() []LddLine {
	lines := []LddLine{{Text: "\t" + lm.Interpreter}}
	var interp *Object
	for _, o := range lm.Objects {
		if o.interp {
			interp = o
		}
	}
	reported := map[int]bool{}
	seen := map[*Object]bool{lm.Objects[0]: true}
	ask := func(name string, needer, got *Object) {
		switch {
		case got == interp && got != nil:
			bit, ok := muslReservedName(name)
			if !ok && name != lm.Interpreter {
				name, bit, ok = "libc.so", 0, true // another libc: load_library("libc.so")
			}
			if ok && !reported[bit] {
				reported[bit] = true
				lines = append(lines, LddLine{Text: "\t" + name + " => " + lm.Interpreter})
			}
		case !got.Found():
			if needer != nil {
				var me *muslError
				errno := "No error information"
				if errors.As(got.Err, &me) {
					errno = muslStrerror(me.errno)
				}
				lines = append(lines, LddLine{Text: fmt.Sprintf("Error loading shared library %s: %s (needed by %s)", name, errno, needer.Path), Stderr: true})
			}
		case !seen[got]:
			seen[got] = true
			lines = append(lines, LddLine{Text: "\t" + name + " => " + got.Path})
		}
	}
	// load_preload: the names of LD_PRELOAD, in order.
	for _, name := range lm.muslPreloads {
		got := &Object{Err: errDroppedPreload}
		if _, ok := muslReservedName(name); ok || name == lm.Interpreter {
			got = interp
		}
		for _, o := range lm.Objects {
			if o.Rule == RulePreload && o.Name == name {
				got = o
			}
		}
		ask(name, nil, got)
	}
	for _, o := range lm.Objects {
		if !o.Found() || o.interp {
			continue
		}
		for i, d := range o.Deps {
			ask(o.DepNames[i], o, d)
		}
	}
	return lines
}

// errDroppedPreload stands for a preload musl's loader could not load.
var errDroppedPreload = errors.New("preload not loaded")
