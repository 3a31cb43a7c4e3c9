// Package readelf runs GNU readelf and turns its text into plain Go values,
// so that differential tests can compare elfx's answers with those of an
// independent, widely trusted implementation field by field.
//
// Every command is run as `readelf -W ...` with LC_ALL=C: -W stops readelf
// from truncating names and columns, and the C locale keeps messages
// untranslated. The parsers follow the output of GNU readelf 2.40 (Debian
// 12); the formats were taken from its source (binutils/readelf.c) and
// checked against every ELF file under /usr/bin, /usr/sbin,
// /usr/lib/x86_64-linux-gnu, the Go toolchain and the aarch64 and i686
// cross libraries, with and without section headers. Quirks that a
// comparison has to know about are documented where they bite; in short:
//
//   - -d stops at the first DT_NULL and hides the padding after it.
//   - -D changes -s and -r but not --dyn-syms or -V; DynSyms therefore uses
//     "-D -s" for the dynamic-segment view.
//   - Without section headers, --dyn-syms prints nothing, -r finds no
//     tables, -V finds no versions, -n walks PT_NOTE segments instead, and
//     -l, -d, -D -s and -D -r are unaffected.
//   - RELR tables are printed expanded, one address per line.
//   - Symbol sizes above 99999 are printed in hex; relocation addends are
//     always hex without 0x ("+ 10" is sixteen).
//   - --dyn-syms spells versions "name@V (N)", "name@@V" and "name@V";
//     relocations spell them "name@@V" and "name@V" only.
//
// Values are kept twice where readelf's rendering loses or mixes
// information: once exactly as printed (for messages and for fall-back
// comparisons) and once decoded (numbers, flag words, name and version split
// apart).
//
// readelf's diagnostics (its stderr) and exit status are returned in Diag
// rather than as errors: damaged test files make readelf complain while it
// still prints everything it could read, and a test wants both. An error is
// returned only when readelf cannot be run, prints nothing but complaints
// while failing, or prints a line the parser does not understand; the error
// then names the file, the options and the offending line.
package readelf

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Command is the readelf program that is run; tests may point it elsewhere
// (for example at a cross readelf) before calling any parser.
var Command = "readelf"

// Available reports whether Command can be found on PATH, so tests can skip
// cleanly on machines without binutils.
func Available() bool {
	_, err := exec.LookPath(Command)
	return err == nil
}

// Diag is what readelf said besides its report.
type Diag struct {
	// Stderr holds readelf's stderr lines verbatim, for example
	// "readelf: Warning: Gap in build notes detected from 0x1 to 0x2".
	Stderr []string
	// ExitCode is readelf's exit status. It is 1 whenever readelf reported
	// an error, even if it printed a complete report.
	ExitCode int
}

// ParseError reports a line of readelf output that the parser does not
// understand. It names everything needed to reproduce the problem.
type ParseError struct {
	Path string // the ELF file
	Args string // readelf options, e.g. "-W -D -r"
	Line int    // 1-based line number in readelf's stdout
	Text string // the line itself
	Msg  string // what was expected
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("readelf %s %s: stdout line %d: %s: %q", e.Args, e.Path, e.Line, e.Msg, e.Text)
}

// RunError reports that readelf failed without printing a report.
type RunError struct {
	Path     string
	Args     string
	ExitCode int      // -1 if readelf could not be started or was killed
	Stderr   []string // what readelf said, if anything
	Err      error    // the underlying exec error, if any
}

func (e *RunError) Error() string {
	msg := fmt.Sprintf("readelf %s %s: exit status %d", e.Args, e.Path, e.ExitCode)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if len(e.Stderr) > 0 {
		msg += ": " + strings.Join(e.Stderr, "; ")
	}
	return msg
}

func (e *RunError) Unwrap() error { return e.Err }

// output is one readelf run: its stdout lines plus the context needed to
// build error messages while parsing them.
type output struct {
	path  string
	args  string
	lines []string
	diag  Diag
}

// run executes `readelf -W args... path`. Non-zero exit with a non-empty
// report is not an error (see Diag); non-zero exit with nothing on stdout is.
func run(path string, args ...string) (*output, error) {
	argv := append([]string{"-W"}, args...)
	argv = append(argv, "--", path)
	cmd := exec.Command(Command, argv...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()

	out := &output{path: path, args: strings.Join(argv[:len(argv)-2], " ")}
	out.diag.Stderr = splitLines(stderr.String())
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() >= 0:
		out.diag.ExitCode = exitErr.ExitCode()
	default:
		return nil, &RunError{Path: path, Args: out.args, ExitCode: -1, Stderr: out.diag.Stderr, Err: err}
	}
	out.lines = splitLines(stdout.String())
	if out.diag.ExitCode != 0 && strings.TrimSpace(stdout.String()) == "" {
		return nil, &RunError{Path: path, Args: out.args, ExitCode: out.diag.ExitCode, Stderr: out.diag.Stderr}
	}
	return out, nil
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// errorf builds a ParseError for the 0-based line index i.
func (o *output) errorf(i int, format string, a ...any) error {
	text := ""
	if i >= 0 && i < len(o.lines) {
		text = o.lines[i]
	}
	return &ParseError{Path: o.path, Args: o.args, Line: i + 1, Text: text, Msg: fmt.Sprintf(format, a...)}
}

// ListELF returns the regular files under dirs whose first four bytes are
// the ELF magic, sorted. Symbolic links are not followed and hard links are
// reported once, so each file on disk appears once; unreadable files and
// directories are skipped silently because the system walk must not depend
// on permissions.
func ListELF(dirs ...string) []string {
	type inode struct{ dev, ino uint64 }
	seen := make(map[inode]bool)
	var files []string
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() && path != dir {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !isELF(path) {
				return nil
			}
			if info, err := d.Info(); err == nil {
				if st, ok := info.Sys().(*syscall.Stat_t); ok {
					key := inode{uint64(st.Dev), st.Ino}
					if seen[key] {
						return nil
					}
					seen[key] = true
				}
			}
			files = append(files, path)
			return nil
		})
	}
	sort.Strings(files)
	return files
}

func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	if _, err := f.Read(magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == "\x7fELF"
}

// Printable returns name as readelf displays symbol names and note owners
// (its print_symbol function): control characters as ^@..^_, DEL as ^ plus
// byte 0xbf, all other bytes unchanged. Compare a reader's raw names through
// it. Version names in -V output and strings in -d output are printed raw
// and need no such treatment.
func Printable(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c < 0x20 || c == 0x7f:
			b.WriteByte('^')
			b.WriteByte(c + 0x40)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// parseHex parses a hexadecimal number with or without a 0x prefix.
func parseHex(s string) (uint64, bool) {
	s = strings.TrimPrefix(s, "0x")
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

// parseDec parses an unsigned decimal number.
func parseDec(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// parseNum parses readelf's %#x-style numbers: 0x-prefixed hex, or a bare
// run of zeros, which is how C's "%#06x" prints zero ("000000").
func parseNum(s string) (uint64, bool) {
	if strings.HasPrefix(s, "0x") {
		return parseHex(s)
	}
	return parseDec(s)
}
