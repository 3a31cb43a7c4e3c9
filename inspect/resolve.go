package inspect

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/safeopen"
)

// resolver is one emulation of the loader's startup for one program.
type resolver struct {
	caps       []string // capability subdirectories, best first, each ending in '/', the last ""
	platform   string   // $PLATFORM
	libDir     string   // $LIB
	systemDirs []string // the default directories, each ending in '/'
	dirs       map[string]*searchDir
	system     *searchList
	env        *searchList // LD_LIBRARY_PATH; nil when unset or ignored
	cache      libraryCache
	target     Target    // the CPU's capabilities as this loader sees them
	shared     *Resolver // what is read once for every program

	main    *Object
	interp  *Object
	loaded  []*Object          // the link map in load order, the interpreter apart
	byName  map[string]*Object // the first found object in search order answering to a name or soname
	byID    map[fileID]*Object // the first found object in search order that is a file
	host    elfIdent           // what open_verify accepts: the program's class, data and machine
	rtldRef bool               // a DT_NEEDED named the interpreter
}

type elfIdent struct {
	class   elf.Class
	data    elf.Data
	machine elf.Machine
}

// resolve emulates the loader's startup for one program.
func resolve(rv *Resolver, path string) (*LinkMap, error) {
	info, err := readProgram(path)
	if err != nil {
		return nil, err
	}
	if isMuslInterpreter(info.interp) {
		return resolveMusl(rv, path, info.interp) // musl's loader has rules of its own
	}
	cfg := rv.cfg
	r := &resolver{
		shared: rv,
		dirs:   map[string]*searchDir{},
		host:   info.ident,
	}
	r.init()
	main := &Object{Name: path, Path: path, Rule: RuleDirect, names: []string{path}, reserved: true}
	r.main = main
	fill(main, info)
	var notes []string
	if usesOrigin(info) {
		notes = lddOriginNote(path, r.origin(main))
	}
	r.loaded = append(r.loaded, main)
	r.index(main)
	interp := info.interp
	if interp == "" && info.hasDynamic {
		// A shared library given as the program: ldd runs it under the
		// system's loader, which then answers to its standard path.
		interp = DefaultInterpreter(info.ident.class, info.ident.machine)
	}
	if interp != "" {
		r.loadInterpreter(interp)
	}
	main.rpath, main.runpath = r.objectPaths(main, info)
	if !cfg.Secure {
		if llp := cfg.Env["LD_LIBRARY_PATH"]; llp != "" {
			r.env = r.decompose(llp, ":;", main, RuleLDLibraryPath)
			r.env.fixed = true
		}
	}
	preloads, dropped := r.preloads()
	queue := r.mapDeps(append([]*Object{main}, preloads...))
	return &LinkMap{Objects: r.linkMapOrder(queue), Interpreter: info.interp, Dropped: dropped, Notes: notes, hostPath: rv.hostPath, resolver: r}, nil
}

// mapDeps is _dl_map_object_deps: it walks the search list breadth first,
// mapping each object's dependencies in the order of its dynamic array.
// A DT_NEEDED object goes to the end of the list; a filtee (DT_AUXILIARY,
// DT_FILTER) goes right before its filter, in the list and in the link
// map, and its own dependencies are mapped next. A missing auxiliary
// filtee is ignored.
func (r *resolver) mapDeps(queue []*Object) []*Object {
	done := map[*Object]bool{}
	for i := 0; i < len(queue); i++ {
		o := queue[i]
		if done[o] {
			continue
		}
		done[o] = true
		first := -1 // where the first filtee was inserted
		for _, d := range o.deps {
			dep := r.mapObject(o, d.name, false)
			if d.tag == elf.DT_AUXILIARY && !dep.Found() {
				r.drop(dep)
				continue
			}
			o.Deps = append(o.Deps, dep)
			o.DepNames = append(o.DepNames, d.name)
			if d.tag == elf.DT_NEEDED {
				if !dep.reserved {
					r.reserve(dep, o)
					queue = append(queue, dep)
				}
				continue
			}
			at := slices.Index(queue, o)
			switch j := slices.Index(queue, dep); {
			case j >= 0 && j < at:
				continue // already searched earlier
			case j > at:
				queue = slices.Delete(queue, j, j+1)
			default:
				r.reserve(dep, o)
				r.moveBefore(dep, o)
			}
			queue = slices.Insert(queue, at, dep)
			if first < 0 || at < first {
				first = at
			}
		}
		if first >= 0 {
			i = first - 1 // the filtees' dependencies come next
		}
	}
	return queue
}

// reserve puts dep in the search list, first needed by o.
func (r *resolver) reserve(dep, o *Object) {
	dep.reserved = true
	dep.NeededBy, dep.Depth = o, o.Depth+1
	if dep == r.interp {
		r.rtldRef = true
	}
}

// moveBefore moves a filtee just before its filter in the link map, as
// _dl_map_object_deps relinks l_prev and l_next.
func (r *resolver) moveBefore(dep, filter *Object) {
	i := slices.Index(r.loaded, dep)
	if i < 0 {
		return // the interpreter, placed by linkMapOrder
	}
	r.loaded = slices.Delete(r.loaded, i, i+1)
	if j := slices.Index(r.loaded, filter); j >= 0 {
		r.loaded = slices.Insert(r.loaded, j, dep)
	}
}

// init derives the machine-dependent parts of the search from the program.
func (r *resolver) init() {
	m := r.host.machine
	triplet := multiarchTriplet(m, r.host.class, r.host.data)
	r.libDir = "lib/" + triplet
	r.systemDirs = []string{"/lib/" + triplet + "/", "/usr/lib/" + triplet + "/", "/lib/", "/usr/lib/"}
	r.target = r.shared.target(m, r.host.class)
	if r.shared.cfg.HWCaps != nil {
		r.target.HWCaps, r.target.ISALevel = r.shared.cfg.HWCaps, 0
	}
	r.platform = r.target.Platform
	r.caps = capabilityDirs(r.target.HWCaps, legacyHWCapNames(m, r.target.HWCap), r.platform)
	r.system = &searchList{rule: RuleDefault, fixed: true}
	for _, d := range r.systemDirs {
		r.system.dirs = append(r.system.dirs, r.dir(d))
	}
	r.cache = r.shared.ldCache(r.systemDirs)
}

// capabilityDirs lists the subdirectories open_path tries in each search
// directory, as _dl_important_hwcaps builds them: the glibc-hwcaps
// subdirectories, then every subset of the legacy hwcap names, the
// platform and "tls", largest first, ending with the directory itself.
func capabilityDirs(hwcaps, legacy []string, platform string) []string {
	var caps []string
	for _, h := range hwcaps {
		caps = append(caps, "glibc-hwcaps/"+h+"/")
	}
	parts := append([]string{}, legacy...)
	if platform != "" {
		parts = append(parts, platform)
	}
	parts = append(parts, "tls")
	for set := 1<<len(parts) - 1; set >= 0; set-- {
		var b strings.Builder
		for m := len(parts) - 1; m >= 0; m-- {
			if set&(1<<m) != 0 {
				b.WriteString(parts[m])
				b.WriteByte('/')
			}
		}
		caps = append(caps, b.String())
	}
	return caps
}

func (r *resolver) hostPath(p string) (string, error) { return r.shared.hostPath(p) }

// preloadPath is the file of libraries to preload into every program.
const preloadPath = "/etc/ld.so.preload"

// exePath is what readlink("/proc/self/exe") gives the program once it
// runs: its path with every symbolic link resolved, made absolute.
func exePath(path string) string {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path
}

// origin is $ORIGIN for object o, worked out the first time a path
// needs it (for the program it costs a walk of the path's links).
func (r *resolver) origin(o *Object) string {
	if o.origin == "" {
		if o == r.main {
			// The program's $ORIGIN is the directory of the path the
			// loader reads from /proc/self/exe.
			o.origin = r.shared.targetPath(filepath.Dir(exePath(o.Path)))
		} else {
			o.origin = objectOrigin(o.Path)
		}
	}
	return o.origin
}

// usesOrigin reports whether a file's search paths or DT_NEEDED names
// mention $ORIGIN.
func usesOrigin(info *objectInfo) bool {
	s := info.rpath + info.runpath + strings.Join(info.needed, " ")
	return strings.Contains(s, "$ORIGIN") || strings.Contains(s, "${ORIGIN}")
}

// lddOriginNote warns when ldd would expand the program's $ORIGIN
// differently: ldd hands the loader the path as given, and the loader
// takes $ORIGIN from it, while a program that runs takes it from
// /proc/self/exe, its resolved path (ldd /usr/bin/java misses libjli.so
// though java runs).
func lddOriginNote(path, origin string) []string {
	given := objectOrigin(path)
	if given == origin {
		return nil
	}
	return []string{fmt.Sprintf("ldd would expand $ORIGIN to %s, the directory of the path as given, and may answer differently; the program runs with $ORIGIN %s, the directory of its resolved path", given, origin)}
}

// objectOrigin is a library's $ORIGIN: the directory part of the path it
// was opened by, made absolute against the current directory, not
// canonicalised (_dl_new_object).
func objectOrigin(realname string) string {
	i := strings.LastIndexByte(realname, '/')
	dir := "."
	switch {
	case i == 0:
		return "/"
	case i > 0:
		dir = realname[:i]
	}
	if strings.HasPrefix(dir, "/") {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	if dir == "." && i < 0 {
		return wd
	}
	return wd + "/" + dir
}

// loadInterpreter records the program interpreter, which the kernel
// loaded: it answers to its PT_INTERP path and its soname.
func (r *resolver) loadInterpreter(path string) {
	o := &Object{Name: path, Path: path, Rule: RuleDirect, interp: true, names: []string{path}}
	fi := r.read(path, false)
	if fi.err != nil {
		o.Err = fi.err
	} else {
		fill(o, fi.info)
		if o.Soname != "" {
			o.names = append(o.names, o.Soname)
		}
	}
	r.interp = o
	r.index(o)
}

// preloads maps LD_PRELOAD and /etc/ld.so.preload, in that order, as
// rtld's do_preload does: with the program as loader, and a preload that
// cannot be loaded dropped with a warning rather than faked.
func (r *resolver) preloads() ([]*Object, []DroppedPreload) {
	type preload struct{ name, from string }
	var names []preload
	for _, p := range splitAny(r.shared.cfg.Env["LD_PRELOAD"], " :") {
		if p != "" && (!r.shared.cfg.Secure || !strings.Contains(p, "/")) {
			names = append(names, preload{p, "LD_PRELOAD"})
		}
	}
	if !r.shared.cfg.NoPreloadFile {
		if b := r.shared.preloadFile(); b != nil {
			for _, p := range splitAny(string(b), ": \t\n") {
				if p != "" {
					names = append(names, preload{p, preloadPath})
				}
			}
		}
	}
	var objs []*Object
	var dropped []DroppedPreload
	for _, p := range names {
		o := r.mapObject(r.main, p.name, true)
		if !o.Found() {
			r.drop(o)
			dropped = append(dropped, DroppedPreload{Name: p.name, From: p.from, Err: o.Err})
			continue
		}
		if o.reserved {
			continue
		}
		o.reserved = true
		o.Rule, o.NeededBy, o.Depth = RulePreload, r.main, 1
		objs = append(objs, o)
	}
	return objs, dropped
}

// drop removes a failed preload from the link map.
func (r *resolver) drop(o *Object) {
	for i, l := range r.loaded {
		if l == o {
			r.loaded = append(r.loaded[:i], r.loaded[i+1:]...)
			return
		}
	}
}

// linkMapOrder is the final link map: the objects in load order, with the
// interpreter moved after its predecessor in the breadth-first search
// list when a DT_NEEDED named it, and left out otherwise, as rtld does.
func (r *resolver) linkMapOrder(searchList []*Object) []*Object {
	objs := append([]*Object{}, r.loaded...)
	if r.interp == nil || !r.rtldRef {
		return objs
	}
	var pred *Object
	for i, o := range searchList {
		if o == r.interp && i > 0 {
			pred = searchList[i-1]
		}
	}
	for i, o := range objs {
		if o == pred {
			return append(objs[:i+1], append([]*Object{r.interp}, objs[i+1:]...)...)
		}
	}
	return append(objs, r.interp)
}

// mapObject is _dl_map_object: the object already loaded under that name
// or soname, or a new one found by the search rules, or a "not found"
// entry. A preload in secure mode is searched as rtld's __RTLD_SECURE
// asks: not in the cache, and only set-user-ID files.
func (r *resolver) mapObject(loader *Object, name string, preload bool) *Object {
	if l := r.findLoaded(name); l != nil {
		return l
	}
	o := &Object{Name: name, loader: loader, names: []string{name}, securePreload: preload && r.shared.cfg.Secure}
	var fi *fileInfo
	if !strings.Contains(name, "/") {
		fi = r.search(o, loader, name)
	} else {
		path := r.substituteDST(loader, name)
		if path == "" {
			o.Err = fmt.Errorf("%s: empty dynamic string token substitution", name)
		} else {
			var outcome openOutcome
			if fi, outcome = r.try(o, path, RuleDirect); outcome != openUsable && fi.err == nil {
				fi = &fileInfo{err: fmt.Errorf("%s: %s", path, o.Tried[len(o.Tried)-1].Reason)}
			}
		}
	}
	if fi == nil || fi.err != nil {
		if o.Err == nil {
			o.Err = notFound(name, fi)
		}
		o.Rule = RuleNotFound
		r.loaded = append(r.loaded, o)
		return o
	}
	if l := r.sameFile(fi.id); l != nil {
		l.names = append(l.names, name)
		r.byName[name] = l
		return l
	}
	o.Path = o.Tried[len(o.Tried)-1].Path
	o.Rule = o.Tried[len(o.Tried)-1].Rule
	o.id = fi.id
	fill(o, fi.info)
	o.rpath, o.runpath = r.objectPaths(o, fi.info)
	r.loaded = append(r.loaded, o)
	r.index(o)
	return o
}

func notFound(name string, fi *fileInfo) error {
	if fi != nil && fi.err != nil {
		return fi.err
	}
	return fmt.Errorf("%s: cannot open shared object file: No such file or directory", name)
}

// findLoaded finds a loaded object by one of its names or its soname
// (_dl_name_match_p, then l_soname). Objects not found are never matched.
func (r *resolver) findLoaded(name string) *Object {
	l := r.byName[name]
	if l != nil && !slices.Contains(l.names, name) {
		l.names = append(l.names, name)
	}
	return l
}

// index records a found object's names, soname and file for findLoaded
// and sameFile; objects are indexed in search order, so the first keeps a
// name.
func (r *resolver) index(o *Object) {
	if !o.Found() {
		return
	}
	if r.byName == nil {
		r.byName, r.byID = map[string]*Object{}, map[fileID]*Object{}
	}
	for _, n := range append(o.names, o.Soname) {
		if _, ok := r.byName[n]; !ok && n != "" {
			r.byName[n] = o
		}
	}
	if _, ok := r.byID[o.id]; !ok && o.id != (fileID{}) {
		r.byID[o.id] = o
	}
}

// sameFile finds a loaded object that is the same file (device and
// inode) as one just opened under another name.
func (r *resolver) sameFile(id fileID) *Object {
	return r.byID[id]
}

// search runs the search order of _dl_map_object for a name without a
// slash: the DT_RPATH of the loader and of the objects that loaded it
// (unless the loader has DT_RUNPATH), the program's DT_RPATH,
// LD_LIBRARY_PATH, the loader's DT_RUNPATH, ld.so.cache, then the default
// directories, the last two unless DF_1_NODEFLIB.
func (r *resolver) search(o, loader *Object, name string) *fileInfo {
	if loader.runpath == nil {
		didMain := false
		for l := loader.withRPath(); l != nil; l = l.loader.withRPath() {
			if l.rpath.disabled {
				continue
			}
			if fi := r.openPath(o, name, l.rpath); fi != nil {
				return fi
			}
			didMain = didMain || l == r.main
		}
		if !didMain && r.main.rpath != nil && !r.main.rpath.disabled {
			if fi := r.openPath(o, name, r.main.rpath); fi != nil {
				return fi
			}
		}
	}
	if r.env != nil {
		if fi := r.openPath(o, name, r.env); fi != nil {
			return fi
		}
	}
	if loader.runpath != nil && !loader.runpath.disabled {
		if fi := r.openPath(o, name, loader.runpath); fi != nil {
			return fi
		}
	}
	nodeflib := loader.flags1&elf.DF_1_NODEFLIB != 0
	if r.cache != nil && !o.securePreload {
		if path := r.cache.LookupTarget(name, r.target); path != "" {
			if nodeflib && r.inSystemDir(path) {
				o.Tried = append(o.Tried, Candidate{Path: path, Rule: RuleCache, Reason: "in a default directory, and the needing object has DF_1_NODEFLIB"})
			} else if fi, outcome := r.try(o, path, RuleCache); outcome == openUsable || outcome == openFatal {
				return fi
			}
		}
	}
	if !nodeflib {
		return r.openPath(o, name, r.system)
	}
	return nil
}

func (r *resolver) inSystemDir(path string) bool {
	for _, d := range r.systemDirs {
		if strings.HasPrefix(path, d) {
			return true
		}
	}
	return false
}

// openPath is open_path: each directory with each capability
// subdirectory, skipping the ones known to be missing; it stops at the
// first usable file, or at a file that makes the load fail.
func (r *resolver) openPath(o *Object, name string, sl *searchList) *fileInfo {
	any := false
	for _, d := range sl.dirs {
		hereAny := false
		for i, c := range r.caps {
			if d.status[i] == statusMissing {
				continue
			}
			fi, outcome := r.try(o, d.name+c+name, sl.rule)
			if d.status[i] == statusUnknown {
				if outcome == openUsable || r.dirExists(d.name+c) {
					d.status[i] = statusExisting
				} else {
					d.status[i] = statusMissing
				}
			}
			hereAny = hereAny || d.status[i] != statusMissing
			if outcome == openUsable && o.securePreload && !fi.setuid {
				// rtld refuses to preload a file that is not set-user-ID
				// into a secure program, and goes on searching.
				o.Tried[len(o.Tried)-1].Reason = "not set-user-ID, which secure mode requires of a preload"
				outcome = openSkip
			}
			switch {
			case outcome == openUsable || outcome == openFatal:
				return fi
			case outcome == openAbortList && hereAny:
				// An open that fails for another reason than a missing
				// or unreadable file makes open_path give up this list.
				return nil
			}
		}
		any = any || hereAny
	}
	if !any && !sl.fixed {
		sl.disabled = true
	}
	return nil
}

// dirExists is the loader's stat of a search directory after a failed
// open, answered from the directory listing when there is one.
func (r *resolver) dirExists(dir string) bool {
	l := r.shared.dirListing(dir)
	if l.err == nil {
		return !l.missing
	}
	host, err := r.hostPath(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return false
	}
	st, err := os.Stat(host)
	return err == nil && st.IsDir()
}

// openOutcome is how one candidate steers the search.
type openOutcome uint8

const (
	openUsable    openOutcome = iota // the file can be loaded
	openSkip                         // passed over: missing, unreadable, another class or machine
	openAbortList                    // the open failed otherwise (ELOOP, ...): open_path gives up its list
	openFatal                        // the file is there but cannot be loaded: the load of this name fails
)

// try is open_verify on one candidate, recorded in o.Tried.
func (r *resolver) try(o *Object, path string, rule Rule) (*fileInfo, openOutcome) {
	fi := r.read(path, rule != RuleCache && rule != RuleDirect)
	c := Candidate{Path: path, Rule: rule}
	outcome := fi.outcome
	switch {
	case fi.err != nil && errors.Is(fi.err, fs.ErrNotExist):
		c.Reason = "no such file"
	case fi.err != nil:
		c.Reason = fi.err.Error()
	case fi.info.ident.class != r.host.class:
		c.Reason, outcome = fmt.Sprintf("wrong ELF class: %v", fi.info.ident.class), openSkip
	case fi.info.ident.machine != r.host.machine:
		c.Reason, outcome = fmt.Sprintf("wrong machine: %v", fi.info.ident.machine), openSkip
	}
	o.Tried = append(o.Tried, c)
	return fi, outcome
}

// fileInfo is what the search learnt of one path.
type fileInfo struct {
	outcome openOutcome // before the class and machine are compared with the program's
	err     error       // why the file cannot be used
	id      fileID
	setuid  bool
	info    *objectInfo
}

// read opens path once per Resolver and remembers what it found. For a
// probe of a search directory (listed), a name missing from the
// directory's listing is known missing without a system call; a path the
// cache or a DT_NEEDED named is opened directly, not worth a listing.
func (r *resolver) read(path string, listed bool) *fileInfo {
	if listed && r.shared.listedMissing(path) {
		return missingFile
	}
	return r.shared.file(path, r.readFile)
}

// missingFile is the answer for a path whose directory has no such name.
var missingFile = &fileInfo{outcome: openSkip, err: fs.ErrNotExist}

func (r *resolver) readFile(path string) *fileInfo {
	host, err := r.hostPath(path)
	if err != nil {
		return openError(err)
	}
	// O_NONBLOCK: opening a FIFO waits for a writer (the loader would
	// hang there); a regular file reads the same.
	fd, err := syscall.Open(host, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return openError(&fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return &fileInfo{outcome: openFatal, err: &fs.PathError{Op: "stat", Path: path, Err: err}}
	}
	fi := &fileInfo{setuid: st.Mode&syscall.S_ISUID != 0, id: fileID{dev: uint64(st.Dev), ino: st.Ino}}
	fatal := func(msg string) *fileInfo {
		fi.outcome, fi.err = openFatal, fmt.Errorf("%s: %s", path, msg)
		return fi
	}
	// open_verify reads a whole ELF header before it looks at it; a
	// directory opens, and reading it fails.
	switch {
	case st.Mode&syscall.S_IFMT == syscall.S_IFDIR:
		return fatal("cannot read file data: is a directory")
	case st.Mode&syscall.S_IFMT == syscall.S_IFIFO:
		return fatal("a FIFO: the loader would wait for a writer to open it")
	case st.Size < int64(ehdrSize(r.host.class)):
		return fatal("file too short")
	}
	fr := &fdReader{fd: fd, size: st.Size}
	defer fr.release()
	f, err := elfx.NewFile(fr)
	if err != nil {
		var fe *elfx.FormatError
		if errors.Is(err, elfx.ErrNotELF) || !errors.As(err, &fe) {
			return fatal("invalid ELF header")
		}
		return fatal(fe.Msg)
	}
	info, err := readObject(f)
	if err == nil && info.ident.class == r.host.class && info.ident.machine == r.host.machine {
		err = r.verify(f)
	}
	if err != nil {
		return fatal(err.Error())
	}
	fi.info = info
	return fi
}

// readProgram reads what the loader needs of the program, the way
// readFile reads a library; errors name the file.
func readProgram(path string) (*objectInfo, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, fmt.Errorf("%s: not a regular file: %s", path, safeopen.Kind(st.Mode))
	}
	fr := &fdReader{fd: fd, size: st.Size}
	defer fr.release()
	f, err := elfx.NewFile(fr)
	if err == nil {
		var info *objectInfo
		if info, err = readObject(f); err == nil {
			return info, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", path, err)
}

// fdReader reads an open file with pread and knows its size, so that
// reading a library costs an open, an fstat, a few preads of just the
// headers and tables the loader reads, and a close. The first read takes
// the file's head, where the ELF header, the program headers, PT_INTERP
// and in small files the dynamic section and strings are, and later reads
// within it are served from memory. The head's buffer comes from a pool:
// a directory of programs would otherwise allocate, clear and collect one
// for every file.
type fdReader struct {
	fd   int
	size int64
	buf  *[headSize]byte // from headPool, nil until the first read
	head []byte          // the part of buf read from the file
}

// headSize is how much of a file the first read takes. Measured on
// /usr/bin (BenchmarkResolveUsrBin): 2 KiB costs 4,469 preads, 8 KiB
// 3,009 and 16 KiB 2,462, but copying and clearing the larger heads
// costs more time than the preads it saves.
const headSize = 8 << 10

var headPool = sync.Pool{New: func() any { return new([headSize]byte) }}

func (r *fdReader) ReadAt(p []byte, off int64) (int, error) {
	if r.buf == nil {
		r.buf = headPool.Get().(*[headSize]byte)
		r.head = r.buf[:min(r.size, headSize)]
		n, err := syscall.Pread(r.fd, r.head, 0)
		if err != nil || n < len(r.head) {
			r.head = nil // not cached; read directly
		}
	}
	if end := off + int64(len(p)); off >= 0 && end <= int64(len(r.head)) {
		return copy(p, r.head[off:end]), nil
	}
	n, err := syscall.Pread(r.fd, p, off)
	switch {
	case err != nil:
		return max(n, 0), err
	case n < len(p):
		return n, io.EOF
	}
	return n, nil
}

// release returns the head's buffer to the pool; r must not be read
// after.
func (r *fdReader) release() {
	if r.buf != nil {
		headPool.Put(r.buf)
		r.buf, r.head = nil, nil
	}
}

func (r *fdReader) Size() int64 { return r.size }

// openError is the outcome of a failed open: a missing or unreadable file
// is passed over, any other failure ends its search list.
func openError(err error) *fileInfo {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return &fileInfo{outcome: openSkip, err: err}
	}
	return &fileInfo{outcome: openAbortList, err: err}
}

// ehdrSize is the size of the ELF header the loader reads first.
func ehdrSize(c elf.Class) int {
	if c == elf.ELFCLASS32 {
		return 52
	}
	return 64
}

// verify makes the checks of open_verify that end the search with an
// error rather than passing the file over.
func (r *resolver) verify(f *elfx.File) error {
	switch {
	case f.Data != r.host.data:
		return fmt.Errorf("ELF file data encoding not %s", map[elf.Data]string{elf.ELFDATA2LSB: "little-endian", elf.ELFDATA2MSB: "big-endian"}[r.host.data])
	case f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX:
		return errors.New("ELF file OS ABI invalid")
	case f.Type != elf.ET_DYN && f.Type != elf.ET_EXEC:
		return errors.New("only ET_DYN and ET_EXEC can be loaded")
	}
	return nil
}

// depEntry is one dependency an object names.
type depEntry struct {
	tag  elf.DynTag // DT_NEEDED, DT_AUXILIARY or DT_FILTER
	name string     // after dynamic string token substitution
}

// objectInfo is what the loader takes from a file's headers and dynamic
// array.
type objectInfo struct {
	ident                elfIdent
	interp               string
	soname               string
	needed               []string
	rpath                string
	runpath              string
	hasRPATH, hasRUNPATH bool
	// deps are DT_NEEDED, DT_AUXILIARY and DT_FILTER in the order of the
	// dynamic array, which is the order the loader maps them in.
	deps       []depEntry
	hasDynamic bool
	flags1     elf.DynFlag1
}

func readObject(f *elfx.File) (*objectInfo, error) {
	info := &objectInfo{ident: elfIdent{f.Class, f.Data, f.Machine}}
	var err error
	if info.interp, err = f.Interpreter(); err != nil {
		return nil, err
	}
	d, err := f.Dynamic()
	if err != nil || d == nil {
		return info, err
	}
	info.hasDynamic = true
	info.soname, info.flags1 = d.Soname, d.Flags1
	info.needed = append(info.needed, d.Needed...)
	for _, e := range d.Entries {
		if e.Tag == elf.DT_NEEDED || e.Tag == elf.DT_AUXILIARY || e.Tag == elf.DT_FILTER {
			info.deps = append(info.deps, depEntry{tag: e.Tag, name: e.Str})
		}
	}
	for _, e := range d.Entries {
		switch e.Tag {
		case elf.DT_RPATH:
			if !info.hasRPATH {
				info.rpath, info.hasRPATH = e.Str, true
			}
		case elf.DT_RUNPATH:
			if !info.hasRUNPATH {
				info.runpath, info.hasRUNPATH = e.Str, true
			}
		}
	}
	return info, nil
}

// fill copies what the link map shows of a file into o.
func fill(o *Object, info *objectInfo) {
	o.Soname, o.Needed, o.flags1 = info.soname, info.needed, info.flags1
	o.Machine, o.Class = info.ident.machine, info.ident.class
}

// objectPaths decomposes an object's DT_RPATH and DT_RUNPATH; an object
// with DT_RUNPATH has its DT_RPATH ignored. It also expands the object's
// DT_NEEDED names, which need its $ORIGIN.
func (r *resolver) objectPaths(o *Object, info *objectInfo) (rpath, runpath *searchList) {
	for _, d := range info.deps {
		if exp := r.substituteDST(o, d.name); exp != "" {
			d.name = exp
		}
		o.deps = append(o.deps, d)
	}
	if info.hasRUNPATH {
		return nil, r.objectList(info.runpath, o, RuleRUNPATH)
	}
	if info.hasRPATH {
		return r.objectList(info.rpath, o, RuleRPATH), nil
	}
	return nil, nil
}

// objectList is decompose_rpath: an empty path, or one that expands to
// nothing, is no path at all.
func (r *resolver) objectList(path string, o *Object, rule Rule) *searchList {
	if path == "" {
		return &searchList{rule: rule, disabled: true}
	}
	sl := r.decompose(path, ":", o, rule)
	if len(sl.dirs) == 0 {
		sl.disabled = true
	}
	return sl
}
