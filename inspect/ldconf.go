package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Bounds on what one configuration may make ReadConf do. ldconfig has
// none: it recurses through include loops until it runs out of file
// descriptors.
const (
	maxConfDepth = 64    // nested includes
	maxConfFiles = 10000 // files read in all
	maxGlobPaths = 10000 // paths include patterns match, in all
	maxSymlinks  = 40    // __eloop_threshold, per path
	pathMax      = 4096  // PATH_MAX: longer paths fail with ENAMETOOLONG
)

// ReadConf returns the library directories that ldconfig takes from the
// configuration file path (usually /etc/ld.so.conf), in the order it scans
// them, before it adds the trusted directories. With a root, as for
// ldconfig -r, the file, its includes and the directories are looked up
// inside root, symbolic links included, while the result keeps the
// target's spelling.
//
// A missing file yields no directories and no error, as for ldconfig; an
// included file that cannot be read is skipped, as ldconfig skips it with
// a warning.
func ReadConf(root, path string) ([]string, error) {
	if root == "" {
		root = "/"
		if !filepath.IsAbs(path) {
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, err
			}
			path = abs
		}
	}
	return ReadConfFS(os.DirFS(root), path)
}

// ReadConfFS is ReadConf on a file system that holds the target's root. It
// follows symbolic links when fsys implements fs.ReadLinkFS. A relative
// path is taken from the root, as ldconfig -r takes it after its chroot.
//
// It follows parse_conf, parse_conf_include and add_dir_1 of glibc 2.36's
// elf/ldconfig.c:
//   - a line ends at '#'; leading white space is skipped; a blank line is
//     ignored;
//   - "include" and a blank start a list of glob patterns separated by
//     blanks; a relative pattern is relative to the including file's
//     directory; the matches are read in byte order;
//   - "hwcap" (any case) and a blank is an obsolete directive, ignored;
//   - any other line is one directory: the whole rest of the line up to an
//     '=' (which starts a library type, ignored) without trailing white
//     space and slashes. White space, commas and colons inside it do not
//     separate directories, as they did in libc5's ldconfig. "/" ends up
//     empty and is ignored;
//   - a directory that does not exist is dropped, and so is one already
//     listed (ldconfig compares device and inode; this compares the path
//     with every symbolic link resolved).
//
// ldconfig also scans each directory's glibc-hwcaps subdirectories, which
// are not listed here. A file that includes itself, directly or not, is
// not read again.
func ReadConfFS(fsys fs.FS, path string) ([]string, error) {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	r := &confReader{fsys: fsys, seen: make(map[string]bool)}
	if err := r.parseFile(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return r.dirs, nil
}

type confReader struct {
	fsys  fs.FS
	dirs  []string
	seen  map[string]bool // resolved paths of dirs
	stack []string        // resolved paths of the files being read
	files int
	paths int // paths globbed
}

// errConfLimit stops the whole read once a bound is hit.
var errConfLimit = errors.New("include limit reached")

func (r *confReader) parseFile(name string) error {
	fp, err := r.canon(name)
	if err != nil {
		return err
	}
	if slices.Contains(r.stack, fp) {
		return nil
	}
	if len(r.stack) >= maxConfDepth || r.files >= maxConfFiles {
		return fmt.Errorf("%s: %w: more than %d nested or %d read configuration files", name, errConfLimit, maxConfDepth, maxConfFiles)
	}
	r.files++
	data, err := fs.ReadFile(r.fsys, fp)
	if err != nil {
		return err
	}
	r.stack = append(r.stack, fp)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()

	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		// The line is a C string: it ends at a NUL, then at a '#'.
		line, _, _ = bytes.Cut(line, []byte{0})
		line, _, _ = bytes.Cut(line, []byte{'#'})
		cp := strings.TrimLeft(string(line), cSpace)
		switch {
		case cp == "":
		case strings.HasPrefix(cp, "include") && len(cp) > 7 && isBlank(cp[7]):
			for _, pattern := range strings.FieldsFunc(cp[8:], func(c rune) bool { return c == ' ' || c == '\t' }) {
				if err := r.include(name, pattern); err != nil {
					return err
				}
			}
		case len(cp) > 5 && strings.EqualFold(cp[:5], "hwcap") && isBlank(cp[5]):
		default:
			r.addDir(cp)
		}
	}
	return nil
}

// cSpace is isspace in the C locale.
const cSpace = " \t\n\v\f\r"

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// include reads the files matching pattern, found in the configuration
// file from.
func (r *confReader) include(from, pattern string) error {
	if !strings.HasPrefix(pattern, "/") {
		pattern = path.Dir(from) + "/" + pattern
	}
	if len(pattern) >= pathMax {
		return nil
	}
	matches, err := r.glob(pattern)
	if err != nil {
		return fmt.Errorf("%s: include %s: %w", from, pattern, err)
	}
	slices.Sort(matches)
	for _, m := range matches {
		if err := r.parseFile(m); errors.Is(err, errConfLimit) {
			return err
		}
	}
	return nil
}

// addDir is add_dir_1 for one configuration line.
func (r *confReader) addDir(line string) {
	dir, _, _ := strings.Cut(line, "=")
	dir = strings.TrimRight(strings.TrimRight(dir, cSpace), "/")
	if dir == "" {
		return
	}
	fp, err := r.canon(dir)
	if err != nil {
		return
	}
	if _, err := fs.Stat(r.fsys, fp); err != nil || r.seen[fp] {
		return
	}
	r.seen[fp] = true
	r.dirs = append(r.dirs, dir)
}

// canon is chroot_canon on the configuration's file system.
func (r *confReader) canon(name string) (string, error) { return canonIn(r.fsys, name) }

// glob is glibc's glob with no flags, on target paths: the directory part
// is globbed first, the last component matched with fnmatch and
// FNM_PERIOD, and a pattern without wildcards yields the path if it exists.
// The caller sorts. Wildcards over a symbolic link to a parent can match
// without end, so the paths matched are counted.
func (r *confReader) glob(pattern string) ([]string, error) {
	i := strings.LastIndexByte(pattern, '/')
	dir, file := pattern[:i], pattern[i+1:]
	var dirs []string
	switch {
	case dir == "":
		dirs = []string{"/"}
	case globMagic(dir):
		var err error
		if dirs, err = r.glob(dir); err != nil {
			return nil, err
		}
	default:
		dirs = []string{globUnescape(dir)}
	}
	join := func(d, name string) string {
		if strings.HasSuffix(d, "/") {
			return d + name
		}
		return d + "/" + name
	}
	var out []string
	add := func(p string) error {
		if r.paths++; r.paths > maxGlobPaths {
			return fmt.Errorf("%w: patterns match more than %d paths", errConfLimit, maxGlobPaths)
		}
		out = append(out, p)
		return nil
	}
	for _, d := range dirs {
		if !globMagic(file) {
			p := join(d, globUnescape(file))
			if fp, err := r.canon(p); err == nil {
				if _, err := fs.Lstat(r.fsys, fp); err == nil {
					if err := add(p); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		fp, err := r.canon(d)
		if err != nil {
			continue
		}
		ents, err := fs.ReadDir(r.fsys, fp)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if fnmatch(file, e.Name()) {
				if err := add(join(d, e.Name())); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// globMagic reports whether a pattern has an unescaped wildcard.
func globMagic(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// globUnescape drops the backslashes of a pattern without wildcards.
func globUnescape(p string) string {
	if !strings.Contains(p, "\\") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// fnmatch is fnmatch(3) with FNM_PERIOD in the C locale: '*', '?', bracket
// expressions with '!' or '^', ranges and [:class:], and backslash escapes.
// A leading '.' of name matches only a literal '.'; a trailing backslash or
// an unknown class name makes the whole pattern fail.
func fnmatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(pattern, ".") && !strings.HasPrefix(pattern, "\\.") {
		return false
	}
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			if pattern[p] == '*' {
				starP, starN = p, n
				p++
				continue
			}
			width, ok := matchOne(pattern[p:], name[n])
			if width < 0 {
				return false
			}
			if ok {
				p += width
				n++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP+1, starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchOne matches the single-byte token at the start of pattern (not
// '*') against c, returning the token's width, or -1 when the token fails
// the whole pattern.
func matchOne(pattern string, c byte) (int, bool) {
	switch pattern[0] {
	case '?':
		return 1, true
	case '\\':
		if len(pattern) == 1 {
			return -1, false
		}
		return 2, pattern[1] == c
	case '[':
		if width, ok := matchBracket(pattern, c); width != 0 {
			return width, ok
		}
	}
	return 1, pattern[0] == c
}

// matchBracket matches a bracket expression at the start of pattern,
// returning its width, 0 when it is not closed (the '[' is then a literal)
// or -1 when it names an unknown class.
func matchBracket(pattern string, c byte) (int, bool) {
	i := 1
	negate := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		negate = true
		i++
	}
	matched := false
	for first := true; ; first = false {
		if i >= len(pattern) {
			return 0, false
		}
		ch := pattern[i]
		if ch == ']' && !first {
			return i + 1, matched != negate
		}
		if ch == '[' && i+1 < len(pattern) && pattern[i+1] == ':' {
			// A class name is lower-case letters before 'z', as
			// glibc's fnmatch_loop.c scans it; anything else makes
			// the '[' an ordinary member.
			j := i + 2
			for j < len(pattern) && pattern[j] >= 'a' && pattern[j] < 'z' {
				j++
			}
			if j+1 < len(pattern) && pattern[j] == ':' && pattern[j+1] == ']' {
				in, known := cClass(pattern[i+2:j], c)
				if !known {
					return -1, false
				}
				matched = matched || in
				i = j + 2
				continue
			}
		}
		if ch == '\\' {
			if i+1 >= len(pattern) {
				return -1, false
			}
			i++
			ch = pattern[i]
		}
		lo := ch
		i++
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi := pattern[i+1]
			i += 2
			if hi == '\\' {
				if i >= len(pattern) {
					return -1, false
				}
				hi = pattern[i]
				i++
			}
			matched = matched || (lo <= c && c <= hi)
			continue
		}
		matched = matched || c == lo
	}
}

// cClass is a character class of the C locale.
func cClass(class string, c byte) (in, known bool) {
	lower := c >= 'a' && c <= 'z'
	upper := c >= 'A' && c <= 'Z'
	digit := c >= '0' && c <= '9'
	alpha := lower || upper
	graph := c > ' ' && c < 0x7f
	switch class {
	case "alnum":
		return alpha || digit, true
	case "alpha":
		return alpha, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < ' ' || c == 0x7f, true
	case "digit":
		return digit, true
	case "graph":
		return graph, true
	case "lower":
		return lower, true
	case "print":
		return graph || c == ' ', true
	case "punct":
		return graph && !alpha && !digit, true
	case "space":
		return strings.IndexByte(cSpace, c) >= 0, true
	case "upper":
		return upper, true
	case "xdigit":
		return digit || (c|0x20 >= 'a' && c|0x20 <= 'f'), true
	}
	return false, false
}
