package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/elfx/elfx/dl/bench"
)

// renderBench prints the machine, one row a loader with its ratios to the
// floors, the collector under both workloads, and the floors and the
// harness's cost.
func renderBench(w io.Writer, r *benchReport) error {
	m := r.Machine
	fmt.Fprintf(w, "%s, %d CPUs, %s %s/%s; collector runs of %gs at %d calls/s, cold load the median of %d processes\n\n",
		m.CPU, m.CPUs, m.GoVersion, m.OS, m.Arch, r.Seconds, r.Rate, r.ColdRuns)
	floors := map[string]float64{}
	rows := [][]string{}
	for _, f := range r.Loaders {
		if f.Warm == nil {
			rows = append(rows, []string{f.Name, "skipped: " + f.Skipped})
			continue
		}
		for k, v := range f.Warm.FloorNs {
			floors[k] = v
		}
		rows = append(rows, []string{
			f.Name,
			duration(float64(f.ColdLoadNs)),
			duration(f.CallNs),
			ratio(f.CallNs, f.Warm.FloorNs["go"]),
			ratio(f.CallNs, f.Warm.FloorNs["cgo"]),
			rateOf(f.Warm, 4<<10),
			bytesPerSecond(f.Warm, 1<<20),
			pauses(f.Warm, 0),
			pauses(f.Warm, 1),
			memory(f.Warm, 0),
			memory(f.Warm, 1),
			size(f.Cold.RSSBytes),
		})
	}
	header := []string{"LOADER", "COLD LOAD", "CALL", "x GO", "x CGO", "4 KiB CALLS/S", "1 MiB", "GC PAUSES (transform)", "GC PAUSES (churn)", "HEAP/RSS (transform)", "HEAP/RSS (churn)", "LOAD RSS"}
	if err := writeTable(w, header, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nfloors: a plain Go call %s", duration(floors["go"]))
	if c, ok := floors["cgo"]; ok {
		fmt.Fprintf(w, ", a direct cgo call %s", duration(c))
	} else {
		fmt.Fprint(w, ", no cgo floor (elfx-runner built without cgo)")
	}
	_, err := fmt.Fprintf(w, "; the harness's own cost %s a call (%.1f%% of the smallest figure)\n"+
		"GC PAUSES: count, p50/p99/max of the stop-the-world pauses (runtime/metrics /sched/pauses/total/gc:seconds, bucket bounds);\n"+
		"transform allocates nothing itself, churn keeps 4 MiB and churns 64 KiB a call (C, Go or linear memory, or the rpc plugin's own process)\n",
		duration(r.HarnessNs), 100*r.HarnessNs/smallest(r))
	return err
}

// smallest is the smallest time figure of the report: a floor or a call.
func smallest(r *benchReport) float64 {
	s := math.Inf(1)
	for _, f := range r.Loaders {
		if f.Warm == nil {
			continue
		}
		s = math.Min(s, f.CallNs)
		for _, v := range f.Warm.FloorNs {
			s = math.Min(s, v)
		}
	}
	return s
}

func duration(ns float64) string {
	switch {
	case ns == 0:
		return "-"
	case ns < 1000:
		return fmt.Sprintf("%.1f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ms", ns/1e6)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fx", a/b)
}

func rateOf(w *bench.Warm, sz int) string {
	for _, t := range w.Throughput {
		if t.Size == sz {
			return fmt.Sprintf("%.0f", t.CallsPerS)
		}
	}
	return "-"
}

func bytesPerSecond(w *bench.Warm, sz int) string {
	for _, t := range w.Throughput {
		if t.Size == sz {
			return fmt.Sprintf("%.0f MB/s", t.BytesPerS/1e6)
		}
	}
	return "-"
}

func pauses(w *bench.Warm, i int) string {
	if i >= len(w.GC) {
		return "-"
	}
	g := w.GC[i]
	if g.Pauses == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %s/%s/%s", g.Pauses, duration(float64(g.PauseP50Ns)), duration(float64(g.PauseP99Ns)), duration(float64(g.PauseMaxNs)))
}

func memory(w *bench.Warm, i int) string {
	if i >= len(w.GC) {
		return "-"
	}
	return size(w.GC[i].HeapGrowthBytes) + " / " + size(w.GC[i].RSSGrowthBytes)
}

func size(b int64) string {
	sign := ""
	if b < 0 {
		sign, b = "-", -b
	}
	switch {
	case b < 1<<10:
		return fmt.Sprintf("%s%d B", sign, b)
	case b < 1<<20:
		return fmt.Sprintf("%s%.1f KiB", sign, float64(b)/(1<<10))
	}
	return fmt.Sprintf("%s%.1f MiB", sign, float64(b)/(1<<20))
}

// renderBenchSVG draws two bar charts: a trivial call per loader, next to
// the floors, on a logarithmic scale; and the workload's throughput on
// 1 MiB.
func renderBenchSVG(w io.Writer, r *benchReport) error {
	type bar struct {
		label string
		value float64
	}
	var calls, tput []bar
	var floors map[string]float64
	for _, f := range r.Loaders {
		if f.Warm == nil {
			continue
		}
		floors = f.Warm.FloorNs
		calls = append(calls, bar{f.Name, f.CallNs})
		for _, t := range f.Warm.Throughput {
			if t.Size == 1<<20 {
				tput = append(tput, bar{f.Name, t.BytesPerS / 1e6})
			}
		}
	}
	for _, k := range []string{"go", "cgo"} {
		if v, ok := floors[k]; ok {
			calls = append(calls, bar{"floor: " + k, v})
		}
	}
	const rowH, left, width = 22, 130, 640
	height := 90 + rowH*(len(calls)+len(tput))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", left+width+120, height)
	fmt.Fprintf(&b, `<text x="8" y="18" font-weight="bold">%s</text>`+"\n", html.EscapeString(fmt.Sprintf("elfx bench: %s, %s", r.Machine.CPU, r.Machine.GoVersion)))
	y := 40
	chart := func(title string, bars []bar, scale func(float64) float64, unit func(float64) string) {
		fmt.Fprintf(&b, `<text x="8" y="%d" font-weight="bold">%s</text>`+"\n", y, html.EscapeString(title))
		y += 8
		for _, br := range bars {
			wd := scale(br.value) * width
			fmt.Fprintf(&b, `<text x="8" y="%d">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="#4a7ab5"/><text x="%.1f" y="%d">%s</text>`+"\n",
				y+14, html.EscapeString(br.label), left, y+3, math.Max(wd, 1), rowH-6, float64(left)+wd+4, y+14, html.EscapeString(unit(br.value)))
			y += rowH
		}
		y += 20
	}
	maxOf := func(bars []bar) float64 {
		m := 0.0
		for _, br := range bars {
			m = math.Max(m, br.value)
		}
		return m
	}
	maxCall, maxT := maxOf(calls), maxOf(tput)
	chart("a trivial call (log scale)", calls, func(v float64) float64 {
		if v <= 0 {
			return 0
		}
		return math.Log10(1+v) / math.Log10(1+maxCall)
	}, duration)
	chart("the workload on 1 MiB (MB/s)", tput, func(v float64) float64 { return v / maxT }, func(v float64) string { return fmt.Sprintf("%.0f MB/s", v) })
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
