// Package bench measures one loader the way elfx bench reports it, in the
// process that runs the loader (elfx-runner's bench subcommand, one
// process per loader so that no loader's memory or threads bias another's
// figures): the cold load, the cost of a trivial call next to a plain Go
// call and a direct cgo call, the throughput of the shared workload at
// several sizes, and the garbage collector's pauses and the memory growth
// under a steady call rate, with a workload that does not allocate and one
// that keeps and churns memory.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"time"

	"github.com/elfx/elfx/dl"
)

// Plugins are one loader's builds of the bench fixtures.
type Plugins struct {
	Transform string // the shared workload (fixtures/plugin/transform.c and its mirrors)
	Trivial   string // returns at once on an empty input (failing.c, misbehave)
	Churn     string // allocates and keeps 64 KiB a call (churn.c and its mirrors)
}

// Cold is a first load in a fresh process.
type Cold struct {
	LoadNs      int64 `json:"load_ns"`       // Load
	FirstCallNs int64 `json:"first_call_ns"` // the first Execute, on an empty input
	RSSBytes    int64 `json:"rss_bytes"`     // the resident memory the load added
	HeapBytes   int64 `json:"heap_bytes"`    // the Go heap the load added
}

// MeasureCold loads ps.Trivial with l and calls it once: it must be the
// first load of the process.
func MeasureCold(l dl.Loader, ps Plugins) (Cold, error) {
	rss, heap := dl.ResidentBytes(), heapBytes()
	start := time.Now()
	p, err := l.Load(ps.Trivial)
	if err != nil {
		return Cold{}, err
	}
	loaded := time.Now()
	if _, err := p.Execute(context.Background(), nil); err != nil {
		return Cold{}, err
	}
	c := Cold{
		LoadNs:      loaded.Sub(start).Nanoseconds(),
		FirstCallNs: time.Since(loaded).Nanoseconds(),
		RSSBytes:    dl.ResidentBytes() - rss,
		HeapBytes:   int64(heapBytes()) - int64(heap),
	}
	return c, p.Close()
}

// Options say how long and how hard to run the warm measurements.
type Options struct {
	Rate     int           // calls a second in the GC runs
	Duration time.Duration // of each GC run
	// Floors are the floor calls this build has, by name: "go" always,
	// "cgo" in a build with cgo. Each makes n calls.
	Floors map[string]func(n int)
}

// Throughput is the workload at one input size.
type Throughput struct {
	Size       int     `json:"size"`
	CallsPerS  float64 `json:"calls_per_s"`
	BytesPerS  float64 `json:"bytes_per_s"`
	NsPerCall  float64 `json:"ns_per_call"`
	Iterations int     `json:"iterations"`
}

// GCRun is a steady call rate held for a while, and what the collector
// and the memory did meanwhile.
type GCRun struct {
	Workload string  `json:"workload"` // "transform" (allocates nothing itself) or "churn"
	Rate     int     `json:"rate"`
	Seconds  float64 `json:"seconds"`
	Calls    int     `json:"calls"`
	Late     int     `json:"late"` // calls that started over a period late: the loader could not keep the rate
	// Pauses are the stop-the-world pauses of the collector
	// (/sched/pauses/total/gc:seconds): how many, and their p50, p99 and
	// maximum, to the resolution of the runtime's histogram buckets.
	Pauses     uint64 `json:"pauses"`
	PauseP50Ns int64  `json:"pause_p50_ns"`
	PauseP99Ns int64  `json:"pause_p99_ns"`
	PauseMaxNs int64  `json:"pause_max_ns"`
	GCCycles   uint64 `json:"gc_cycles"`
	// HeapGrowthBytes is the Go heap's live objects at the end less at the
	// start; RSSGrowthBytes the resident memory's: what grows outside the
	// Go heap shows only in the second.
	HeapGrowthBytes int64 `json:"heap_growth_bytes"`
	RSSGrowthBytes  int64 `json:"rss_growth_bytes"`
}

// Warm is what MeasureWarm measures.
type Warm struct {
	CallNs     float64            `json:"call_ns"`    // a trivial call through the loader
	FloorNs    map[string]float64 `json:"floor_ns"`   // the floors' calls
	HarnessNs  float64            `json:"harness_ns"` // the measuring loop's own cost a call
	Throughput []Throughput       `json:"throughput"` // the workload by input size
	GC         []GCRun            `json:"gc"`         // transform, then churn
	Instance   Cold               `json:"instance"`   // a second instance loaded into the warm process
	Instances  int                `json:"instances"`  // how many instances the loader could hold: 2, or 1 (a Go plugin cannot be loaded twice)
	Warnings   []string           `json:"warnings,omitempty"`
}

// Sizes are the input sizes of the throughput runs.
var Sizes = []int{64, 4 << 10, 64 << 10, 1 << 20}

// MeasureWarm measures l on ps: the trivial call and the floors, the
// throughput, the GC runs, and the memory of one more instance.
func MeasureWarm(l dl.Loader, ps Plugins, o Options) (*Warm, error) {
	w := &Warm{FloorNs: map[string]float64{}}
	ctx := context.Background()
	trivial, err := l.Load(ps.Trivial)
	if err != nil {
		return nil, err
	}
	defer trivial.Close()
	w.HarnessNs = perCall(func(n int) {
		for i := 0; i < n; i += unroll {
			sink++
		}
	})
	for name, floor := range o.Floors {
		w.FloorNs[name] = perCall(floor)
	}
	var callErr error
	w.CallNs = perCall(func(n int) {
		for range n {
			if _, err := trivial.Execute(ctx, nil); err != nil {
				callErr = err
			}
		}
	})
	if callErr != nil {
		return nil, callErr
	}
	transform, err := l.Load(ps.Transform)
	if err != nil {
		return nil, err
	}
	defer transform.Close()
	for _, size := range Sizes {
		t, err := throughput(transform, size)
		if err != nil {
			return nil, err
		}
		w.Throughput = append(w.Throughput, t)
	}
	run, err := gcRun(transform, "transform", o)
	if err != nil {
		return nil, err
	}
	w.GC = append(w.GC, run)
	churn, err := l.Load(ps.Churn)
	if err != nil {
		return nil, err
	}
	defer churn.Close()
	if run, err = gcRun(churn, "churn", o); err != nil {
		return nil, err
	}
	w.GC = append(w.GC, run)
	w.Instances = 2
	if w.Instance, err = secondInstance(l, ps); err != nil {
		w.Instances = 1
		w.Warnings = append(w.Warnings, "a second instance: "+err.Error())
	}
	return w, nil
}

// secondInstance loads a copy of the trivial plugin under another name,
// which the loader must map afresh (dlopen of the same path would only
// count a reference), and measures what it adds.
func secondInstance(l dl.Loader, ps Plugins) (Cold, error) {
	dir, err := os.MkdirTemp("", "elfx-bench-")
	if err != nil {
		return Cold{}, err
	}
	defer os.RemoveAll(dir)
	b, err := os.ReadFile(ps.Trivial)
	if err != nil {
		return Cold{}, err
	}
	copied := filepath.Join(dir, "second-"+filepath.Base(ps.Trivial))
	if err := os.WriteFile(copied, b, 0o755); err != nil {
		return Cold{}, err
	}
	ps.Trivial = copied
	return MeasureCold(l, ps)
}

var sink int

// perCall is the time a call of body(n) takes per unit of n: n grows until
// a run takes 50 ms, then the median of five such runs.
func perCall(body func(n int)) float64 {
	n := 1
	for {
		start := time.Now()
		body(n)
		if d := time.Since(start); d >= 50*time.Millisecond {
			n = max(1, int(float64(n)*float64(50*time.Millisecond)/float64(d)))
			break
		}
		n *= 4
	}
	runs := make([]float64, 5)
	for i := range runs {
		start := time.Now()
		body(n)
		runs[i] = float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	slices.Sort(runs)
	return runs[len(runs)/2]
}

// throughput runs the workload on input of size bytes.
func throughput(p dl.Plugin, size int) (Throughput, error) {
	in := bytes.Repeat([]byte("elfx"), size/4+1)[:size]
	ctx := context.Background()
	var err error
	iterations := 0
	ns := perCall(func(n int) {
		iterations += n
		for range n {
			if _, e := p.Execute(ctx, in); e != nil {
				err = e
			}
		}
	})
	t := Throughput{Size: size, NsPerCall: ns, CallsPerS: 1e9 / ns, BytesPerS: 1e9 / ns * float64(size), Iterations: iterations}
	return t, err
}

// gcInput is the input of the GC runs: 1 KiB.
var gcInput = bytes.Repeat([]byte("elfx"), 256)

// gcRun calls p at o.Rate for o.Duration and reads what the collector did.
func gcRun(p dl.Plugin, workload string, o Options) (GCRun, error) {
	r := GCRun{Workload: workload, Rate: o.Rate}
	ctx := context.Background()
	period := time.Second / time.Duration(max(o.Rate, 1))
	runtime.GC() // what came before is not this run's garbage
	before, rss := readGC(), dl.ResidentBytes()
	start := time.Now()
	for next := start; time.Since(start) < o.Duration; next = next.Add(period) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		} else if -wait > period {
			r.Late++
		}
		if _, err := p.Execute(ctx, gcInput); err != nil {
			return r, fmt.Errorf("%s: %w", workload, err)
		}
		r.Calls++
	}
	r.Seconds = time.Since(start).Seconds()
	after := readGC()
	r.RSSGrowthBytes = dl.ResidentBytes() - rss
	r.HeapGrowthBytes = int64(after.heap) - int64(before.heap)
	r.GCCycles = after.cycles - before.cycles
	r.Pauses, r.PauseP50Ns, r.PauseP99Ns, r.PauseMaxNs = pauseStats(before.pauses, after.pauses)
	return r, nil
}

// gcState is the runtime's counters at one moment.
type gcState struct {
	pauses *metrics.Float64Histogram
	cycles uint64
	heap   uint64
}

var gcMetrics = []string{"/sched/pauses/total/gc:seconds", "/gc/cycles/total:gc-cycles", "/memory/classes/heap/objects:bytes"}

func readGC() gcState {
	s := make([]metrics.Sample, len(gcMetrics))
	for i, name := range gcMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	return gcState{
		pauses: &metrics.Float64Histogram{Counts: slices.Clone(h.Counts), Buckets: h.Buckets},
		cycles: s[1].Value.Uint64(),
		heap:   s[2].Value.Uint64(),
	}
}

func heapBytes() uint64 { return readGC().heap }

// pauseStats are the count, p50, p99 and maximum of the pauses between
// two readings of the histogram, each quantile given as the upper bound
// of its bucket (the runtime keeps no finer record).
func pauseStats(before, after *metrics.Float64Histogram) (n uint64, p50, p99, maxNs int64) {
	counts := make([]uint64, len(after.Counts))
	for i := range counts {
		counts[i] = after.Counts[i] - before.Counts[i]
		n += counts[i]
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	quantile := func(q float64) int64 {
		rank := uint64(math.Ceil(q * float64(n)))
		var seen uint64
		for i, c := range counts {
			if seen += c; seen >= rank {
				return bucketNs(after.Buckets[i+1])
			}
		}
		return 0
	}
	return n, quantile(0.5), quantile(0.99), quantile(1)
}

// bucketNs is a bucket bound in seconds as nanoseconds; the last bucket's
// bound is +Inf, kept as the largest int64.
func bucketNs(s float64) int64 {
	if math.IsInf(s, 1) {
		return math.MaxInt64
	}
	return int64(s * 1e9)
}

// PlainCall is the plain Go floor: the trivial plugin's function compiled
// into the program.
//
//go:noinline
func PlainCall(in []byte) ([]byte, int) {
	if len(in) == 0 {
		return nil, 0
	}
	return nil, 7
}

// unroll is how many calls the floors' loops make an iteration, so that
// the loop's own cost (HarnessNs) is a small part of a call's.
const unroll = 16

// PlainFloor makes n plain Go calls, n rounded up to a multiple of unroll.
func PlainFloor(n int) {
	for i := 0; i < n; i += unroll {
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
		PlainCall(nil)
	}
}

// MachineInfo describes where the figures were taken.
type MachineInfo struct {
	CPU       string `json:"cpu"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Machine describes this machine and the Go that built this program.
func Machine() MachineInfo {
	return MachineInfo{CPU: cpuName(), CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}
