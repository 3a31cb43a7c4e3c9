package inspect

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// A Resolver resolves any number of programs against one system and
// environment. It reads every file, every directory listing and the
// ld.so.cache once however many programs need them, and is safe for
// concurrent use.
type Resolver struct {
	cfg Config

	cacheOnce sync.Once
	cache     *Cache

	mu       sync.Mutex
	files    map[string]*once[*fileInfo]
	listings map[string]*once[*listing]
}

// once computes a value the first time it is asked for.
type once[T any] struct {
	sync.Once
	v T
}

// listing is the set of names in one directory, or why it has none.
type listing struct {
	names   map[string]bool
	missing bool // the directory does not exist (or is not a directory)
	err     error
}

// NewResolver returns a Resolver for the system and environment cfg
// describes.
func NewResolver(cfg Config) *Resolver {
	return &Resolver{cfg: cfg, files: map[string]*once[*fileInfo]{}, listings: map[string]*once[*listing]{}}
}

// Resolve builds the link map for one program; see the package function.
func (rv *Resolver) Resolve(path string) (*LinkMap, error) {
	return resolve(rv, path)
}

// Resolve builds the link map glibc's loader would build for the program
// at path, without running it: the preloads, then every DT_NEEDED breadth
// first, each library searched for as _dl_map_object searches. The error
// is for a program that cannot be read at all; a library that cannot be
// found or read is an Object with Err set.
func Resolve(path string, cfg Config) (*LinkMap, error) {
	return NewResolver(cfg).Resolve(path)
}

// hostPath is where the target's path p is found on this machine.
func (rv *Resolver) hostPath(p string) string {
	if rv.cfg.Root == "" || !strings.HasPrefix(p, "/") {
		return p
	}
	return filepath.Join(rv.cfg.Root, p)
}

// ldCache is the target's /etc/ld.so.cache, or nil when it has none.
func (rv *Resolver) ldCache() *Cache {
	rv.cacheOnce.Do(func() {
		if c, err := ReadCache(rv.hostPath("/etc/ld.so.cache")); err == nil {
			rv.cache = c
		}
	})
	return rv.cache
}

// file reads the file at the target's path once per Resolver.
func (rv *Resolver) file(path string, read func(string) *fileInfo) *fileInfo {
	rv.mu.Lock()
	e, ok := rv.files[path]
	if !ok {
		e = &once[*fileInfo]{}
		rv.files[path] = e
	}
	rv.mu.Unlock()
	e.Do(func() { e.v = read(path) })
	return e.v
}

// dirListing lists a directory of the target once per Resolver, so that a
// search looks each name up in memory instead of probing the file system
// name by name.
func (rv *Resolver) dirListing(dir string) *listing {
	rv.mu.Lock()
	e, ok := rv.listings[dir]
	if !ok {
		e = &once[*listing]{}
		rv.listings[dir] = e
	}
	rv.mu.Unlock()
	e.Do(func() { e.v = rv.list(dir) })
	return e.v
}

func (rv *Resolver) list(dir string) *listing {
	host := rv.hostPath(dir)
	if host == "" {
		host = "."
	}
	entries, err := os.ReadDir(host)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return &listing{missing: true}
		}
		return &listing{err: err}
	}
	l := &listing{names: make(map[string]bool, len(entries))}
	for _, e := range entries {
		l.names[e.Name()] = true
	}
	return l
}
