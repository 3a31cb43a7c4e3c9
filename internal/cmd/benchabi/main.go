// Command benchabi measures elfx compat diff against abidiff, in one run:
// libc.so.6 against itself, and generated libraries of N structures that
// point at each other (four pointers each) where the second version
// changes one member, built with debug information. It prints elfx's time
// at several N to show how it grows, and abidiff's where it is installed.
// `make bench-abi` runs it.
//
//	go run ./internal/cmd/benchabi [-elfx bin/elfx] [-sizes 500,1000,2000,4000] [-abidiff-max 1000] [-timeout 5m]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	elfxBin    = flag.String("elfx", "bin/elfx", "the elfx binary to measure")
	sizes      = flag.String("sizes", "500,1000,2000,4000", "numbers of structures of the generated libraries")
	abidiffMax = flag.Int("abidiff-max", 1000, "run abidiff on generated libraries up to this many structures (it grows faster than linearly)")
	timeout    = flag.Duration("timeout", 5*time.Minute, "give up on one abidiff run after this long")
	libc       = flag.String("libc", "/lib/x86_64-linux-gnu/libc.so.6", "the library compared with itself")
)

func main() {
	flag.Parse()
	elfx, err := filepath.Abs(*elfxBin)
	if err != nil {
		fatalf("%v", err)
	}
	if _, err := os.Stat(elfx); err != nil {
		fatalf("no elfx binary (%v): run `make build` first", err)
	}
	abidiff, _ := exec.LookPath("abidiff")
	dir, err := os.MkdirTemp("", "benchabi-")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "libraries\tsize\telfx\tabidiff\tabidiff/elfx\t")
	row := func(what, file string, old, new string, runAbidiff bool) {
		st, _ := os.Stat(new)
		size := "-"
		if st != nil {
			size = fmt.Sprintf("%.1f MB", float64(st.Size())/1e6)
		}
		e := timeRun(elfx, "compat", "diff", "--format", "json", old, new)
		a, ratio := "-", "-"
		switch {
		case abidiff == "":
			a = "not installed"
		case !runAbidiff:
			a = "not run"
		default:
			d, err := timeRunFor(*timeout, abidiff, old, new)
			if err != nil {
				a = err.Error()
			} else {
				a, ratio = sec(d), fmt.Sprintf("%.1fx", d.Seconds()/e.Seconds())
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t\n", what, size, sec(e), a, ratio)
	}
	row("libc.so.6 against itself", *libc, *libc, *libc, true)
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 2 {
			fatalf("bad size %q", f)
		}
		v1, v2, err := generate(dir, n)
		if err != nil {
			fatalf("%v", err)
		}
		row(fmt.Sprintf("%d pointer-chained structs, one member changed", n), v2, v1, v2, n <= *abidiffMax)
	}
	w.Flush()
	fmt.Printf("\nelfx: %s compat diff --format json OLD NEW (median of 3); abidiff OLD NEW, once, up to %v\n", *elfxBin, *timeout)
}

// generate writes and builds two versions of a library of n structures,
// each with four pointers to others and an exported function taking one;
// the second version changes the type of one member of the middle one.
func generate(dir string, n int) (string, string, error) {
	var paths [2]string
	for v := range 2 {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "struct s%d;\n", i)
		}
		for i := range n {
			fmt.Fprintf(&b, "struct s%d {", i)
			for k := 1; k <= 4; k++ {
				fmt.Fprintf(&b, " struct s%d *p%d;", (i*7+k*13)%n, k)
			}
			member := "int"
			if v == 1 && i == n/2 {
				member = "long"
			}
			fmt.Fprintf(&b, " %s value; };\n", member)
			fmt.Fprintf(&b, "int f%d(struct s%d *s) { return s ? (int)s->value : %d; }\n", i, i, i)
		}
		src := filepath.Join(dir, fmt.Sprintf("v%d-%d.c", v+1, n))
		if err := os.WriteFile(src, []byte(b.String()), 0o644); err != nil {
			return "", "", err
		}
		paths[v] = filepath.Join(dir, fmt.Sprintf("libchain%d-v%d.so", n, v+1))
		out, err := exec.Command("cc", "-shared", "-fPIC", "-g", "-O0", "-o", paths[v], src).CombinedOutput()
		if err != nil {
			return "", "", fmt.Errorf("cc: %v\n%s", err, out)
		}
	}
	return paths[0], paths[1], nil
}

// timeRun is the median of three runs of the command.
func timeRun(name string, args ...string) time.Duration {
	var ds []time.Duration
	for range 3 {
		start := time.Now()
		err := exec.Command(name, args...).Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			fatalf("%s: %v", name, err)
		}
		ds = append(ds, time.Since(start))
	}
	if ds[0] > ds[1] {
		ds[0], ds[1] = ds[1], ds[0]
	}
	return max(ds[0], min(ds[1], ds[2]))
}

// timeRunFor runs the command once, killing it after limit.
func timeRunFor(limit time.Duration, name string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	err := exec.CommandContext(ctx, name, args...).Run()
	d := time.Since(start)
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return 0, fmt.Errorf("over %v", limit)
	case err != nil && !errors.As(err, &exit):
		return 0, err
	}
	return d, nil
}

func sec(d time.Duration) string {
	if d >= time.Second {
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchabi: "+format+"\n", args...)
	os.Exit(1)
}
