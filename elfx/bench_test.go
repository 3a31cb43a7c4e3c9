package elfx_test

// The reader's benchmark: the dynamic information (needed, soname, runpath,
// rpath, dynamic symbols with versions) of every ELF file of the system,
// read with elfx, with debug/elf, and with a `readelf -W -d --dyn-syms` loop.
//
//	go test ./elfx -run '^$' -bench ReadDynamicInfo -benchtime 1x -benchmem
//
// The corpus is listed, and read once by both Go readers, before any timer
// starts: that warms the page cache, so even a single iteration (-benchtime
// 1x) measures parsing rather than the disk. The debug-elf and readelf
// lines of BenchmarkReadDynamicInfo carry elfx-speedup and elfx-cpu-speedup,
// their time over elfx's in the same run; BenchmarkReadDynamicInfoHeap
// reports the peak heap and resident memory of one walk and the heap left
// after it.

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/readelf"
)

// benchDirs are the directories whose ELF files make the corpus.
var benchDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/bin"}

// dynVisitor receives the dynamic information of one file. Both readers
// feed it the same things in the same order, so a tally of what it saw is
// the same for both, and a collector can compare them.
type dynVisitor interface {
	needed(lib string)
	soname(name string)
	runpath(dir string)
	rpath(dir string)
	// symbol is called for every dynamic symbol but the null one at index 0.
	symbol(name, version, library string, hasVersion bool)
}

// readDynElfx reads path's dynamic information with elfx.
func readDynElfx(path string, v dynVisitor) error {
	f, err := elfx.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := f.Dynamic()
	if err != nil {
		return err
	}
	if d != nil {
		for _, s := range d.Needed {
			v.needed(s)
		}
		if d.Soname != "" {
			v.soname(d.Soname)
		}
		for _, s := range d.Runpath {
			v.runpath(s)
		}
		for _, s := range d.Rpath {
			v.rpath(s)
		}
	}
	first := true
	for s, err := range f.AllSymbols() {
		if err != nil {
			return err
		}
		if first {
			first = false // the null symbol, which debug/elf leaves out
			continue
		}
		v.symbol(s.Name, s.Version, s.Library, s.HasVersion)
	}
	return nil
}

// readDynDebugELF reads path's dynamic information with debug/elf, the way
// its documentation suggests: ImportedLibraries, DynString and
// DynamicSymbols (which fills in Version, Library and HasVersion).
func readDynDebugELF(path string, v dynVisitor) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	soname, err := f.DynString(elf.DT_SONAME)
	if err != nil {
		return err
	}
	runpath, err := f.DynString(elf.DT_RUNPATH)
	if err != nil {
		return err
	}
	rpath, err := f.DynString(elf.DT_RPATH)
	if err != nil {
		return err
	}
	for _, s := range needed {
		v.needed(s)
	}
	if len(soname) > 0 && soname[len(soname)-1] != "" {
		v.soname(soname[len(soname)-1]) // elfx keeps the last DT_SONAME too
	}
	// elfx splits the search paths on ':', as the loader does; so do we.
	for _, s := range runpath {
		for _, dir := range strings.Split(s, ":") {
			v.runpath(dir)
		}
	}
	for _, s := range rpath {
		for _, dir := range strings.Split(s, ":") {
			v.rpath(dir)
		}
	}
	syms, err := f.DynamicSymbols()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return err
	}
	for i := range syms {
		s := &syms[i]
		v.symbol(s.Name, s.Version, s.Library, s.HasVersion)
	}
	return nil
}

// dynTally consumes what a reader found by counting it, so that nothing is
// optimised away and both readers can be checked to have done the same work.
type dynTally struct {
	files, symbols, bytes int
}

func (t *dynTally) needed(s string)  { t.bytes += len(s) }
func (t *dynTally) soname(s string)  { t.bytes += len(s) }
func (t *dynTally) runpath(s string) { t.bytes += len(s) }
func (t *dynTally) rpath(s string)   { t.bytes += len(s) }
func (t *dynTally) symbol(name, version, library string, _ bool) {
	t.symbols++
	t.bytes += len(name) + len(version) + len(library)
}

// dynSymbol is one dynamic symbol as both readers can give it.
type dynSymbol struct {
	Name, Version, Library string
	HasVersion             bool
}

// dynInfo collects what a reader found, for the agreement test.
type dynInfo struct {
	Needed, Runpath, Rpath []string
	Soname                 string
	Symbols                []dynSymbol
}

func (d *dynInfo) needed(s string)  { d.Needed = append(d.Needed, s) }
func (d *dynInfo) soname(s string)  { d.Soname = s }
func (d *dynInfo) runpath(s string) { d.Runpath = append(d.Runpath, s) }
func (d *dynInfo) rpath(s string)   { d.Rpath = append(d.Rpath, s) }
func (d *dynInfo) symbol(name, version, library string, hasVersion bool) {
	d.Symbols = append(d.Symbols, dynSymbol{name, version, library, hasVersion})
}

// dynReader is one of the Go readers under test.
type dynReader struct {
	name string
	read func(path string, v dynVisitor) error
}

var dynReaders = []dynReader{
	{"elfx", readDynElfx},
	{"debug-elf", readDynDebugELF},
}

// dynCorpus is the list of files the benchmarks read.
type dynCorpus struct {
	all      []string // every regular ELF file under benchDirs
	readable []string // those both Go readers read without error
	failed   map[string][]string
	size     int64 // bytes in readable
}

var (
	dynCorpusOnce sync.Once
	dynCorpusData *dynCorpus
)

// loadDynCorpus lists the corpus once per process and reads every file with
// both Go readers, outside any timer, to sort out the files one of them
// cannot read and to bring the files into the page cache.
func loadDynCorpus(tb testing.TB) *dynCorpus {
	tb.Helper()
	dynCorpusOnce.Do(func() {
		c := &dynCorpus{all: readelf.ListELF(benchDirs...), failed: map[string][]string{}}
		for _, path := range c.all {
			ok := true
			for _, r := range dynReaders {
				if err := r.read(path, &dynTally{}); err != nil {
					c.failed[r.name] = append(c.failed[r.name], fmt.Sprintf("%s: %v", path, err))
					ok = false
				}
			}
			if ok {
				c.readable = append(c.readable, path)
				if fi, err := os.Stat(path); err == nil {
					c.size += fi.Size()
				}
			}
		}
		dynCorpusData = c
	})
	c := dynCorpusData
	if len(c.all) == 0 {
		tb.Skipf("no ELF files under %v", benchDirs)
	}
	if len(c.readable) == 0 {
		tb.Skipf("none of the %d ELF files under %v is readable by both readers", len(c.all), benchDirs)
	}
	return c
}

// reportCorpus reports the per-op counts and the files left out.
func reportCorpus(b *testing.B, c *dynCorpus, t *dynTally, errs int) {
	n := float64(b.N)
	b.ReportMetric(float64(t.files)/n, "files/op")
	b.ReportMetric(float64(t.symbols)/n, "symbols/op")
	b.ReportMetric(float64(errs)/n, "errors/op")
	for _, r := range dynReaders {
		b.ReportMetric(float64(len(c.failed[r.name])), "skipped-"+r.name)
	}
}

// benchSink keeps the tallies alive.
var benchSink int

// BenchmarkReadDynamicInfo reads the needed libraries, soname, runpath,
// rpath and versioned dynamic symbols of every corpus file, per op, with
// elfx, with debug/elf, and by running readelf on each file.
//
// Besides ns/op, each variant reports cpu-ms/op, the CPU time of the
// process (and, for readelf, of its children), which a busy machine
// inflates less than the wall time. The variants after elfx report
// elfx-speedup and elfx-cpu-speedup: how many times faster elfx was, by
// wall and by CPU time, in the same run.
func BenchmarkReadDynamicInfo(b *testing.B) {
	c := loadDynCorpus(b)
	paths := c.readable
	var elfxWall, elfxCPU float64 // per op, once the elfx variant has run
	finish := func(b *testing.B, name string, cpu time.Duration) {
		wall := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		perOp := float64(cpu.Nanoseconds()) / float64(b.N)
		b.ReportMetric(perOp/1e6, "cpu-ms/op")
		if name == "elfx" {
			elfxWall, elfxCPU = wall, perOp
		} else if elfxWall > 0 {
			b.ReportMetric(wall/elfxWall, "elfx-speedup")
			if elfxCPU > 0 {
				b.ReportMetric(perOp/elfxCPU, "elfx-cpu-speedup")
			}
		}
	}
	for _, r := range dynReaders {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			// One untimed pass first, so that even -benchtime 1x measures
			// the steady state of many iterations: the heap grown to its
			// working size and the code paths warm.
			for _, p := range paths {
				r.read(p, &dynTally{})
			}
			t := &dynTally{}
			errs := 0
			cpu0 := cpuTime(false)
			b.ResetTimer()
			for range b.N {
				for _, p := range paths {
					if err := r.read(p, t); err != nil {
						errs++
						continue
					}
					t.files++
				}
			}
			b.StopTimer()
			finish(b, r.name, cpuTime(false)-cpu0)
			benchSink += t.bytes
			reportCorpus(b, c, t, errs)
		})
	}
	b.Run("readelf", func(b *testing.B) {
		readelf, err := exec.LookPath("readelf")
		if err != nil {
			b.Skip("readelf is not on PATH")
		}
		b.ReportAllocs()
		errs := 0
		cpu0 := cpuTime(true)
		b.ResetTimer()
		for range b.N {
			for _, p := range paths {
				cmd := exec.Command(readelf, "-W", "-d", "--dyn-syms", p)
				cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
				if err := cmd.Run(); err != nil {
					errs++
				}
			}
		}
		b.StopTimer()
		finish(b, "readelf", cpuTime(true)-cpu0)
		b.ReportMetric(float64(len(paths)), "files/op")
		b.ReportMetric(float64(errs)/float64(b.N), "errors/op")
	})
	b.Logf("%d files (%d MB) read by both Go readers; elfx-speedup is the line's ns/op over elfx's", len(paths), c.size>>20)
}

// cpuTime returns the user and system time of this process so far, and of
// its waited-for children too when children is set.
func cpuTime(children bool) time.Duration {
	total := func(who int) time.Duration {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	t := total(syscall.RUSAGE_SELF)
	if children {
		t += total(syscall.RUSAGE_CHILDREN)
	}
	return t
}

// heapSampleEvery is how many files the heap benchmark reads between two
// samples of the memory statistics.
const heapSampleEvery = 4

// walkStats is what one walk of the corpus cost in memory.
type walkStats struct {
	peakInuse  uint64 // the highest HeapInuse sampled during the walk
	baseInuse  uint64 // HeapInuse after a GC before the walk
	retained   int64  // live heap after a GC after the walk, minus before
	peakRSS    int64  // VmHWM during the walk, or -1 when it cannot be reset
	mappings   int    // memory mappings after the walk minus before, or 0
	errs, read int
}

// walkCorpus reads every path with r, sampling the heap every
// heapSampleEvery files. The timer of b, if any, runs only for the reads.
func walkCorpus(b *testing.B, paths []string, r dynReader, t *dynTally) walkStats {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms
	st := walkStats{baseInuse: ms.HeapInuse, peakInuse: ms.HeapInuse, peakRSS: -1}
	maps0 := countMappings()
	rssReset := resetPeakRSS()
	if b != nil {
		b.StartTimer()
	}
	for i, p := range paths {
		if err := r.read(p, t); err != nil {
			st.errs++
		} else {
			st.read++
		}
		if i%heapSampleEvery == 0 || i == len(paths)-1 {
			runtime.ReadMemStats(&ms)
			st.peakInuse = max(st.peakInuse, ms.HeapInuse)
		}
	}
	if b != nil {
		b.StopTimer()
	}
	if rssReset {
		st.peakRSS = peakRSS()
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	st.retained = int64(ms.HeapAlloc) - int64(base.HeapAlloc)
	if maps0 > 0 {
		st.mappings = countMappings() - maps0
	}
	return st
}

// BenchmarkReadDynamicInfoHeap walks the corpus once per op with each Go
// reader and reports the peak HeapInuse (sampled every heapSampleEvery
// files), the heap still live after a GC at the end (which must not grow
// with the corpus: every file is closed), and the peak resident set. Its
// ns/op includes the sampling and is not the reader's speed.
func BenchmarkReadDynamicInfoHeap(b *testing.B) {
	c := loadDynCorpus(b)
	for _, r := range dynReaders {
		b.Run(r.name, func(b *testing.B) {
			var worst walkStats
			worst.peakRSS = -1
			t := &dynTally{}
			b.StopTimer()
			b.ResetTimer()
			for range b.N {
				st := walkCorpus(b, c.readable, r, t)
				worst.peakInuse = max(worst.peakInuse, st.peakInuse)
				worst.baseInuse = max(worst.baseInuse, st.baseInuse)
				worst.retained = max(worst.retained, st.retained)
				worst.peakRSS = max(worst.peakRSS, st.peakRSS)
				worst.mappings = max(worst.mappings, st.mappings)
				worst.errs += st.errs
				worst.read += st.read
			}
			benchSink += t.bytes
			const mb = 1 << 20
			b.ReportMetric(float64(worst.read)/float64(b.N), "files/op")
			b.ReportMetric(float64(worst.peakInuse)/mb, "peak-heap-MB")
			b.ReportMetric(float64(worst.peakInuse-min(worst.baseInuse, worst.peakInuse))/mb, "peak-heap-growth-MB")
			b.ReportMetric(float64(worst.retained)/1024, "retained-KB")
			if worst.peakRSS >= 0 {
				b.ReportMetric(float64(worst.peakRSS)/mb, "peak-RSS-MB")
			}
			b.ReportMetric(float64(worst.mappings), "leaked-mappings")
		})
	}
}

// countMappings counts the process's memory mappings, or gives 0 when
// /proc/self/maps cannot be read.
func countMappings() int {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	return bytes.Count(data, []byte("\n"))
}

// resetPeakRSS resets the process's VmHWM to its current RSS (Linux 4.0+).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// peakRSS returns VmHWM in bytes, or -1.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// TestReadDynamicInfoAgrees checks that elfx and debug/elf give the same
// needed libraries, soname, runpath, rpath and versioned dynamic symbols
// for every corpus file both can read, so that the benchmark compares equal
// work.
func TestReadDynamicInfoAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every ELF file of the system")
	}
	c := loadDynCorpus(t)
	for _, r := range dynReaders {
		for _, msg := range c.failed[r.name] {
			t.Logf("%s cannot read %s", r.name, msg)
		}
	}
	var symbols, files int
	var tallies [2]dynTally
	for _, path := range c.readable {
		var got [2]dynInfo
		for i, r := range dynReaders {
			if err := r.read(path, &got[i]); err != nil {
				t.Fatalf("%s: %s: %v (it read the file before)", path, r.name, err)
			}
			r.read(path, &tallies[i])
		}
		x, d := &got[0], &got[1]
		if !slices.Equal(x.Needed, d.Needed) {
			t.Errorf("%s: needed: elfx %q, debug/elf %q", path, x.Needed, d.Needed)
		}
		if x.Soname != d.Soname {
			t.Errorf("%s: soname: elfx %q, debug/elf %q", path, x.Soname, d.Soname)
		}
		if !slices.Equal(x.Runpath, d.Runpath) {
			t.Errorf("%s: runpath: elfx %q, debug/elf %q", path, x.Runpath, d.Runpath)
		}
		if !slices.Equal(x.Rpath, d.Rpath) {
			t.Errorf("%s: rpath: elfx %q, debug/elf %q", path, x.Rpath, d.Rpath)
		}
		if len(x.Symbols) != len(d.Symbols) {
			t.Errorf("%s: elfx has %d dynamic symbols after the null one, debug/elf %d", path, len(x.Symbols), len(d.Symbols))
		}
		diffs := 0
		for i := range min(len(x.Symbols), len(d.Symbols)) {
			if xs, ds := x.Symbols[i], d.Symbols[i]; xs != ds {
				if diffs++; diffs <= 5 {
					t.Errorf("%s: dynamic symbol %d: elfx %+v, debug/elf %+v", path, i+1, xs, ds)
				}
			}
		}
		if diffs > 5 {
			t.Errorf("%s: %d more symbols differ", path, diffs-5)
		}
		files++
		symbols += len(x.Symbols)
	}
	if tallies[0] != tallies[1] {
		t.Errorf("the readers' tallies differ: elfx %+v, debug/elf %+v", tallies[0], tallies[1])
	}
	t.Logf("%d of %d ELF files compared, %d dynamic symbols; skipped: %d unreadable by elfx, %d by debug/elf",
		files, len(c.all), symbols, len(c.failed["elfx"]), len(c.failed["debug-elf"]))
}

// TestReadDynamicInfoFlatMemory reads the corpus with elfx and checks that
// memory does not grow with the number of files: after closing them all,
// the live heap is what it was after the first quarter, and every mapping
// has been released.
func TestReadDynamicInfoFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every ELF file of the system")
	}
	c := loadDynCorpus(t)
	paths := c.readable
	if len(paths) < 8 {
		t.Skipf("only %d files", len(paths))
	}
	r := dynReaders[0]
	tally := &dynTally{}
	var ms runtime.MemStats
	// The first quarter sets up whatever the runtime and the reader keep
	// for good; the rest must add nothing.
	quarter := len(paths) / 4
	walkCorpus(nil, paths[:quarter], r, tally)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	live := ms.HeapAlloc
	maps0 := countMappings()
	st := walkCorpus(nil, paths[quarter:], r, tally)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	growth := int64(ms.HeapAlloc) - int64(live)
	const limit = 256 << 10
	if growth > limit {
		t.Errorf("reading %d more files with elfx left the live heap %d KB larger (limit %d KB)", len(paths)-quarter, growth>>10, limit>>10)
	}
	if maps0 > 0 {
		// Allow for the runtime growing its own arenas.
		if n := countMappings() - maps0; n > 32 {
			t.Errorf("%d more memory mappings after reading and closing %d files: Close does not unmap", n, len(paths)-quarter)
		}
	}
	t.Logf("elfx over %d files: live heap %+d bytes, peak HeapInuse %.1f MB (base %.1f MB), peak RSS %.1f MB",
		len(paths)-quarter, growth, float64(st.peakInuse)/(1<<20), float64(st.baseInuse)/(1<<20), float64(st.peakRSS)/(1<<20))
	benchSink += tally.bytes
}
