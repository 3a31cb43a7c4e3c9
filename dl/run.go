package dl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// RunBindings runs the program at path for real, with args, under
// LD_DEBUG=bindings, and returns the lookups the run made: with lazy
// binding the loader looks up a PLT slot's symbol at its first call, so
// the log holds the load-time lookups and those of the calls the run
// made. Lookups of objects the program dlopened are in the log too. The
// program's standard output and error go to stdout and stderr; its exit
// status is returned, and is no error, since a program that fails has
// still bound its symbols. Only the program's own process is read: a
// child it runs writes a log of its own, which is left out. A set-user-ID
// or set-group-ID program is refused, as in TraceBindings. When ctx is
// done the program is killed.
func RunBindings(ctx context.Context, path string, args, env []string, stdout, stderr io.Writer) (*DebugLog, int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if fi.Mode()&(os.ModeSetuid|os.ModeSetgid) != 0 {
		return nil, 0, fmt.Errorf("%s: set-user-ID or set-group-ID program: the loader runs it in secure mode, where it ignores LD_DEBUG", path)
	}
	name := path
	if !strings.Contains(name, "/") {
		name = "./" + name
	}
	dir, err := os.MkdirTemp("", "elfx-run-")
	if err != nil {
		return nil, 0, err
	}
	defer os.RemoveAll(dir)
	debugOut := filepath.Join(dir, "debug")
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}, env...)
	cmd.Env = append(cmd.Env, "LD_DEBUG=bindings", "LD_DEBUG_OUTPUT="+debugOut)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, stdout, stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return nil, 0, fmt.Errorf("%s: running: %w", path, ctx.Err())
	case errors.As(err, &exit) && !exit.Exited():
		return nil, 0, fmt.Errorf("%s: running: %v", path, exit)
	case err != nil && exit == nil:
		return nil, 0, fmt.Errorf("%s: running: %w", path, err)
	}
	debug, err := os.Open(debugOut + "." + strconv.Itoa(cmd.Process.Pid))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: the loader wrote no LD_DEBUG output: %w", path, err)
	}
	defer debug.Close()
	p := newParser()
	p.known[name] = true
	if err := p.read(debug); err != nil {
		return nil, 0, fmt.Errorf("%s: reading loader output: %w", path, err)
	}
	return p.finish(), cmd.ProcessState.ExitCode(), nil
}
