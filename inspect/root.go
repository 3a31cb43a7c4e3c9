package inspect

import (
	"io/fs"
	"strings"
	"syscall"
)

// canonIn is ldconfig's chroot_canon: the path in fsys (which holds the
// target's root) of the absolute target path name, every symbolic link
// resolved inside the root, as if the root were /, and "." and ".."
// removed. The last component need not exist; the others must.
func canonIn(fsys fs.FS, name string) (string, error) {
	var dest []string
	rest := name
	links := 0
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			break
		}
		comp := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		switch comp {
		case ".":
			continue
		case "..":
			if len(dest) > 0 {
				dest = dest[:len(dest)-1]
			}
			continue
		}
		dest = append(dest, comp)
		p := strings.Join(dest, "/")
		fi, err := fs.Lstat(fsys, p)
		if err != nil {
			if rest == "" {
				break
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		if links++; links > maxSymlinks {
			return "", &fs.PathError{Op: "resolve", Path: name, Err: syscall.ELOOP}
		}
		target, err := fs.ReadLink(fsys, p)
		if err != nil {
			if rest == "" {
				break
			}
			return "", err
		}
		rest = target + rest
		if strings.HasPrefix(target, "/") {
			dest = dest[:0]
		} else {
			dest = dest[:len(dest)-1]
		}
	}
	if len(dest) == 0 {
		return ".", nil
	}
	return strings.Join(dest, "/"), nil
}
