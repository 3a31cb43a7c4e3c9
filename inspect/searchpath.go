package inspect

import (
	"strings"
)

// dirStatus is what the loader has learnt about one search directory
// with one capability subdirectory appended (r_dir_status).
type dirStatus uint8

const (
	statusUnknown dirStatus = iota
	statusExisting
	statusMissing
)

// searchDir is one directory of a search path. The loader shares these
// between every list that names the same directory (GL(dl_all_dirs)), so
// a directory found missing once is skipped by every later search.
type searchDir struct {
	name   string      // with a trailing slash, or "" for the current directory
	status []dirStatus // one a capability subdirectory
}

// searchList is a decomposed search path: DT_RPATH, DT_RUNPATH,
// LD_LIBRARY_PATH or the default directories.
type searchList struct {
	dirs []*searchDir
	rule Rule
	// disabled is set once a search found none of the directories: the
	// loader stops looking at such an object path (not at LD_LIBRARY_PATH
	// or the default directories).
	disabled bool
	fixed    bool // LD_LIBRARY_PATH or the default directories, never disabled
}

// decompose splits a path list on any of seps and expands each element as
// fillin_rpath does: dynamic string tokens substituted for object o,
// elements that expand to nothing dropped, trailing slashes trimmed to
// one, duplicates within the list dropped. An empty element is the
// current directory.
func (r *resolver) decompose(list, seps string, o *Object, rule Rule) *searchList {
	sl := &searchList{rule: rule}
	for _, elem := range splitAny(list, seps) {
		if elem != "" {
			elem = r.substituteDST(o, elem)
			if elem == "" {
				continue
			}
			elem = strings.TrimRight(elem, "/")
			if elem == "" {
				elem = "/"
			} else {
				elem += "/"
			}
		}
		d := r.dir(elem)
		dup := false
		for _, have := range sl.dirs {
			if have == d {
				dup = true
				break
			}
		}
		if !dup {
			sl.dirs = append(sl.dirs, d)
		}
	}
	return sl
}

// splitAny is strsep over a set of separators: every separator ends an
// element, so "a::b" has an empty element and "" has one.
func splitAny(s, seps string) []string {
	var out []string
	for {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// dir returns the shared entry for a directory name, creating it. A
// relative directory is never marked missing: the current directory may
// change.
func (r *resolver) dir(name string) *searchDir {
	if d, ok := r.dirs[name]; ok {
		return d
	}
	d := &searchDir{name: name, status: make([]dirStatus, len(r.caps))}
	if !strings.HasPrefix(name, "/") {
		for i := range d.status {
			d.status[i] = statusExisting
		}
	}
	r.dirs[name] = d
	return d
}
