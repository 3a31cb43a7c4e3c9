package inspect

import "debug/elf"

// Rule names how the loader found a library; the strings are elfx deps's
// JSON "via" values.
type Rule string

const (
	RuleRPATH         Rule = "rpath"           // DT_RPATH of the needing object or of an object that loaded it (musl: either tag, up the chain)
	RuleLDLibraryPath Rule = "ld_library_path" // the LD_LIBRARY_PATH directories
	RuleRUNPATH       Rule = "runpath"         // DT_RUNPATH of the needing object (musl: up the chain too)
	RuleCache         Rule = "ld.so.cache"     // /etc/ld.so.cache
	RuleDefault       Rule = "default"         // the loader's built-in directories
	RulePreload       Rule = "preload"         // LD_PRELOAD or /etc/ld.so.preload
	RuleDirect        Rule = "direct"          // a name with a slash, opened as it is, or the program interpreter
	RuleNotFound      Rule = "not found"
)

// Object is one entry of the link map.
type Object struct {
	// Name is the name the object was first asked for by: the DT_NEEDED
	// string (after $ORIGIN-style substitution), the LD_PRELOAD entry, or
	// the program's path.
	Name string
	// Path is the file the loader opened, spelled as the loader spells
	// it (never canonicalised); "" when the library was not found.
	Path     string
	Rule     Rule
	NeededBy *Object // the object whose DT_NEEDED (or filter entry) first loaded it; the program for preloads, nil for the program
	Depth    int     // 0 for the program, 1 for its direct dependencies and preloads, ...
	// Tried lists every file the search looked at, in order, with the
	// reason each was passed over; the last one is the file taken, when
	// one was.
	Tried []Candidate
	// Err says why the object is missing or unusable; nil when it loaded.
	Err error
	// Deps are the objects its DT_NEEDED, DT_FILTER and DT_AUXILIARY
	// entries resolved to, in order (repeats included): the edges of the
	// dependency graph.
	Deps []*Object
	// DepNames are the names Deps were asked for by, after $ORIGIN-style
	// substitution: a library reached by its soname, or the interpreter
	// by its short name, is named here as its needer wrote it.
	DepNames []string

	Soname  string
	Needed  []string // DT_NEEDED entries as written in the file
	Machine elf.Machine
	Class   elf.Class

	interp   bool // the program interpreter, loaded by the kernel
	reserved bool // already in the breadth-first search list (l_reserved)
	// securePreload marks a preload of a secure program while it is
	// searched for (__RTLD_SECURE).
	securePreload bool
	names         []string // every name the object answers to (l_libname)
	id            fileID
	rpath         *searchList // DT_RPATH, expanded; nil when the object has none
	runpath       *searchList // DT_RUNPATH, expanded
	flags1        elf.DynFlag1
	origin        string // the directory $ORIGIN expands to
	loader        *Object
	// rpathUp is the nearest object up the loader chain from this one,
	// itself included, that has a DT_RPATH (once rpathUpKnown).
	rpathUp      *Object
	rpathUpKnown bool
	deps         []depEntry // DT_NEEDED, DT_AUXILIARY and DT_FILTER in order
}

// withRPath is the nearest object up o's loader chain, o included, that
// has a DT_RPATH; nil when none has. The search walks only those: walking
// every object would make a chain of libraries 10,000 deep quadratic.
func (o *Object) withRPath() *Object {
	if o == nil {
		return nil
	}
	if !o.rpathUpKnown {
		o.rpathUp, o.rpathUpKnown = o, true
		if o.rpath == nil {
			o.rpathUp = o.loader.withRPath()
		}
	}
	return o.rpathUp
}

// IsInterpreter reports whether the object is the program interpreter,
// which the kernel loads by its PT_INTERP path before any search.
func (o *Object) IsInterpreter() bool { return o.interp }

// SameFile reports whether o and other were read from one file (device
// and inode), however each was named.
func (o *Object) SameFile(other *Object) bool {
	return o.id != (fileID{}) && o.id == other.id
}

// Found reports whether the loader found the object.
func (o *Object) Found() bool { return o.Err == nil && o.Path != "" }

// Candidate is one file the search looked at.
type Candidate struct {
	Path   string
	Rule   Rule
	Reason string // why it was passed over; "" for the file taken
}

// LinkMap is the loader's list of loaded objects for a program, in the
// order it builds it: the program, the preloads, then its dependencies
// breadth first, as _dl_map_object_deps adds them (ldd's order).
type LinkMap struct {
	Objects     []*Object // Objects[0] is the program
	Interpreter string    // PT_INTERP of the program, "" when it has none
	// Dropped are the preloads the loader could not load: it warns and
	// goes on without them.
	Dropped []DroppedPreload
	// Notes say where ldd would answer differently from the program run.
	Notes []string

	// hostPath maps a path of the target to the file on this machine
	// (under the sysroot); nil when they are the same.
	hostPath     func(string) (string, error)
	resolver     *resolver // the loader's state, for a later dlopen; nil for musl
	musl         bool      // built by musl's rules
	muslPreloads []string  // LD_PRELOAD's names, in order, when musl reads it
}

// DroppedPreload is a preload that could not be loaded.
type DroppedPreload struct {
	Name string
	From string // "LD_PRELOAD" or the preload file's path
	Err  error
}

// HostPath is where o's file is on this machine: its path inside the
// sysroot the link map was resolved in, or its path as it is. The
// program's path is always one of this machine's.
func (lm *LinkMap) HostPath(o *Object) (string, error) {
	if lm.hostPath == nil || o == lm.Objects[0] {
		return o.Path, nil
	}
	return lm.hostPath(o.Path)
}

// fileID identifies a file by device and inode, as the loader does to
// notice one library reached by two names.
type fileID struct{ dev, ino uint64 }
