package elfx

import "fmt"

// A FormatError reports malformed ELF data: what is wrong and at which file
// offset it was found.
type FormatError struct {
	File string // the path given to Open, or "" for NewFile
	Off  uint64 // file offset of the offending record
	Msg  string
}

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
