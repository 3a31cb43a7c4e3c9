package elfx

import (
	"errors"
	"fmt"
)

// ErrNotELF is the cause of the FormatError for a file that does not
// start with the ELF magic, so that a caller walking a directory can pass
// such files over (errors.Is(err, ErrNotELF)).
var ErrNotELF = errors.New("not an ELF file")

// A FormatError reports malformed ELF data: what is wrong and at which file
// offset it was found.
type FormatError struct {
	File string // the path given to Open, or "" for NewFile
	Off  uint64 // file offset of the offending record
	Msg  string
	Err  error // the cause, when it is one a caller may test for (ErrNotELF)
}

func (e *FormatError) Unwrap() error { return e.Err }

func (e *FormatError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("%s at offset %#x", e.Msg, e.Off)
	}
	return fmt.Sprintf("%s: %s at offset %#x", e.File, e.Msg, e.Off)
}

// formatErr builds a *FormatError for f; the file name is filled in by Open.
func (f *File) formatErr(off uint64, format string, args ...any) error {
	return &FormatError{File: f.path, Off: off, Msg: fmt.Sprintf(format, args...)}
}
