package inspect

import (
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/elfx/elfx/internal/safeopen"
)

// A Resolver resolves any number of programs against one system and
// environment. It reads every file, every directory listing and the
// ld.so.cache once however many programs need them, and is safe for
// concurrent use.
type Resolver struct {
	cfg Config

	cacheOnce sync.Once
	cache     libraryCache

	rootOnce sync.Once
	root     fs.FS // the sysroot, when there is one

	files    memo[*fileInfo]
	listings memo[*listing]
	targets  memo[Target]
	preload  memo[[]byte] // /etc/ld.so.preload, nil when there is none
}

// target is the CPU as the loader of machine m and class c sees it,
// worked out once: it reads /proc/cpuinfo.
func (rv *Resolver) target(m elf.Machine, c elf.Class) Target {
	return rv.targets.get(fmt.Sprint(m, c), func(string) Target { return loaderTarget(m, c) })
}

// preloadFile is the target's /etc/ld.so.preload, read once.
func (rv *Resolver) preloadFile() []byte {
	return rv.preload.get(preloadPath, func(p string) []byte {
		host, err := rv.hostPath(p)
		if err != nil {
			return nil
		}
		b, _ := safeopen.ReadFile(host)
		return b
	})
}

// memo computes the value of each key once, however many goroutines
// ask for it at the same time.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]*memoEntry[V]
}

type memoEntry[V any] struct {
	once sync.Once
	v    V
}

func (m *memo[V]) get(key string, compute func(string) V) V {
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]*memoEntry[V]{}
	}
	e, ok := m.m[key]
	if !ok {
		e = &memoEntry[V]{}
		m.m[key] = e
	}
	m.mu.Unlock()
	e.once.Do(func() { e.v = compute(key) })
	return e.v
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
	return &Resolver{cfg: cfg}
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

// hostPath is where the target's path p is found on this machine: under
// the sysroot, with symbolic links resolved inside it as the target's
// loader would resolve them (an absolute link target names a path of the
// target, not of this machine). The error is the one opening the path
// would give: a missing directory, a link loop.
func (rv *Resolver) hostPath(p string) (string, error) {
	if rv.cfg.Root == "" || !strings.HasPrefix(p, "/") {
		return p, nil
	}
	fp, err := canonIn(rv.rootFS(), p)
	if err != nil {
		return "", err
	}
	return filepath.Join(rv.cfg.Root, fp), nil
}

func (rv *Resolver) rootFS() fs.FS {
	rv.rootOnce.Do(func() { rv.root = os.DirFS(rv.cfg.Root) })
	return rv.root
}

// targetPath is the target's spelling of a path of this machine: its
// place under the sysroot, or the path itself when there is no sysroot
// or it lies outside it.
func (rv *Resolver) targetPath(host string) string {
	if rv.cfg.Root == "" {
		return host
	}
	root, err := filepath.Abs(rv.cfg.Root)
	if err != nil {
		return host
	}
	rel, err := filepath.Rel(root, host)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return host
	}
	return filepath.Join("/", rel)
}

// ldCache is the target's /etc/ld.so.cache, or nil when it has none. A
// sysroot without one gets the cache ldconfig would make for it from its
// ld.so.conf and trusted directories (the loader's default ones).
func (rv *Resolver) ldCache(trusted []string) libraryCache {
	rv.cacheOnce.Do(func() {
		host, err := rv.hostPath("/etc/ld.so.cache")
		if err == nil {
			if c, err := ReadCache(host); err == nil {
				rv.cache = c
				return
			}
		}
		if rv.cfg.Root != "" {
			rv.cache = rv.buildConfCache(trusted)
		}
	})
	return rv.cache
}

// file reads the file at the target's path once per Resolver.
func (rv *Resolver) file(path string, read func(string) *fileInfo) *fileInfo {
	return rv.files.get(path, read)
}

// dirListing lists a directory of the target once per Resolver, so that a
// search looks each name up in memory instead of probing the file system
// name by name.
func (rv *Resolver) dirListing(dir string) *listing {
	return rv.listings.get(dir, rv.list)
}

// listedMissing reports whether the listing of path's directory shows it
// does not exist, which saves probing the file system for it.
func (rv *Resolver) listedMissing(path string) bool {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return false
	}
	l := rv.dirListing(path[:i+1])
	return l.missing || l.err == nil && !l.names[path[i+1:]]
}

func (rv *Resolver) list(dir string) *listing {
	host, err := rv.hostPath(dir)
	if host == "" {
		host = "."
	}
	var names []string
	if err == nil {
		names, err = readNames(host)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return &listing{missing: true}
		}
		return &listing{err: err}
	}
	l := &listing{names: make(map[string]bool, len(names))}
	for _, n := range names {
		l.names[n] = true
	}
	return l
}

// readNames lists a directory's names unsorted: os.ReadDir's sort is
// wasted on a set. A FIFO in the directory's place fails (O_DIRECTORY)
// instead of blocking the open.
func readNames(dir string) ([]string, error) {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.Readdirnames(-1)
}
