// Command benchdeps measures elfx deps against the tools people use for
// the same question, in one run, and prints a small table: the whole of a
// directory (/usr/bin) with elfx in one process against libtree given
// every file in one invocation, a loop of ldd and a loop of lddtree over
// the files; the latency of one file with elfx and with libtree; and
// elfx's system calls per unique file it read, from strace. `make
// bench-deps` runs it; a tool that is missing skips its row with a note.
//
//	go run ./internal/cmd/benchdeps [-elfx bin/elfx] [-runs 20] [-batch-runs 5] [-lddtree-sample 60] [-single /usr/bin/ls] [DIR]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	elfxBin       = flag.String("elfx", "bin/elfx", "the elfx binary to measure")
	runs          = flag.Int("runs", 20, "runs of the single-file latency, of which the median is taken")
	batchRuns     = flag.Int("batch-runs", 5, "runs of elfx's and libtree's batch, of which the median is taken (after one warm-up)")
	lddtreeSample = flag.Int("lddtree-sample", 60, "time lddtree on this many files spread over the list and extrapolate; 0 times every file")
	lddSample     = flag.Int("ldd-sample", 0, "time ldd on this many files and extrapolate; 0 times every file")
	single        = flag.String("single", "/usr/bin/ls", "the file whose latency is measured")
)

// toolEnv is the environment every tool runs in: the system's PATH first,
// so that lddtree's "#!/usr/bin/env python3" finds the python3 that has
// the Debian pyelftools, and no loader variables.
var toolEnv = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL=C"}

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: benchdeps [flags] [DIR]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	dir := "/usr/bin"
	if flag.NArg() > 0 {
		dir = flag.Arg(0)
	}
	elfx, err := filepath.Abs(*elfxBin)
	if err == nil {
		_, err = os.Stat(elfx)
	}
	if err != nil {
		fatalf("no elfx binary (%v): run `make build` first", err)
	}
	files := elfxFiles(elfx, dir)
	if len(files) == 0 {
		fatalf("elfx found no ELF file under %s", dir)
	}
	fmt.Printf("elfx deps bench: %d ELF files under %s (the files elfx deps %s resolves), %s\n\n", len(files), dir, dir, time.Now().UTC().Format(time.RFC3339))

	var rows []row
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	// Batch: the whole directory.
	elfxBatch := median(*batchRuns, func() time.Duration {
		return timeRun(exec.Command(elfx, "deps", "--format", "ldd", dir))
	})
	elfxCmd := fmt.Sprintf("%s deps --format ldd %s", *elfxBin, dir)
	if lt, ok := look("libtree"); ok {
		d := median(*batchRuns, func() time.Duration { return timeRun(exec.Command(lt, files...)) })
		rows = append(rows, row{"batch: libtree FILE... (one process)", elfxBatch, d, "", ">= 1x", d >= elfxBatch})
	} else {
		note("libtree is not installed (apt-get install libtree): its rows are skipped")
	}
	if ldd, ok := look("ldd"); ok {
		d, how := loop(ldd, files, *lddSample)
		rows = append(rows, row{"batch: for f in FILES; do ldd $f; done", elfxBatch, d, how, ">= 100x", d >= 100*elfxBatch})
	} else {
		note("ldd is not installed: its row is skipped")
	}
	if lddtree, ok := look("lddtree"); ok {
		check := exec.Command(lddtree, *single)
		check.Env = toolEnv
		if err := check.Run(); err != nil {
			note("lddtree fails on %s (%v): its row is skipped", *single, err)
		} else {
			d, how := loop(lddtree, files, *lddtreeSample)
			rows = append(rows, row{"batch: for f in FILES; do lddtree $f; done", elfxBatch, d, how, "", true})
		}
	} else {
		note("lddtree is not installed (apt-get install pax-utils): its row is skipped")
	}

	// Latency: one file.
	if lt, ok := look("libtree"); ok {
		e, l, how := latency([]string{elfx, "deps", "--format", "ldd", *single}, []string{lt, *single})
		rows = append(rows, row{"one file: libtree " + *single, e, l, how, ">= 0.5x", 2*l >= e})
		if empty, err := emptyGoProgram(); err != nil {
			note("no empty Go program to time (%v): the start-up floor is not measured", err)
		} else {
			defer os.RemoveAll(filepath.Dir(empty))
			g, l, _ := latency([]string{empty}, []string{lt, *single})
			note("an empty Go program starts in %s, %.2fx libtree's %s on %s: the floor of a single-file query by any Go tool",
				sec(g), l.Seconds()/g.Seconds(), sec(l), *single)
		}
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "elfx against\telfx\tother\telfx faster by\tgoal\t")
	for _, r := range rows {
		verdict := ""
		if r.goal != "" {
			verdict = r.goal + ": met"
			if !r.met {
				verdict = r.goal + ": MISSED"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.2fx\t%s\t\n", r.what, sec(r.elfx), sec(r.other), r.other.Seconds()/r.elfx.Seconds(), verdict)
	}
	w.Flush()
	fmt.Printf("\nelfx: %s (median of %d after a warm-up)\n", elfxCmd, *batchRuns)
	for _, r := range rows {
		if r.how != "" {
			fmt.Printf("%s: %s\n", strings.TrimPrefix(r.what, "batch: "), r.how)
		}
	}

	// System calls.
	fmt.Println()
	if strace, ok := look("strace"); ok {
		syscallsPerFile(strace, elfx, dir)
	} else {
		note("strace is not installed (apt-get install strace): no system call count")
	}
	for _, n := range notes {
		fmt.Println("note:", n)
	}
}

type row struct {
	what        string
	elfx, other time.Duration
	how         string // how "other" was measured, when not plainly
	goal        string // other/elfx at least this, or ""
	met         bool
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchdeps: "+format+"\n", args...)
	os.Exit(1)
}

func look(tool string) (string, bool) {
	for _, d := range []string{"/usr/bin", "/bin", "/usr/sbin", "/sbin"} {
		p := filepath.Join(d, tool)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	p, err := exec.LookPath(tool)
	return p, err == nil
}

func sec(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// elfxFiles are the files elfx deps resolves under dir, from its JSON
// output: every tool is given the same list.
func elfxFiles(elfx, dir string) []string {
	cmd := exec.Command(elfx, "deps", "--format", "json", dir)
	cmd.Env = toolEnv
	out, _ := cmd.Output()
	var files []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r struct {
			File string `json:"file"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.File != "" {
			files = append(files, r.File)
		}
	}
	return files
}

// timeRun runs cmd with its output discarded and returns its wall time.
// Exit codes are ignored: the tools exit non-zero when a library is
// missing or a file is static.
func timeRun(cmd *exec.Cmd) time.Duration {
	cmd.Env = toolEnv
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			fatalf("%s: %v", cmd.Path, err)
		}
	}
	return time.Since(start)
}

// median runs f once to warm the page cache, then n times, and returns
// the median time.
func median(n int, f func() time.Duration) time.Duration {
	f()
	ds := make([]time.Duration, max(n, 1))
	for i := range ds {
		ds[i] = f()
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// loop runs tool once per file, sequentially, and returns the total wall
// time; with sample > 0 it runs sample files spread evenly over the list
// and extrapolates to all of them.
func loop(tool string, files []string, sample int) (time.Duration, string) {
	picked := files
	if sample > 0 && sample < len(files) {
		picked = nil
		for i := range sample {
			picked = append(picked, files[i*len(files)/sample])
		}
	}
	warm := exec.Command(tool, picked[0])
	warm.Env = toolEnv
	warm.Run()
	var total time.Duration
	for _, f := range picked {
		total += timeRun(exec.Command(tool, f))
	}
	if len(picked) == len(files) {
		return total, fmt.Sprintf("every one of the %d files, %s", len(files), sec(total))
	}
	est := time.Duration(float64(total) / float64(len(picked)) * float64(len(files)))
	return est, fmt.Sprintf("%d of the %d files took %s (%s a file); extrapolated to all %d: %s",
		len(picked), len(files), sec(total), sec(total/time.Duration(len(picked))), len(files), sec(est))
}

// latency is the median time of one run of each command: hyperfine's,
// when it is installed, else *runs timed runs after a warm-up.
func latency(elfx, other []string) (time.Duration, time.Duration, string) {
	if hf, ok := look("hyperfine"); ok {
		tmp, err := os.CreateTemp("", "benchdeps-*.json")
		if err == nil {
			tmp.Close()
			defer os.Remove(tmp.Name())
			cmd := exec.Command(hf, "-N", "-i", "--style", "none", "--warmup", "3", "--runs", strconv.Itoa(*runs),
				"--export-json", tmp.Name(), shellJoin(elfx), shellJoin(other))
			cmd.Env = toolEnv
			if out, err := cmd.CombinedOutput(); err == nil {
				var res struct {
					Results []struct {
						Median float64 `json:"median"`
					} `json:"results"`
				}
				b, _ := os.ReadFile(tmp.Name())
				if json.Unmarshal(b, &res) == nil && len(res.Results) == 2 {
					sd := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
					return sd(res.Results[0].Median), sd(res.Results[1].Median),
						fmt.Sprintf("hyperfine -N --warmup 3 --runs %d, medians", *runs)
				}
			} else {
				fmt.Fprintf(os.Stderr, "benchdeps: hyperfine failed, timing by hand: %v\n%s", err, out)
			}
		}
	}
	e := median(*runs, func() time.Duration { return timeRun(exec.Command(elfx[0], elfx[1:]...)) })
	o := median(*runs, func() time.Duration { return timeRun(exec.Command(other[0], other[1:]...)) })
	return e, o, fmt.Sprintf("median of %d runs after a warm-up (hyperfine is not installed)", *runs)
}

func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t'\"\\$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		quoted[i] = a
	}
	return strings.Join(quoted, " ")
}

// emptyGoProgram builds a Go program that does nothing, linked as elfx
// is (CGO_ENABLED=0), and returns its path in a new temporary directory.
func emptyGoProgram() (string, error) {
	dir, err := os.MkdirTemp("", "benchdeps-empty-")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "main.go")
	bin := filepath.Join(dir, "empty")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// schedulerCalls are the system calls of the Go runtime's scheduler and
// memory manager, not of reading files.
var schedulerCalls = map[string]bool{
	"futex": true, "nanosleep": true, "sched_yield": true, "epoll_pwait": true, "epoll_wait": true,
	"tgkill": true, "getpid": true, "gettid": true, "rt_sigreturn": true, "rt_sigaction": true,
	"rt_sigprocmask": true, "sigaltstack": true, "clone": true, "clone3": true, "madvise": true,
	"sched_getaffinity": true, "prlimit64": true, "arch_prctl": true, "set_tid_address": true,
	"set_robust_list": true, "rseq": true, "execve": true, "prctl": true, "exit_group": true,
}

var (
	summaryLine = regexp.MustCompile(`^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)\s*$`)
	openLine    = regexp.MustCompile(`^open(?:at)?\((?:AT_FDCWD, )?"((?:[^"\\]|\\.)*)", ([A-Z_|]+)(?:, \d+)?\) = (\d+)`)
)

// syscallsPerFile counts elfx's system calls over dir with strace -c -f,
// and the unique files it opened with a second, per-thread trace of its
// opens, and prints calls per unique file.
func syscallsPerFile(strace, elfx, dir string) {
	tmp, err := os.MkdirTemp("", "benchdeps-strace-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	summary := filepath.Join(tmp, "summary")
	cmd := exec.Command(strace, "-c", "-f", "-o", summary, elfx, "deps", "--format", "ldd", dir)
	cmd.Env = toolEnv
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			fmt.Printf("strace failed (%v): no system call count\n", err)
			return
		}
	}
	b, err := os.ReadFile(summary)
	if err != nil {
		fmt.Printf("strace wrote no summary (%v)\n", err)
		return
	}
	type count struct {
		name  string
		calls int
	}
	var counts []count
	total, sched := 0, 0
	for _, line := range strings.Split(string(b), "\n") {
		m := summaryLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if m[2] == "total" {
			total = n
			continue
		}
		counts = append(counts, count{m[2], n})
		if schedulerCalls[m[2]] {
			sched += n
		}
	}
	// Unique files opened: a per-thread trace (-ff) has no interleaved
	// "unfinished ... resumed" halves.
	cmd = exec.Command(strace, "-ff", "-e", "trace=open,openat", "-o", filepath.Join(tmp, "open"), elfx, "deps", "--format", "ldd", dir)
	cmd.Env = toolEnv
	cmd.Run()
	files, dirs := map[string]bool{}, map[string]bool{}
	traces, _ := filepath.Glob(filepath.Join(tmp, "open.*"))
	for _, tr := range traces {
		b, err := os.ReadFile(tr)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			m := openLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if strings.Contains(m[2], "O_DIRECTORY") {
				dirs[m[1]] = true
			} else {
				files[m[1]] = true
			}
		}
	}
	if len(files) == 0 || total == 0 {
		fmt.Println("strace counted nothing: no system call figure")
		return
	}
	slices.SortFunc(counts, func(a, b count) int { return b.calls - a.calls })
	var top []string
	for _, c := range counts[:min(len(counts), 12)] {
		top = append(top, fmt.Sprintf("%s %d", c.name, c.calls))
	}
	perFile := float64(total) / float64(len(files))
	verdict := "met"
	if perFile > 8 {
		verdict = "MISSED"
	}
	fmt.Printf("system calls (strace -c -f %s deps --format ldd %s):\n", *elfxBin, dir)
	fmt.Printf("  %d calls, %d unique files opened (and %d directories listed): %.1f calls per unique file (goal <= 8: %s)\n",
		total, len(files), len(dirs), perFile, verdict)
	fmt.Printf("  without the Go runtime's scheduling and memory calls (%d): %.1f per unique file\n",
		sched, float64(total-sched)/float64(len(files)))
	fmt.Printf("  most frequent: %s\n", strings.Join(top, ", "))
}
