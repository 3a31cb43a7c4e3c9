// Command elfx explains and verifies ELF dynamic linking without running
// the files it inspects.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Exit codes, shared by every subcommand.
const (
	exitOK      = 0 // ok, compatible
	exitFinding = 1 // a finding: incompatible, would not load, unresolved
	exitUsage   = 2 // a usage error or an unreadable input
)

// A command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"info":     {"the dynamic-linking facts of each FILE", runInfo},
	"dynamic":  {"every entry of each FILE's dynamic array, like readelf -d", runDynamic},
	"symbols":  {"the dynamic symbols of each FILE with versions, like readelf --dyn-syms", runSymbols},
	"compat":   {"check: each FILE against a glibc floor, a platform policy or a sysroot, for CI; diff: OLD against NEW library; goplugin: will plugin.Open load each plugin; wasm: will a runtime instantiate each module", runCompat},
	"deps":     {"the libraries the loader would load for each FILE, and why, without running it", runDeps},
	"bindings": {"every symbol lookup the loader would make for each FILE's link map, without running it", runBindings},
	"lazy":     {"the path of a call to an imported function, from the call site through the PLT and the loader, with each FILE's addresses", runLazy},
	"run":      {"run a plugin written to the elfx plugin contract with a real loader, in a child process", runRun},
	"bench":    {"the plugin loaders side by side: cold load, a call, throughput, garbage-collector pauses, memory", runBench},
	"plt":      {"each FILE's PLT stubs, the GOT slots they jump through and what each slot holds before the first call", runPLT},
	"verify":   {"check elfx's bindings of each FILE against the real loader, run in a child process", runVerify},
}

func main() {
	stdout := bufio.NewWriter(os.Stdout)
	code := run(os.Args[1:], stdout, os.Stderr)
	if err := stdout.Flush(); err != nil && code == exitOK {
		code = exitUsage
	}
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return exitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "elfx: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: elfx COMMAND [flags] FILE...")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w, "\nexit status: 0 ok, 1 a finding, 2 usage error or unreadable input")
}

// formatFlag adds --format to fs, accepting the given formats, the first
// being the default.
func formatFlag(fs *flag.FlagSet, formats ...string) *oneOf {
	f := &oneOf{formats[0], formats}
	fs.Var(f, "format", "output `format`: "+strings.Join(formats, ", "))
	return f
}

// oneOf is a flag.Value that accepts one of a fixed set of words.
type oneOf struct {
	value   string
	allowed []string
}

func (o *oneOf) String() string { return o.value }

func (o *oneOf) Set(s string) error {
	for _, a := range o.allowed {
		if s == a {
			o.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(o.allowed, ", "))
}
