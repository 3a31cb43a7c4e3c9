package dl

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// TraceBindings runs the file under the real glibc loader in trace mode,
// LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes LD_BIND_NOW=1 LD_DEBUG=bindings,
// in which the loader maps and relocates the whole link map without
// running any of its code, and returns the parsed log: every binding, and
// every symbol that stayed undefined.
//
// A program is executed, so that the kernel starts its own interpreter
// and $ORIGIN means what it means in a real run; the interpreter must be
// glibc's loader, as another one (musl's) would run the program instead
// of tracing it. A shared library, which has no interpreter, is given to
// the glibc loader for its class and machine as a command, as ldd does.
// Either way the main object is named by path as given, with "./" put
// before a path without a slash, as ldd does, since the loader would
// search for a bare name; see Binding.From.
//
// env holds K=V variables (LD_LIBRARY_PATH, LD_PRELOAD) set on top of a
// minimal environment, PATH and LC_ALL=C. They cannot change the trace
// variables, except that an LD_DEBUG adds its categories: with "symbols"
// the log has the lookups too.
//
// A non-zero exit status is not an error by itself once the loader has
// printed its listing; a crash, no listing or no bindings at all is. A
// set-user-ID or set-group-ID program is refused: run for real, it gets
// secure mode, where the loader ignores the debugging variables and will
// not trace. When ctx is done the child is killed.
func TraceBindings(ctx context.Context, path string, env []string) (*DebugLog, error) {
	name := path
	if !strings.Contains(name, "/") {
		name = "./" + name
	}
	argv, err := traceCommand(path, name)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "elfx-trace-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	debugOut := filepath.Join(dir, "debug")

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = traceEnv(env, debugOut)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second // a grandchild holding the pipes cannot stall us
	err = cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s: tracing bindings: %w", path, ctx.Err())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && !exit.Exited():
		return nil, fmt.Errorf("%s: tracing bindings: the loader was killed: %v%s", path, exit, stderrDetail(&stderr))
	case err != nil && exit == nil:
		return nil, fmt.Errorf("%s: tracing bindings: %w", path, err)
	case stdout.Len() == 0:
		return nil, fmt.Errorf("%s: tracing bindings: the loader printed no listing (%v)%s", path, cmd.ProcessState, stderrDetail(&stderr))
	}

	// The loader appends its PID to LD_DEBUG_OUTPUT and creates the file
	// as it starts, whenever it honours LD_DEBUG.
	debug, err := os.Open(debugOut + "." + strconv.Itoa(cmd.Process.Pid))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: tracing bindings: the loader wrote no LD_DEBUG output%s", path, stderrDetail(&stderr))
	}
	if err != nil {
		return nil, err
	}
	defer debug.Close()
	// Standard output has the listing, whose names settle ambiguous
	// binding lines; standard error has the undefined symbols.
	p := newParser()
	p.known[name] = true
	for _, r := range []io.Reader{debug, &stdout, &stderr} {
		if err := p.read(r); err != nil {
			return nil, fmt.Errorf("%s: reading loader output: %w", path, err)
		}
	}
	log := p.finish()
	if len(log.Bindings) == 0 {
		// Every process binds the vDSO's symbols, and libc binds its own.
		return nil, fmt.Errorf("%s: tracing bindings: the loader reported no bindings, as glibc 2.36 does without the fix of 2.37 and the 2.36 branch", path)
	}
	return log, nil
}

// traceCommand returns the command line that traces the file at path,
// named name on that line.
func traceCommand(path, name string) ([]string, error) {
	f, err := elfx.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	interp, err := f.Interpreter()
	if err != nil {
		return nil, err
	}
	switch {
	case interp != "":
		if !isGlibcLoader(interp) {
			return nil, fmt.Errorf("%s: interpreter %s is not glibc's loader, which alone traces without running the program", path, interp)
		}
		if _, err := os.Stat(interp); err != nil {
			return nil, fmt.Errorf("%s: interpreter %s is not on this machine", path, interp)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
			return nil, fmt.Errorf("%s: set-user-ID or set-group-ID program: the loader runs it in secure mode, where it does not trace", path)
		}
		return []string{name}, nil
	case f.Type == elf.ET_DYN:
		loader := inspect.DefaultInterpreter(f.Class, f.Machine)
		if loader == "" {
			return nil, fmt.Errorf("%s: no glibc loader known for %v %v", path, f.Class, f.Machine)
		}
		if _, err := os.Stat(loader); err != nil {
			return nil, fmt.Errorf("%s: the %v loader %s is not on this machine", path, f.Machine, loader)
		}
		return []string{loader, name}, nil
	}
	return nil, fmt.Errorf("%s: statically linked (%v without an interpreter): no dynamic loader binds its symbols", path, f.Type)
}

// isGlibcLoader reports whether interp is named as glibc names its
// loaders: ld-linux*.so.N, ld64.so.N or ld.so.1 (musl's are ld-musl-*).
func isGlibcLoader(interp string) bool {
	base := path.Base(interp)
	return strings.HasPrefix(base, "ld-linux") || strings.HasPrefix(base, "ld64.so.") || base == "ld.so.1"
}

// traceEnv is the child's environment: a minimal one, the caller's
// variables, then the trace variables, which win (exec keeps the last
// value of a duplicate).
func traceEnv(env []string, debugOut string) []string {
	debug := "bindings"
	e := []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "LD_DEBUG="); ok && v != "" {
			debug = v + ",bindings"
		}
		e = append(e, kv)
	}
	return append(e,
		"LD_TRACE_LOADED_OBJECTS=1", "LD_WARN=yes", "LD_BIND_NOW=1",
		"LD_DEBUG="+debug, "LD_DEBUG_OUTPUT="+debugOut)
}

// stderrDetail is the start of the child's standard error, to quote in an
// error.
func stderrDetail(stderr *bytes.Buffer) string {
	s := strings.TrimSpace(stderr.String())
	if s == "" {
		return ""
	}
	if len(s) > 1000 {
		s = s[:1000] + "..."
	}
	return ": " + s
}
