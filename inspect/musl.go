package inspect

// musl mode: a program whose PT_INTERP is musl's loader (ld-musl-$ARCH.so.1)
// is resolved as musl's ldso/dynlink.c (1.2.3 to 1.2.5) loads it, which
// differs from glibc in most of its rules:
//
//   - load_library: a name "lib" followed by one of "c.", "pthread.", "rt.",
//     "m.", "dl.", "util.", "xnet." (libc.so, libm.so.6, libpthread.so.0,
//     libc.musl-x86_64.so.1...), or the loader's own PT_INTERP path, is the
//     loader itself, which is also libc; so is any file that turns out to
//     define both __libc_start_main and stdin.
//   - load_library: a name with a slash is opened as it is, relative to the
//     current directory; no dynamic string token is substituted in it.
//   - load_library: a name without a slash matches a loaded library whose
//     short name (the base name of the path a search found it at) is that
//     name; the program itself is never matched.
//   - load_library, path_open: LD_LIBRARY_PATH first, then the DT_RPATH or
//     DT_RUNPATH (the two alike; DT_RUNPATH wins when both are present) of
//     the needing object and of each object up its needed_by chain, then
//     the system path. There is no ld.so.cache, no capability
//     subdirectory, no DF_1_NODEFLIB. Path lists split at ':' and '\n' and
//     skip empty elements; each candidate is "dir/name".
//   - path_open: a file that cannot be opened for ENOENT, ENOTDIR, EACCES or
//     ENAMETOOLONG is passed over; any other error ends the search. A file
//     that opens ends it too: when it then cannot be mapped (not an ELF
//     object of the loader's class, no PT_DYNAMIC, a directory) the load
//     fails rather than trying the next directory. The machine is not
//     checked.
//   - fixup_rpath: only $ORIGIN and ${ORIGIN} are substituted (as a prefix
//     match: "$ORIGINX" is the origin then "X"); a path with any other '$'
//     is not used at all. The origin is the directory part of the path the
//     object was opened by, as spelt, or for the program the directory of
//     /proc/self/exe. In secure mode the program's $ORIGIN path, and any
//     relative origin, is not used.
//   - load_library: the system path is the file $PREFIX/etc/ld-musl-$ARCH.path,
//     $PREFIX being the loader's PT_INTERP path less its last two
//     components; "/lib:/usr/local/lib:/usr/lib" when that file does not
//     exist, and nothing when it cannot be read.
//   - load_library: a file found that is the same file (device and inode)
//     as a loaded library is that library.
//   - load_preload: LD_PRELOAD splits at white space and ':'; its names are
//     searched with no needing object (so LD_LIBRARY_PATH, then the system
//     path), and one that cannot be loaded is ignored silently (it is
//     still reported in LinkMap.Dropped).
//   - load_deps: the list of loaded objects is walked from the program,
//     each object's DT_NEEDED loaded in order and appended: breadth first,
//     the preloads' dependencies after the program's.
//   - __dls3: in secure mode LD_LIBRARY_PATH and LD_PRELOAD are ignored.
//
// The program is taken as the kernel runs it. Run as a command
// (ld-musl-$ARCH.so.1 --list PROGRAM), the loader takes the program's
// $ORIGIN from the path it was given rather than /proc/self/exe.

import (
	"debug/elf"
	"errors"
	"os"
	"strings"
	"syscall"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/safeopen"
)

// isMuslInterpreter reports whether interp is musl's dynamic loader: its
// base name is ld-musl-$ARCH.so.1.
func isMuslInterpreter(interp string) bool {
	_, ok := muslArch(interp)
	return ok
}

// muslArch is the LDSO_ARCH of a musl loader path: the $ARCH of
// ld-musl-$ARCH.so.1, which also names its path file.
func muslArch(interp string) (string, bool) {
	base := interp[strings.LastIndexByte(interp, '/')+1:]
	arch, ok := strings.CutPrefix(base, "ld-musl-")
	if !ok {
		return "", false
	}
	arch, ok = strings.CutSuffix(arch, ".so.1")
	return arch, ok && arch != ""
}

// muslReserved is load_library's list of the libraries musl's libc.so
// implements itself: a name "lib" followed by one of these, dot included,
// is the loader.
var muslReserved = []string{"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."}

// muslReservedName returns the index in muslReserved of the entry name
// matches; musl's ldd mode prints each entry once, for the first name
// that matched it.
func muslReservedName(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "lib")
	if !ok {
		return -1, false
	}
	for i, r := range muslReserved {
		if strings.HasPrefix(rest, r) {
			return i, true
		}
	}
	return -1, false
}

// muslDefaultPath is sys_path when the path file does not exist.
const muslDefaultPath = "/lib:/usr/local/lib:/usr/lib"

const (
	muslNameMax = 255 // NAME_MAX: a longer name without a slash is never searched
	muslBufSize = 512 // load_library's buf[2*NAME_MAX+2]: longer candidates are skipped
	muslPathMax = 4096
)

// muslResolver is one emulation of musl's loader for one program.
type muslResolver struct {
	rv         *Resolver
	cfg        Config
	host       elfIdent
	arch       string
	interpPath string  // ldso.name: the program's PT_INTERP
	interp     *Object // the loader, which is libc
	main       *Object
	list       []*Object // the dso list: the program, then each object as load_library appends it
	objects    []*Object // the link map: the list, with the failed loads where they were asked for
	dso        map[*Object]*muslDSO
	files      map[string]*muslFile
	libc       map[string]bool
	envPath    string
	hasEnv     bool
	sysPath    *string
}

// muslDSO is what musl's struct dso keeps that the search uses.
type muslDSO struct {
	name      string  // p->name: the path it was opened by
	shortname string  // p->shortname: matched by later loads of a name without a slash
	neededBy  *Object // p->needed_by: nil for the program and the preloads
	rpath     string  // p->rpath: DT_RUNPATH or DT_RPATH after fixup_rpath
	hasRpath  bool    // false when there is none or fixup_rpath declined it
	rpathRule Rule
}

// muslFile is what one open of a path tells the loader.
type muslFile struct {
	opened  bool          // open succeeded: the search ends here
	errno   syscall.Errno // why open failed, or why the opened file cannot be mapped; 0 when it can
	id      fileID
	ident   elfIdent
	soname  string
	needed  []string
	flags1  elf.DynFlag1
	rpath   string // DT_RUNPATH when there is one, else DT_RPATH (decode_dyn)
	hasPath bool
	pathTag Rule
}

// muslError is why musl's loader could not load a library: the errno its
// "Error loading shared library %s: %m" message shows.
type muslError struct {
	name  string
	errno syscall.Errno
}

func (e *muslError) Error() string { return e.name + ": " + muslStrerror(e.errno) }

func (e *muslError) Unwrap() error { return e.errno }

// muslStrerror is musl's text for the errors a load can end with.
func muslStrerror(e syscall.Errno) string {
	switch e {
	case 0:
		return "No error information"
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.ENOTDIR:
		return "Not a directory"
	case syscall.EISDIR:
		return "Is a directory"
	case syscall.ENOEXEC:
		return "Exec format error"
	case syscall.EINVAL:
		return "Invalid argument"
	case syscall.ELOOP:
		return "Symbolic link loop"
	case syscall.ENAMETOOLONG:
		return "Filename too long"
	case syscall.EIO:
		return "I/O error"
	case syscall.ENOMEM:
		return "Out of memory"
	case syscall.EPERM:
		return "Operation not permitted"
	}
	return e.Error()
}

// resolveMusl builds the link map musl's loader builds for the program at
// path, whose PT_INTERP interp is a musl loader.
func resolveMusl(rv *Resolver, path, interp string) (*LinkMap, error) {
	arch, _ := muslArch(interp)
	m := &muslResolver{
		rv:         rv,
		cfg:        rv.cfg,
		arch:       arch,
		interpPath: interp,
		dso:        map[*Object]*muslDSO{},
		files:      map[string]*muslFile{},
		libc:       map[string]bool{},
	}
	f, err := m.readProgram(path)
	if err != nil {
		return nil, err
	}
	m.host = f.ident
	main := &Object{Name: path, Path: path, Rule: RuleDirect, names: []string{path}}
	m.fill(main, f)
	m.main = main
	m.list = []*Object{main}
	m.objects = []*Object{main}
	m.dso[main] = m.newDSO(path, nil, f, true)
	m.loadInterpreter()
	if !m.cfg.Secure {
		m.envPath, m.hasEnv = m.cfg.Env["LD_LIBRARY_PATH"]
	}
	preloads := m.preloadNames()
	dropped := m.loadPreload(preloads)
	// load_deps: the list grows while it is walked.
	for i := 0; i < len(m.list); i++ {
		p := m.list[i]
		if p == m.interp {
			continue // ldso.deps = no_deps
		}
		for _, name := range p.Needed {
			dep, isNew := m.load(name, p)
			p.Deps = append(p.Deps, dep)
			p.DepNames = append(p.DepNames, name)
			if isNew {
				dep.NeededBy, dep.Depth = p, p.Depth+1
			}
		}
	}
	return &LinkMap{Objects: m.objects, Interpreter: interp, Dropped: dropped, musl: true, muslPreloads: preloads}, nil
}

// readProgram reads the program, which the kernel (or the loader run as a
// command) mapped whatever its search rules; like resolve, it takes the
// path as one of this machine.
func (m *muslResolver) readProgram(path string) (*muslFile, error) {
	ef, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	f := &muslFile{opened: true}
	if err := muslReadDynamic(ef, f); err != nil {
		return nil, err
	}
	return f, nil
}

// loadInterpreter records the loader: its PT_INTERP path is ldso.name and
// its short name "libc.so"; it joins the list only when a load asks for it.
func (m *muslResolver) loadInterpreter() {
	o := &Object{Name: m.interpPath, Path: m.interpPath, Rule: RuleDirect, interp: true, names: []string{m.interpPath}}
	f := m.read(m.interpPath)
	switch {
	case !f.opened:
		o.Err = &muslError{name: m.interpPath, errno: f.errno}
	case f.errno != 0:
		o.Err = &muslError{name: m.interpPath, errno: f.errno}
	default:
		m.fill(o, f)
	}
	// ldso's dev and ino are never set: no file matches it by inode.
	m.dso[o] = &muslDSO{name: m.interpPath, shortname: "libc.so"}
	m.interp = o
}

// self is load_library's answer for the loader itself: it is appended to
// the list the first time.
func (m *muslResolver) self() (*Object, bool) {
	for _, l := range m.list {
		if l == m.interp {
			return l, false
		}
	}
	m.list = append(m.list, m.interp)
	m.objects = append(m.objects, m.interp)
	return m.interp, true
}

// preloadNames are the names of LD_PRELOAD, split at white space and
// ':', as __dls3 and load_preload read them; none in secure mode.
func (m *muslResolver) preloadNames() []string {
	if m.cfg.Secure {
		return nil
	}
	isSep := func(r rune) bool { return r == ':' || r == ' ' || r >= '\t' && r <= '\r' }
	return strings.FieldsFunc(m.cfg.Env["LD_PRELOAD"], isSep)
}

// loadPreload is load_preload: each name loaded with no needing object,
// in order, a failure ignored.
func (m *muslResolver) loadPreload(names []string) []DroppedPreload {
	var dropped []DroppedPreload
	for _, name := range names {
		o, isNew := m.load(name, nil)
		if !o.Found() {
			m.objects = m.objects[:len(m.objects)-1]
			dropped = append(dropped, DroppedPreload{Name: name, From: "LD_PRELOAD", Err: o.Err})
			continue
		}
		if isNew {
			if o != m.interp {
				o.Rule = RulePreload
			}
			o.NeededBy, o.Depth = m.main, 1
		}
	}
	return dropped
}

// load is load_library for name needed by neededBy (nil for a preload).
// It returns the object, and whether it is new to the link map: a library
// just loaded, the loader joining the list, or a failed load (a new entry
// each time, never matched later).
func (m *muslResolver) load(name string, neededBy *Object) (*Object, bool) {
	if name == "" {
		return m.failed(&Object{Name: name}, syscall.EINVAL), true
	}
	if _, ok := muslReservedName(name); ok || name == m.interpPath {
		return m.self()
	}
	o := &Object{Name: name, names: []string{name}}
	var f *muslFile
	var pathname string
	errno := syscall.ENOENT
	if strings.Contains(name, "/") {
		pathname = name
		f = m.try(o, name, RuleDirect)
		if !f.opened {
			return m.failed(o, f.errno), true
		}
	} else {
		for _, l := range m.list[1:] {
			if m.dso[l].shortname == name {
				return l, false
			}
		}
		if len(name) > muslNameMax {
			return m.failed(o, syscall.ENAMETOOLONG), true
		}
		stop := false
		if m.hasEnv {
			f, pathname, stop = m.pathOpen(o, name, m.envPath, RuleLDLibraryPath, &errno)
		}
		for p := neededBy; f == nil && !stop && p != nil; p = m.dso[p].neededBy {
			if d := m.dso[p]; d.hasRpath {
				f, pathname, stop = m.pathOpen(o, name, d.rpath, d.rpathRule, &errno)
			}
		}
		if f == nil && !stop {
			f, pathname, stop = m.pathOpen(o, name, m.systemPath(), RuleDefault, &errno)
		}
		if f == nil {
			return m.failed(o, errno), true
		}
	}
	for _, l := range m.list[1:] {
		if l != m.interp && l.id == f.id {
			if d := m.dso[l]; d.shortname == "" && pathname != name {
				d.shortname = d.name[strings.LastIndexByte(d.name, '/')+1:]
			}
			return l, false
		}
	}
	if f.errno != 0 {
		return m.failed(o, f.errno), true
	}
	if m.isLibc(pathname) {
		// Another libc, or this one by another path: load_library("libc.so").
		return m.load("libc.so", neededBy)
	}
	o.Path = pathname
	o.Rule = o.Tried[len(o.Tried)-1].Rule
	o.id = f.id
	m.fill(o, f)
	m.dso[o] = m.newDSO(pathname, neededBy, f, false)
	if pathname != name {
		m.dso[o].shortname = pathname[strings.LastIndexByte(pathname, '/')+1:]
	}
	m.list = append(m.list, o)
	m.objects = append(m.objects, o)
	return o, true
}

// failed records a load that failed with errno.
func (m *muslResolver) failed(o *Object, errno syscall.Errno) *Object {
	o.Rule = RuleNotFound
	o.Err = &muslError{name: o.Name, errno: errno}
	m.objects = append(m.objects, o)
	return o
}

// pathOpen is path_open: name in each directory of the list s. It returns
// the file that opened and its path, or nil, with stop set when an open
// failed in a way that ends the whole search; errno is left as the last
// failed open set it.
func (m *muslResolver) pathOpen(o *Object, name, s string, rule Rule, errno *syscall.Errno) (*muslFile, string, bool) {
	for _, dir := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '\n' }) {
		p := dir + "/" + name
		if len(p) >= muslBufSize {
			o.Tried = append(o.Tried, Candidate{Path: p, Rule: rule, Reason: "longer than the loader's path buffer"})
			continue
		}
		f := m.try(o, p, rule)
		if f.opened {
			return f, p, false
		}
		*errno = f.errno
		switch f.errno {
		case syscall.ENOENT, syscall.ENOTDIR, syscall.EACCES, syscall.ENAMETOOLONG:
		default:
			return nil, "", true
		}
	}
	return nil, "", false
}

// try opens one candidate and records it.
func (m *muslResolver) try(o *Object, p string, rule Rule) *muslFile {
	f := m.read(p)
	c := Candidate{Path: p, Rule: rule}
	switch {
	case !f.opened && f.errno == syscall.ENOENT:
		c.Reason = "no such file"
	case f.errno != 0:
		c.Reason = muslStrerror(f.errno)
	}
	o.Tried = append(o.Tried, c)
	return f
}

// systemPath is sys_path, read once.
func (m *muslResolver) systemPath() string {
	if m.sysPath == nil {
		s := m.readPathFile()
		m.sysPath = &s
	}
	return *m.sysPath
}

// muslPathFile is where musl's loader at interp reads its system path:
// the loader's path less its last two components, then
// /etc/ld-musl-$ARCH.path.
func muslPathFile(interp, arch string) string {
	prefix := ""
	if strings.HasPrefix(interp, "/") {
		t, z := 0, 0
		for i := 0; i < len(interp); i++ {
			if interp[i] == '/' {
				z, t = t, i
			}
		}
		if z < muslPathMax {
			prefix = interp[:z]
		}
	}
	return prefix + "/etc/ld-musl-" + arch + ".path"
}

func (m *muslResolver) readPathFile() string {
	host, err := m.rv.hostPath(muslPathFile(m.interpPath, m.arch))
	var b []byte
	if err == nil {
		b, err = safeopen.ReadFile(host)
	}
	switch {
	case err == nil:
		s := string(b)
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return s
	case errors.Is(err, syscall.ENOENT):
		return muslDefaultPath
	}
	return ""
}

// newDSO records an object's name, needing object and search path, which
// fixup_rpath expands.
func (m *muslResolver) newDSO(name string, neededBy *Object, f *muslFile, program bool) *muslDSO {
	d := &muslDSO{name: name, neededBy: neededBy}
	if f.hasPath {
		d.rpath, d.hasRpath = m.fixupRpath(f.rpath, name, program)
		d.rpathRule = f.pathTag
	}
	return d
}

// fixupRpath is fixup_rpath: $ORIGIN and ${ORIGIN} replaced by the
// directory part of the object's name, or of /proc/self/exe for the
// program; false when the path is not to be used.
func (m *muslResolver) fixupRpath(orig, name string, program bool) (string, bool) {
	if !strings.Contains(orig, "$") {
		return orig, true
	}
	for s := orig; ; {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			break
		}
		if !strings.HasPrefix(s[i:], "$ORIGIN") && !strings.HasPrefix(s[i:], "${ORIGIN}") {
			return "", false
		}
		s = s[i+1:]
	}
	origin := name
	if program {
		// $ORIGIN of a program in secure mode is under the control of
		// whoever ran it.
		if m.cfg.Secure {
			return "", false
		}
		origin = m.rv.targetPath(exePath(name))
		if len(origin) >= muslBufSize {
			return "", false
		}
	}
	if i := strings.LastIndexByte(origin, '/'); i >= 0 {
		origin = origin[:i]
	} else {
		origin = "."
	}
	if m.cfg.Secure && !strings.HasPrefix(origin, "/") {
		return "", false
	}
	var b strings.Builder
	s := orig
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(origin)
		if s[i+1] == '{' {
			s = s[i+9:]
		} else {
			s = s[i+7:]
		}
	}
	b.WriteString(s)
	return b.String(), true
}

// read opens path once per resolution.
func (m *muslResolver) read(p string) *muslFile {
	if f, ok := m.files[p]; ok {
		return f
	}
	f := m.readFile(p)
	m.files[p] = f
	return f
}

// readFile is the loader's open, fstat and map_library checks on one path.
// A name missing from its directory's listing is known missing without a
// probe.
func (m *muslResolver) readFile(p string) *muslFile {
	if m.rv.listedMissing(p) {
		return &muslFile{errno: syscall.ENOENT}
	}
	host, err := m.rv.hostPath(p)
	var st os.FileInfo
	if err == nil {
		st, err = os.Stat(host)
	}
	if err != nil {
		return &muslFile{errno: errnoOf(err, syscall.ENOENT)}
	}
	f := &muslFile{opened: true}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		f.id = fileID{dev: uint64(sys.Dev), ino: sys.Ino}
	}
	switch {
	case st.IsDir():
		// open succeeds; map_library's read fails.
		f.errno = syscall.EISDIR
		return f
	case !st.Mode().IsRegular():
		// Devices and pipes are no ELF object (and a pipe is not
		// opened here, where it could block).
		f.errno = syscall.ENOEXEC
		return f
	}
	ef, err := elfx.Open(host)
	if err != nil {
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return &muslFile{errno: errno}
		}
		f.errno = syscall.ENOEXEC
		return f
	}
	defer ef.Close()
	if ef.Class != m.host.class || ef.Data != m.host.data ||
		ef.Type != elf.ET_DYN && ef.Type != elf.ET_EXEC {
		f.errno = syscall.ENOEXEC
		return f
	}
	if _, ok := ef.Prog(elf.PT_DYNAMIC); !ok {
		f.errno = syscall.ENOEXEC
		return f
	}
	if err := muslReadDynamic(ef, f); err != nil {
		f.errno = syscall.ENOEXEC
	}
	return f
}

// muslReadDynamic takes what decode_dyn takes from the dynamic array: the
// DT_NEEDED names, and the last DT_RPATH or DT_RUNPATH, DT_RUNPATH
// winning.
func muslReadDynamic(ef *elfx.File, f *muslFile) error {
	f.ident = elfIdent{ef.Class, ef.Data, ef.Machine}
	d, err := ef.Dynamic()
	if err != nil || d == nil {
		return err
	}
	f.soname, f.flags1 = d.Soname, d.Flags1
	f.needed = append([]string{}, d.Needed...)
	var rpath, runpath string
	var hasRpath, hasRunpath bool
	for _, e := range d.Entries {
		switch e.Tag {
		case elf.DT_RPATH:
			rpath, hasRpath = e.Str, true
		case elf.DT_RUNPATH:
			runpath, hasRunpath = e.Str, true
		}
	}
	switch {
	case hasRunpath:
		f.rpath, f.hasPath, f.pathTag = runpath, true, RuleRUNPATH
	case hasRpath:
		f.rpath, f.hasPath, f.pathTag = rpath, true, RuleRPATH
	}
	return nil
}

func (m *muslResolver) fill(o *Object, f *muslFile) {
	o.Soname, o.Needed, o.flags1 = f.soname, f.needed, f.flags1
	o.Machine, o.Class = f.ident.machine, f.ident.class
}

// isLibc is load_library's guard against a second libc: a library that
// defines both __libc_start_main and stdin (musl's or glibc's) is the
// loader.
func (m *muslResolver) isLibc(p string) bool {
	if v, ok := m.libc[p]; ok {
		return v
	}
	v := false
	host, err := m.rv.hostPath(p)
	if err == nil {
		if ef, err := elfx.Open(host); err == nil {
			v = muslDefines(ef, "__libc_start_main") && muslDefines(ef, "stdin")
			ef.Close()
		}
	}
	m.libc[p] = v
	return v
}

// muslDefines is find_sym with need_def on one object: the first entry of
// the name that is not a hidden version decides.
func muslDefines(ef *elfx.File, name string) bool {
	const okTypes = 1<<elf.STT_NOTYPE | 1<<elf.STT_OBJECT | 1<<elf.STT_FUNC | 1<<elf.STT_COMMON | 1<<elf.STT_TLS
	const okBinds = 1<<elf.STB_GLOBAL | 1<<elf.STB_WEAK | 1<<elfx.STB_GNU_UNIQUE
	for s, err := range ef.AllSymbols() {
		if err != nil {
			return false
		}
		if s.Name != name || s.HasVersion && s.VersionIndex.IsHidden() {
			continue
		}
		switch {
		case s.Section == elf.SHN_UNDEF:
			return false
		case s.Value == 0 && s.Type() != elf.STT_TLS:
			return false
		}
		return okTypes&(1<<s.Type()) != 0 && okBinds&(1<<s.Bind()) != 0
	}
	return false
}

// errnoOf is the errno behind err, or def.
func errnoOf(err error, def syscall.Errno) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return def
}
