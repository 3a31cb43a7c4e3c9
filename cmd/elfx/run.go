package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"
)

// runLoaders are the loaders `elfx run` knows. elfx-runner runs them in a
// child process: most call C, which a static elfx cannot, and a child
// keeps elfx alive whatever the plugin does. A build of elfx-runner
// without cgo lacks the cgo-only ones and says so.
var runLoaders = []string{"goplugin", "purego", "cgo", "wasmtime", "wazero", "rpc"}

// stopGrace is how long past its deadline a plugin's process is given to
// report the deadline itself (WebAssembly runtimes do) before it is killed.
const stopGrace = 2 * time.Second

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", "--loader goplugin|purego|cgo|wasmtime|wazero|rpc [--input FILE|-] [--isolate] [--info] [--timeout D] [--watch [--reloads N]] [--wasm-pages N] [--grant-arg A]... [--grant-env K=V]... [--grant-dir DIR]... PLUGIN", stderr)
	loader := &oneOf{"", runLoaders}
	fs.Var(loader, "loader", "the `loader` to run the plugin with: goplugin, purego, cgo, wasmtime, wazero or rpc")
	input := fs.String("input", "-", "read the plugin's input from `FILE` (- for standard input)")
	fs.Bool("isolate", true, "run the plugin in a child process, so that a crash leaves elfx alive and is reported with its signal (always so: the runners live in elfx-runner)")
	info := fs.Bool("info", false, "print the plugin's name and version instead of running it")
	timeout := fs.Duration("timeout", time.Minute, "stop the plugin when it has run this `long` (not with --watch)")
	watch := fs.Bool("watch", false, "run the plugin again each time its file changes, reloading it, and report each reload's latency and the memory it leaves")
	reloads := fs.Int("reloads", 0, "with --watch, stop after `N` reloads (0: run until interrupted)")
	// What a WebAssembly plugin is given goes to the runner as it is.
	var sandbox []string
	for _, f := range []struct{ name, usage string }{
		{"wasm-pages", "cap a WebAssembly plugin's memory at `N` pages of 64 KiB (default 16384, 1 GiB)"},
		{"grant-arg", "give a WebAssembly plugin the WASI argument `A`, its name first; repeatable (default none)"},
		{"grant-env", "give a WebAssembly plugin the WASI environment variable `K=V`; repeatable (default none)"},
		{"grant-dir", "let a WebAssembly plugin read the directory `DIR`, under its own path; repeatable (default none)"},
	} {
		fs.Func(f.name, f.usage, func(s string) error {
			sandbox = append(sandbox, "--"+f.name, s)
			return nil
		})
	}
	paths, err := parseArgs(fs, args)
	if err != nil || len(paths) != 1 || loader.value == "" {
		return badUsage(fs, err)
	}
	runner, err := runnerPath()
	if err != nil {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	argv := append([]string{"run", "--loader", loader.value, "--timeout", timeout.String()}, sandbox...)
	if *info {
		argv = append(argv, "--info")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout+stopGrace)
	defer cancel()
	var errs bytes.Buffer
	logs := io.Writer(&errs) // checked for a crash, then shown
	if *watch {
		// Reloads are reported as they happen, and only an interrupt ends
		// the watch.
		argv = append(argv, "--watch", "--reloads", strconv.Itoa(*reloads))
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		logs = io.MultiWriter(stderr, &errs)
	}
	cmd := exec.CommandContext(ctx, runner, append(argv, paths[0])...)
	cmd.Stdout, cmd.Stderr = stdout, logs
	cmd.WaitDelay = stopGrace
	switch {
	case *info:
	case *input == "-":
		cmd.Stdin = os.Stdin
	default:
		f, err := os.Open(*input)
		if err != nil {
			fmt.Fprintf(stderr, "elfx: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		cmd.Stdin = f
	}
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintf(stderr, "elfx: %v\n", err)
		return exitUsage
	}
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "elfx: %s ran past its deadline of %v and was killed\n", paths[0], *timeout)
		return exitFinding
	}
	if sig := crashSignal(exit, errs.Bytes()); sig != "" {
		fmt.Fprintf(stderr, "elfx: %s crashed: %s; elfx is unharmed, the plugin ran in a child process\n", paths[0], sig)
		return exitFinding
	}
	if !*watch {
		stderr.Write(errs.Bytes())
	}
	switch {
	case exit == nil:
		return exitOK
	case exit.ExitCode() == runnerLoadFailed:
		return exitUsage
	}
	return exitFinding
}

// runnerLoadFailed is elfx-runner's exit status for a plugin it cannot
// load.
const runnerLoadFailed = 3

// fatalSignal is the first line the Go runtime prints when a signal kills
// a program inside C code: "SIGSEGV: segmentation violation".
var fatalSignal = regexp.MustCompile(`^(SIG[A-Z]+: [^\n]*)`)

// crashSignal names the signal that ended the runner, "" when none did:
// killed by it, or the runtime's fatal report of one.
func crashSignal(exit *exec.ExitError, stderr []byte) string {
	if exit == nil {
		return ""
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	if m := fatalSignal.FindSubmatch(stderr); m != nil && exit.ExitCode() == 2 {
		return string(m[1])
	}
	return ""
}
