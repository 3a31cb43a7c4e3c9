// Package safeopen opens the files elfx inspects without blocking and
// refuses what is not a regular file: opening a FIFO for reading waits for
// a writer, and a device can be read forever.
package safeopen

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Open opens path for reading with O_NONBLOCK, so that a FIFO does not
// block the open, and returns it when it is a regular file (O_NONBLOCK
// does not change how a regular file reads). Errors name the path.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file: %s", path, Kind(st.Sys().(*syscall.Stat_t).Mode))
	}
	return f, nil
}

// ReadFile is os.ReadFile for regular files only, through Open.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Kind names the type of file a stat mode (st_mode) says, for messages.
func Kind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "a regular file"
	case syscall.S_IFDIR:
		return "a directory"
	case syscall.S_IFIFO:
		return "a FIFO"
	case syscall.S_IFSOCK:
		return "a socket"
	case syscall.S_IFCHR:
		return "a character device"
	case syscall.S_IFBLK:
		return "a block device"
	case syscall.S_IFLNK:
		return "a symbolic link"
	}
	return "an unknown type of file"
}
