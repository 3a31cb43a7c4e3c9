// Command elfx-runner runs, in a process of its own, what elfx must see
// happen in a live process rather than read from a file. elfx starts it
// as a child; it is not meant to be run by hand.
//
//	elfx-runner watch-got LIB CALL GOT [SLOT NAME]...
//
// dlopens LIB lazily, reads each GOT slot (link-time addresses), calls
// CALL with no arguments, reads the slots again, and prints a JSON
// dl.Snapshot; dl.CallMarker and dl.ReturnMarker, followed by CALL, go to
// standard error on lines of their own around the call.
//
//	elfx-runner run --loader NAME [--info] [--timeout D] PLUGIN
//
// loads PLUGIN with the loader NAME and writes plugin_get_info's name and
// version (--info), or the plugin's output for standard input, to
// standard output; the plugin is given D to run (a context deadline, which
// only the WebAssembly runtimes can enforce from inside, and rpc by
// stopping the plugin's process). It exits 3 when
// the plugin cannot be loaded, 1 when it fails, and the Go runtime exits 2
// when the plugin crashes.
//
//	elfx-runner run --loader NAME --watch [--reloads N] PLUGIN
//
// runs PLUGIN on standard input, then again each time the file changes,
// reloading it (dl.Watch); each generation's output goes to standard
// output and a line saying what was loaded, how fast and the memory it
// left, to standard error. It stops after N reloads, or when killed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/bench"
	"github.com/elfx/elfx/dl/dlopen"
	"github.com/elfx/elfx/dl/live"
	"github.com/elfx/elfx/dl/rpc"
	"github.com/elfx/elfx/dl/wasm"
)

// loaders are the runners this build has.
var loaders = []dl.Loader{dlopen.Purego{}, wasm.Wazero{}, rpc.RPC{}}

// floors are the floor calls elfx bench sets the loaders against.
var floors = map[string]func(n int){"go": bench.PlainFloor}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "watch-got":
		watchGOT(os.Args[2:])
	case "run":
		run(os.Args[2:])
	case "bench":
		benchLoader(os.Args[2:])
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: elfx-runner watch-got LIB CALL GOT [SLOT NAME]...\n       elfx-runner run --loader NAME [--info] [--timeout D] [--watch [--reloads N]] PLUGIN")
	os.Exit(2)
}

func watchGOT(args []string) {
	if len(args) < 3 || len(args[3:])%2 != 0 {
		usage()
	}
	lib, call := args[0], args[1]
	got, err := strconv.ParseUint(args[2], 0, 64)
	if err != nil {
		fail(err)
	}
	var slots []uint64
	var names []string
	for rest := args[3:]; len(rest) > 0; rest = rest[2:] {
		slot, err := strconv.ParseUint(rest[0], 0, 64)
		if err != nil {
			fail(err)
		}
		slots, names = append(slots, slot), append(names, rest[1])
	}
	marker := func(before bool) {
		if before {
			os.Stderr.WriteString(dl.CallMarker + call + "\n")
		} else {
			os.Stderr.WriteString(dl.ReturnMarker + call + "\n")
		}
	}
	s, err := live.Watch(lib, call, got, slots, names, marker)
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(s); err != nil {
		fail(err)
	}
}

func run(args []string) {
	// A crash in the plugin's C code is fatal to the runner: say which
	// signal, without the runtime's goroutine dump.
	debug.SetTraceback("none")
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	name := fs.String("loader", "", "the loader: "+loaderNames())
	info := fs.Bool("info", false, "print the plugin's name and version")
	timeout := fs.Duration("timeout", 0, "the time the plugin is given to run (0: no limit)")
	watch := fs.Bool("watch", false, "reload and run the plugin each time its file changes")
	reloads := fs.Int("reloads", 0, "with --watch, stop after this many reloads (0: never)")
	var sandbox wasm.Config
	fs.Func("wasm-pages", "cap a WebAssembly plugin's memory at this many 64 KiB pages", func(s string) error {
		n, err := strconv.ParseUint(s, 10, 16)
		sandbox.MemoryPages = uint32(n)
		return err
	})
	fs.Func("grant-arg", "give a WebAssembly plugin this WASI argument (repeatable)", func(s string) error {
		sandbox.Grants.Args = append(sandbox.Grants.Args, s)
		return nil
	})
	fs.Func("grant-env", "give a WebAssembly plugin this WASI environment variable, K=V (repeatable)", func(s string) error {
		sandbox.Grants.Env = append(sandbox.Grants.Env, s)
		return nil
	})
	fs.Func("grant-dir", "let a WebAssembly plugin read this directory (repeatable)", func(s string) error {
		sandbox.Grants.Dirs = append(sandbox.Grants.Dirs, s)
		return nil
	})
	fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	loader := findLoader(*name)
	if w, ok := loader.(interface{ WithConfig(wasm.Config) dl.Loader }); ok {
		loader = w.WithConfig(sandbox)
	} else if !reflect.DeepEqual(sandbox, wasm.Config{}) {
		failCode(loadFailed, fmt.Errorf("--wasm-pages and --grant-* apply to WebAssembly plugins, not to the %s loader", *name))
	}
	if *watch {
		watchPlugin(loader, fs.Arg(0), *reloads)
		return
	}
	p, err := loader.Load(fs.Arg(0))
	if err != nil {
		failCode(loadFailed, err)
	}
	defer p.Close()
	if *info {
		fmt.Printf("%s %s\n", p.Info().Name, p.Info().Version)
		return
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	out, err := p.Execute(ctx, input)
	if err != nil {
		fail(err)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fail(err)
	}
}

func watchPlugin(l dl.Loader, path string, reloads int) {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = dl.Watch(ctx, l, path, input, 100*time.Millisecond, func(r dl.Reload) bool {
		os.Stdout.Write(r.Output)
		fmt.Fprintln(os.Stderr, "elfx-runner:", r)
		return reloads == 0 || r.Generation <= reloads
	})
	if err != nil && ctx.Err() == nil {
		fail(err)
	}
}

// benchLoader measures one loader (dl/bench) and prints the figures as
// JSON: a cold load, to be the process's first, or the warm figures.
func benchLoader(args []string) {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	name := fs.String("loader", "", "the loader: "+loaderNames())
	var ps bench.Plugins
	fs.StringVar(&ps.Transform, "transform", "", "the workload's plugin")
	fs.StringVar(&ps.Trivial, "trivial", "", "the plugin whose empty call returns at once")
	fs.StringVar(&ps.Churn, "churn", "", "the allocating workload's plugin")
	cold := fs.Bool("cold", false, "measure a cold load only")
	o := bench.Options{Floors: floors}
	fs.IntVar(&o.Rate, "rate", 500, "calls a second in the GC runs")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each GC run")
	fs.Parse(args)
	l := findLoader(*name)
	var out any
	var err error
	if *cold {
		out, err = bench.MeasureCold(l, ps)
	} else {
		out, err = bench.MeasureWarm(l, ps, o)
	}
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

// findLoader is the loader name, or the runner ends saying this build
// lacks it.
func findLoader(name string) dl.Loader {
	i := slices.IndexFunc(loaders, func(l dl.Loader) bool { return l.Name() == name })
	if i < 0 {
		failCode(loadFailed, fmt.Errorf("this build of elfx-runner lacks the loader %q (it has %s)", name, loaderNames()))
	}
	return loaders[i]
}

func loaderNames() string {
	var names []string
	for _, l := range loaders {
		names = append(names, l.Name())
	}
	return strings.Join(names, ", ")
}

func fail(err error) { failCode(1, err) }

// loadFailed is the runner's exit status when the plugin cannot be loaded;
// 1 is a plugin that failed, and 2 the Go runtime's own status when a
// plugin's C code crashes (with the signal on standard error).
const loadFailed = 3

// failCode ends the runner with status code.
func failCode(code int, err error) {
	fmt.Fprintln(os.Stderr, "elfx-runner:", err)
	os.Exit(code)
}
