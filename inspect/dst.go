package inspect

import (
	"path"
	"strings"
)

// isDST reports the length of the dynamic string token ref at the start
// of s (which follows a '$'): "ORIGIN" or "{ORIGIN}", not followed by an
// identifier character. It is glibc's is_dst.
func isDST(s, ref string) int {
	curly := strings.HasPrefix(s, "{")
	if curly {
		s = s[1:]
	}
	if !strings.HasPrefix(s, ref) {
		return 0
	}
	rest := s[len(ref):]
	if curly {
		if !strings.HasPrefix(rest, "}") {
			return 0
		}
		return len(ref) + 2
	}
	if rest != "" && isIdentChar(rest[0]) {
		return 0
	}
	return len(ref)
}

func isIdentChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

// substituteDST expands $ORIGIN, $PLATFORM and $LIB in one path (or
// DT_NEEDED name) of object o, as _dl_dst_substitute does. It returns ""
// when a token it knows cannot be expanded, which drops the path: in
// secure mode $ORIGIN is kept only as the first element of the path, and
// the program's expansion must lie in a trusted directory.
func (r *resolver) substituteDST(o *Object, s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	checkTrusted := false
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		rest := s[i+1:]
		var repl string
		var n int
		known := true
		switch {
		case isDST(rest, "ORIGIN") > 0:
			n = isDST(rest, "ORIGIN")
			if r.shared.cfg.Secure && !(i == 0 && (len(rest) == n || rest[n] == '/')) {
				return ""
			}
			repl = r.origin(o)
			checkTrusted = r.shared.cfg.Secure && o.Depth == 0
		case isDST(rest, "PLATFORM") > 0:
			n, repl = isDST(rest, "PLATFORM"), r.platform
		case isDST(rest, "LIB") > 0:
			n, repl = isDST(rest, "LIB"), r.libDir
		default:
			known = false
		}
		if !known {
			b.WriteByte('$')
			i++
			continue
		}
		if repl == "" {
			return ""
		}
		b.WriteString(repl)
		i += 1 + n
	}
	out := b.String()
	if checkTrusted && !r.trusted(out) {
		return ""
	}
	return out
}

// trusted reports whether p, normalised, lies in one of the loader's
// default directories (is_trusted_path_normalize).
func (r *resolver) trusted(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	clean := path.Clean(p) + "/"
	for _, dir := range r.systemDirs {
		if strings.HasPrefix(clean, dir) {
			return true
		}
	}
	return false
}
