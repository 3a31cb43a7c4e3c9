package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elfx/elfx/dl/bench"
)

// benchReport is what `elfx bench` says: DESIGN's schema, each loader's
// headline figures (its trivial call, the 4 KiB workload, the collector
// under the non-allocating workload), then the details.
type benchReport struct {
	Machine bench.MachineInfo `json:"machine"`
	Loaders []loaderFigures   `json:"loaders"`
	// Settings the figures were taken with.
	Rate      int     `json:"rate"`
	Seconds   float64 `json:"seconds"`
	ColdRuns  int     `json:"cold_runs"`
	HarnessNs float64 `json:"harness_ns"` // the measuring loop's own cost a call, the largest seen
}

type loaderFigures struct {
	Name                string  `json:"name"`
	Skipped             string  `json:"skipped,omitempty"` // why there are no figures
	ColdLoadNs          int64   `json:"cold_load_ns"`
	CallNs              float64 `json:"call_ns"`
	ThroughputCallsPerS float64 `json:"throughput_calls_per_s"` // the workload on 4 KiB
	GCPauseP50Ns        int64   `json:"gc_pause_p50_ns"`
	GCPauseP99Ns        int64   `json:"gc_pause_p99_ns"`
	GCPauseMaxNs        int64   `json:"gc_pause_max_ns"`
	HeapGrowthBytes     int64   `json:"heap_growth_bytes"`
	RSSGrowthBytes      int64   `json:"rss_growth_bytes"`

	Cold bench.Cold  `json:"cold"` // the median cold load
	Warm *bench.Warm `json:"warm,omitempty"`
}

// benchLoaders are the loaders elfx bench runs, and where each finds its
// plugins under the plugins directory: the workload, the trivial call, the
// allocating workload (internal/cmd/buildplugins builds them).
var benchLoaders = []benchLoader{
	{"goplugin", bench.Plugins{Transform: "go/transform/transform.so", Trivial: "go/misbehave/misbehave.so", Churn: "go/churn/churn.so"}},
	{"purego", bench.Plugins{Transform: "c/libtransform.so", Trivial: "c/libfailing.so", Churn: "c/libchurn.so"}},
	{"cgo", bench.Plugins{Transform: "c/libtransform.so", Trivial: "c/libfailing.so", Churn: "c/libchurn.so"}},
	{"wasmtime", bench.Plugins{Transform: "wasm/transform.wasm", Trivial: "wasm/misbehave.wasm", Churn: "wasm/churn.wasm"}},
	{"wazero", bench.Plugins{Transform: "wasm/transform.wasm", Trivial: "wasm/misbehave.wasm", Churn: "wasm/churn.wasm"}},
	{"rpc", bench.Plugins{Transform: "rpc/transform", Trivial: "rpc/misbehave", Churn: "rpc/churn"}},
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", "[--loaders L,...] [--duration D] [--rate N] [--cold-runs N] [--plugins DIR] [--from FILE] [--format text|json|svg]", stderr)
	format := formatFlag(fs, "text", "json", "svg")
	var names []string
	for _, l := range benchLoaders {
		names = append(names, l.name)
	}
	loaders := fs.String("loaders", strings.Join(names, ","), "the `loaders` to run, comma-separated")
	duration := fs.Duration("duration", 10*time.Second, "how long each collector run lasts (two a loader)")
	rate := fs.Int("rate", 500, "calls a second in the collector runs")
	coldRuns := fs.Int("cold-runs", 5, "fresh processes for the cold load's median")
	pluginDir := fs.String("plugins", "", "the plugins to run (`DIR`; default: plugins/ next to elfx-runner, which make plugins fills)")
	from := fs.String("from", "", "render the figures of an earlier `FILE` (--format json) instead of measuring")
	if _, err := parseArgs(fs, args); err != nil {
		return exitUsage // the flag package printed the usage
	}
	var r *benchReport
	var err error
	if *from != "" {
		r, err = readBenchReport(*from)
	} else {
		r, err = measure(strings.Split(*loaders, ","), *pluginDir, *duration, *rate, *coldRuns, stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	switch format.value {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case "svg":
		err = renderBenchSVG(stdout, r)
	default:
		err = renderBench(stdout, r)
	}
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	return exitOK
}

func readBenchReport(path string) (*benchReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r benchReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// measure runs each loader in elfx-runner: coldRuns fresh processes for
// the cold load, then one for the warm figures, a progress line each.
func measure(names []string, pluginDir string, duration time.Duration, rate, coldRuns int, progress io.Writer) (*benchReport, error) {
	runner, err := runnerPath()
	if err != nil {
		return nil, err
	}
	if pluginDir == "" {
		pluginDir = filepath.Join(filepath.Dir(runner), "plugins")
	}
	if _, err := os.Stat(pluginDir); err != nil {
		return nil, fmt.Errorf("no bench plugins: %w (make plugins, or make demo, builds them into bin/plugins)", err)
	}
	r := &benchReport{Machine: bench.Machine(), Rate: rate, Seconds: duration.Seconds(), ColdRuns: coldRuns}
	for _, name := range names {
		i := slices.IndexFunc(benchLoaders, func(l benchLoader) bool { return l.name == name })
		if i < 0 {
			return nil, fmt.Errorf("no loader %q (there are %s)", name, strings.Join(runLoaders, ", "))
		}
		ps := benchLoaders[i].plugins
		for _, p := range []*string{&ps.Transform, &ps.Trivial, &ps.Churn} {
			*p = filepath.Join(pluginDir, *p)
		}
		fmt.Fprintf(progress, "elfx bench: %s: %d cold loads, then the calls, the workload and two %v runs at %d calls/s\n", name, coldRuns, duration, rate)
		f := loaderFigures{Name: name}
		if err := benchOne(runner, &f, ps, duration, rate, coldRuns); err != nil {
			var lacks *runnerLacks
			if !errors.As(err, &lacks) {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			f.Skipped = err.Error()
			fmt.Fprintf(progress, "elfx bench: %s: skipped: %v\n", name, err)
		}
		r.HarnessNs = max(r.HarnessNs, harness(f.Warm))
		r.Loaders = append(r.Loaders, f)
	}
	return r, nil
}

// A benchLoader is a loader and its plugins, relative to the plugins
// directory.
type benchLoader struct {
	name    string
	plugins bench.Plugins
}

// runnerLacks is a loader this build of elfx-runner does not have, or a
// plugin kind that was not built: the loader is skipped, not failed.
type runnerLacks struct{ msg string }

func (e *runnerLacks) Error() string { return e.msg }

// benchOne fills f from the runner's cold and warm runs.
func benchOne(runner string, f *loaderFigures, ps bench.Plugins, duration time.Duration, rate, coldRuns int) error {
	for _, p := range []string{ps.Transform, ps.Trivial, ps.Churn} {
		if _, err := os.Stat(p); err != nil {
			return &runnerLacks{fmt.Sprintf("no plugin %s (its build tool was missing when the plugins were built)", p)}
		}
	}
	args := []string{"bench", "--loader", f.Name, "--transform", ps.Transform, "--trivial", ps.Trivial, "--churn", ps.Churn}
	colds := make([]bench.Cold, coldRuns)
	for i := range colds {
		if err := runBenchChild(runner, append(args, "--cold"), &colds[i]); err != nil {
			return err
		}
	}
	slices.SortFunc(colds, func(a, b bench.Cold) int { return int(a.LoadNs - b.LoadNs) })
	if len(colds) > 0 {
		f.Cold = colds[len(colds)/2]
	}
	f.Warm = new(bench.Warm)
	warm := append(args, "--rate", strconv.Itoa(rate), "--duration", duration.String())
	if err := runBenchChild(runner, warm, f.Warm); err != nil {
		return err
	}
	f.ColdLoadNs = f.Cold.LoadNs
	f.CallNs = f.Warm.CallNs
	for _, t := range f.Warm.Throughput {
		if t.Size == 4<<10 {
			f.ThroughputCallsPerS = t.CallsPerS
		}
	}
	if len(f.Warm.GC) > 0 {
		g := f.Warm.GC[0] // the workload that allocates nothing itself
		f.GCPauseP50Ns, f.GCPauseP99Ns, f.GCPauseMaxNs = g.PauseP50Ns, g.PauseP99Ns, g.PauseMaxNs
		f.HeapGrowthBytes, f.RSSGrowthBytes = g.HeapGrowthBytes, g.RSSGrowthBytes
	}
	return nil
}

// runBenchChild runs one elfx-runner bench and decodes its JSON into out.
func runBenchChild(runner string, args []string, out any) error {
	cmd := exec.Command(runner, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == runnerLoadFailed && strings.Contains(stderr.String(), "lacks the loader") {
		return &runnerLacks{strings.TrimSpace(strings.TrimPrefix(stderr.String(), "elfx-runner: "))}
	}
	if err != nil {
		return fmt.Errorf("elfx-runner %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return json.Unmarshal(stdout.Bytes(), out)
}

func harness(w *bench.Warm) float64 {
	if w == nil {
		return 0
	}
	return w.HarnessNs
}
