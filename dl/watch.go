package dl

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// A Reload is one generation of a watched plugin: loaded, run once on the
// watch's input, and measured.
type Reload struct {
	Generation int           // 1 for the first load
	Info       PluginInfo    // what the new generation says of itself
	Took       time.Duration // closing the previous generation and loading this one
	RSS        int64         // the process's resident memory after the load, in bytes
	// RSSGrowth is RSS less the RSS after the first load: the memory the
	// earlier generations left behind (all of a Go plugin's, which cannot
	// be unloaded).
	RSSGrowth int64
	Err       error // the load's error; the watch goes on
	Output    []byte
	RunErr    error // the run's error
}

// Watch loads the plugin at path with l, runs it on input and reports the
// generation, then reloads it each time the file changes (its size,
// modification time or inode, polled every interval) until ctx is done or
// report returns false.
//
// Each generation is loaded from a snapshot of the file under a new name:
// a rebuild writing the file in place cannot touch the mapped code of the
// running generation (which would end in SIGBUS), and a Go plugin, which
// the runtime would otherwise return from its cache of opened paths,
// really loads again (it must still be built with a plugin path of its
// own, or plugin.Open refuses it as "already loaded").
func Watch(ctx context.Context, l Loader, path string, input []byte, interval time.Duration, report func(Reload) bool) error {
	dir, err := os.MkdirTemp("", "elfx-watch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var (
		current  Plugin
		seen     os.FileInfo
		firstRSS int64
	)
	defer func() {
		if current != nil {
			current.Close()
		}
	}()
	for gen := 1; ; gen++ {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		seen = fi
		r := Reload{Generation: gen}
		snapshot := filepath.Join(dir, strconv.Itoa(gen)+"-"+filepath.Base(path))
		if r.Err = copyFile(snapshot, path); r.Err == nil {
			start := time.Now()
			if current != nil {
				current.Close()
				current = nil
			}
			current, r.Err = l.Load(snapshot)
			r.Took = time.Since(start)
		}
		r.RSS = ResidentBytes()
		if firstRSS == 0 {
			firstRSS = r.RSS
		}
		r.RSSGrowth = r.RSS - firstRSS
		if r.Err == nil {
			r.Info = current.Info()
			r.Output, r.RunErr = current.Execute(ctx, input)
		}
		if !report(r) {
			return nil
		}
		if err := waitForChange(ctx, path, seen, interval); err != nil {
			return err
		}
	}
}

// waitForChange polls path until it differs from was or ctx is done.
func waitForChange(ctx context.Context, path string, was os.FileInfo, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		fi, err := os.Stat(path)
		if err != nil {
			continue // between a rebuild's remove and its write
		}
		if fi.Size() != was.Size() || !fi.ModTime().Equal(was.ModTime()) || !os.SameFile(fi, was) {
			return nil
		}
	}
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ResidentBytes is the process's resident set, from /proc/self/statm
// (pages), or 0 where there is none.
func ResidentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return pages * int64(os.Getpagesize())
}

// String is the reload's line in a watch's log.
func (r Reload) String() string {
	if r.Err != nil {
		return fmt.Sprintf("generation %d: load failed: %v", r.Generation, r.Err)
	}
	s := fmt.Sprintf("generation %d: %s %s loaded in %v; RSS %.1f MiB (%+.1f MiB since generation 1)",
		r.Generation, r.Info.Name, r.Info.Version, r.Took.Round(time.Microsecond), float64(r.RSS)/(1<<20), float64(r.RSSGrowth)/(1<<20))
	if r.RunErr != nil {
		s += "; run failed: " + r.RunErr.Error()
	}
	return s
}
