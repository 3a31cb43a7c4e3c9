package inspect

import (
	"debug/elf"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// libraryCache is what the search asks of /etc/ld.so.cache.
type libraryCache interface {
	LookupTarget(name string, t Target) string
}

// confCache stands in for the ld.so.cache of a sysroot that has none: what
// ldconfig would write there from the directories of its ld.so.conf and
// the trusted directories, each shared library under its soname. Where
// two directories hold the same soname the first in ldconfig's order wins.
type confCache struct {
	entries map[string][]confEntry // by soname, in directory order
}

type confEntry struct {
	path    string
	machine elf.Machine
	class   elf.Class
}

func (c *confCache) LookupTarget(name string, t Target) string {
	for _, e := range c.entries[name] {
		if e.machine == t.Machine && e.class == t.Class {
			return e.path
		}
	}
	return ""
}

// buildConfCache scans the directories of the target's /etc/ld.so.conf,
// then the trusted directories, as ldconfig does.
func (rv *Resolver) buildConfCache(trusted []string) *confCache {
	dirs, _ := ReadConf(rv.cfg.Root, "/etc/ld.so.conf")
	for _, d := range trusted {
		dirs = append(dirs, strings.TrimSuffix(d, "/"))
	}
	c := &confCache{entries: map[string][]confEntry{}}
	seen := map[string]bool{}
	for _, dir := range dirs {
		if seen[dir] {
			continue
		}
		seen[dir] = true
		l := rv.dirListing(dir + "/")
		if l.err != nil || l.missing {
			continue
		}
		names := make([]string, 0, len(l.names))
		for n := range l.names {
			if (strings.HasPrefix(n, "lib") || strings.HasPrefix(n, "ld-")) && strings.Contains(n, ".so") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			e, soname, ok := rv.confEntry(path.Join(dir, n))
			if !ok {
				continue
			}
			if l.names[soname] {
				e.path = path.Join(dir, soname)
			}
			if !c.has(soname, e) {
				c.entries[soname] = append(c.entries[soname], e)
			}
		}
	}
	return c
}

func (c *confCache) has(soname string, e confEntry) bool {
	for _, have := range c.entries[soname] {
		if have.machine == e.machine && have.class == e.class {
			return true
		}
	}
	return false
}

// confEntry reads the soname, machine and class of a library of the
// target.
func (rv *Resolver) confEntry(p string) (confEntry, string, bool) {
	host, err := rv.hostPath(p)
	if err != nil {
		return confEntry{}, "", false
	}
	if fi, err := os.Stat(host); err != nil || !fi.Mode().IsRegular() {
		return confEntry{}, "", false
	}
	f, err := elfx.Open(host)
	if err != nil {
		return confEntry{}, "", false
	}
	defer f.Close()
	d, err := f.Dynamic()
	if err != nil || d == nil || f.Type != elf.ET_DYN {
		return confEntry{}, "", false
	}
	soname := d.Soname
	if soname == "" {
		soname = path.Base(p)
	}
	return confEntry{path: p, machine: f.Machine, class: f.Class}, soname, true
}
