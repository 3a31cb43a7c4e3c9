package main

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/elfx/elfx/fixtures"
)

// A layout is a program among libraries laid out to trap a resolver, and
// the loader environment (LD_LIBRARY_PATH) or sysroot that leads elfx
// into them.
type layout struct {
	prog string
	env  []string // K=V, given as --env and to compat check's process
	root string   // a sysroot with a hostile ld.so.cache or ld.so.conf
	size int64    // what bytes says
}

// flags are the resolver flags of deps, bindings and lazy for l.
func (l layout) flags() []string {
	var f []string
	for _, kv := range l.env {
		f = append(f, "--env", kv)
	}
	if l.root != "" {
		f = append(f, "--root", l.root)
	}
	return f
}

// chainDepth is how deep the longest chain of DT_NEEDED goes.
const chainDepth = 10000

// layouts writes under dir, from the tiny template libraries: a DT_NEEDED
// cycle, a library needing itself, a chain chainDepth libraries deep,
// symbolic link loops on a library and on a directory of the path, a FIFO
// in a library's place, and sysroots whose ld.so.cache is malformed
// (mutants of this machine's) or whose ld.so.conf includes itself.
func layouts(dir string) ([]layout, error) {
	tiny, err := fixtures.BuildTiny()
	if err != nil {
		return nil, err
	}
	name := fixtures.TinyName
	var out []layout
	// ring writes n libraries into a new directory d, each needing the
	// next, the last the first, and a program needing the first; it
	// returns the layout with d on LD_LIBRARY_PATH.
	ring := func(layoutName string, n int) (layout, error) {
		d := filepath.Join(dir, layoutName)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return layout{}, err
		}
		for i := range n {
			if err := tiny.WriteLib(d, name(i), name((i+1)%n)); err != nil {
				return layout{}, err
			}
		}
		prog, err := tiny.WriteProg(d, name(0))
		return layout{prog: prog, env: []string{"LD_LIBRARY_PATH=" + d}}, err
	}
	for _, r := range []struct {
		name string
		n    int
	}{{"needs-itself", 1}, {"cycle", 2}, {"cycle-100", 100}} {
		l, err := ring(r.name, r.n)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}

	// The chain: each library needs the next, the last one is missing.
	chain := filepath.Join(dir, "chain")
	if err := os.MkdirAll(chain, 0o755); err != nil {
		return nil, err
	}
	for i := range chainDepth {
		if err := tiny.WriteLib(chain, name(i), name(i+1)); err != nil {
			return nil, err
		}
	}
	prog, err := tiny.WriteProg(chain, name(0))
	if err != nil {
		return nil, err
	}
	out = append(out, layout{prog: prog, env: []string{"LD_LIBRARY_PATH=" + chain}})

	// libd00000.so -> b.so -> libd00000.so, and a directory of the path
	// that is a loop: sub -> sub2 -> sub.
	loops := filepath.Join(dir, "loops")
	if err := os.MkdirAll(loops, 0o755); err != nil {
		return nil, err
	}
	for _, link := range [][2]string{{"b.so", name(0)}, {name(0), "b.so"}, {"sub2", "sub"}, {"sub", "sub2"}} {
		if err := os.Symlink(link[0], filepath.Join(loops, link[1])); err != nil {
			return nil, err
		}
	}
	if prog, err = tiny.WriteProg(loops, name(0)); err != nil {
		return nil, err
	}
	out = append(out, layout{prog: prog,
		env: []string{"LD_LIBRARY_PATH=" + filepath.Join(loops, "sub") + ":" + loops + ":" + chain}})

	// A FIFO named like the library: the loader would block opening it.
	fifos := filepath.Join(dir, "fifo")
	if err := os.MkdirAll(fifos, 0o755); err != nil {
		return nil, err
	}
	if err := syscall.Mkfifo(filepath.Join(fifos, name(0)), 0o644); err != nil {
		return nil, err
	}
	if prog, err = tiny.WriteProg(fifos, name(0)); err != nil {
		return nil, err
	}
	out = append(out, layout{prog: prog, env: []string{"LD_LIBRARY_PATH=" + fifos + ":" + chain}})

	roots, err := hostileRoots(filepath.Join(dir, "roots"), tiny)
	if err != nil {
		return nil, err
	}
	out = append(out, roots...)
	for i := range out {
		out[i].size = out[i].bytes()
	}
	return out, nil
}

// bytes is the size of the files elfx may read for l: those of its
// sysroot and of the directories on its LD_LIBRARY_PATH.
func (l layout) bytes() int64 {
	dirs := []string{l.root}
	for _, kv := range l.env {
		if v, ok := strings.CutPrefix(kv, "LD_LIBRARY_PATH="); ok {
			dirs = append(dirs, filepath.SplitList(v)...)
		}
	}
	var n int64
	for _, d := range dirs {
		if d == "" {
			continue
		}
		filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					n += info.Size()
				}
			}
			return nil
		})
	}
	return n
}

// hostileRoots are sysroots holding a program that needs a library only
// the cache can find (it is in /opt/lib), each with a mutant of this
// machine's ld.so.cache, and one without a cache whose ld.so.conf
// includes itself and a glob of every file.
func hostileRoots(dir string, tiny *fixtures.Tiny) ([]layout, error) {
	root := func(name string, files map[string][]byte) (layout, error) {
		r := filepath.Join(dir, name)
		for _, d := range []string{"etc", "usr/bin", "opt/lib"} {
			if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
				return layout{}, err
			}
		}
		for path, b := range files {
			if err := os.WriteFile(filepath.Join(r, path), b, 0o644); err != nil {
				return layout{}, err
			}
		}
		if err := tiny.WriteLib(filepath.Join(r, "opt/lib"), fixtures.TinyName(0), fixtures.TinyName(1)); err != nil {
			return layout{}, err
		}
		prog, err := tiny.WriteProg(filepath.Join(r, "usr/bin"), fixtures.TinyName(0))
		return layout{prog: prog, root: r}, err
	}
	conf := []byte("include /etc/ld.so.conf\ninclude /etc/*\n/opt/lib\ninclude /etc/ld.so.conf.d/*.conf\n")
	out := []layout{}
	l, err := root("conf-loop", map[string][]byte{"etc/ld.so.conf": conf})
	if err != nil {
		return nil, err
	}
	out = append(out, l)
	cache, err := os.ReadFile("/etc/ld.so.cache")
	if err != nil {
		fmt.Printf("hostile: no ld.so.cache here to mutate: %v\n", err)
		return out, nil
	}
	for name, m := range cacheMutants(cache) {
		l, err := root("cache-"+name, map[string][]byte{"etc/ld.so.cache": m, "etc/ld.so.conf": conf})
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// cacheMutants are hostile variants of an ld.so.cache in glibc's new
// format (struct cache_file_new: a 48-byte header, then 24-byte entries
// of flags, key and value string offsets, osversion and hwcap), by name.
func cacheMutants(b []byte) map[string][]byte {
	const header, entry = 48, 24
	out := map[string][]byte{}
	for _, n := range []int{0, 10, 20, 47, header, header + entry - 1, len(b) / 2, len(b) - 1} {
		if n <= len(b) {
			out[fmt.Sprintf("cut%d", n)] = b[:n]
		}
	}
	if len(b) < header+entry {
		return out
	}
	le := binary.LittleEndian
	edit := func(name string, apply func(m []byte)) {
		m := append([]byte(nil), b...)
		apply(m)
		out[name] = m
	}
	edit("nlibs-max", func(m []byte) { le.PutUint32(m[20:], 0xffffffff) })
	edit("strings-max", func(m []byte) { le.PutUint32(m[24:], 0xffffffff) })
	edit("extension-past", func(m []byte) { le.PutUint32(m[32:], uint32(len(b))+8) })
	edit("extension-max", func(m []byte) { le.PutUint32(m[32:], 0xfffffff0) })
	edit("no-final-nul", func(m []byte) { m[len(m)-1] = 'x' })
	nlibs := int(le.Uint32(b[20:]))
	edit("keys-outside", func(m []byte) {
		for i := 0; i < nlibs && header+(i+1)*entry <= len(m); i++ {
			le.PutUint32(m[header+i*entry+4:], 0xffffffff)
			le.PutUint32(m[header+i*entry+8:], uint32(len(b)))
		}
	})
	edit("keys-reversed", func(m []byte) { // the order the binary search relies on, broken
		n := min(nlibs, (len(m)-header)/entry)
		for i := range n / 2 {
			a, z := m[header+i*entry+4:][:4], m[header+(n-1-i)*entry+4:][:4]
			for k := range 4 {
				a[k], z[k] = z[k], a[k]
			}
		}
	})
	return out
}
