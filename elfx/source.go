package elfx

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/elfx/elfx/internal/safeopen"
)

// source gives bounds-checked access to the bytes of a file, either straight
// from a read-only mapping (no copy) or through an io.ReaderAt.
type source struct {
	mapped []byte      // the whole file when mapped (or read, when small), else nil
	r      io.ReaderAt // used when mapped is nil
	size   uint64
	heap   bool // mapped was read into memory: nothing to unmap
}

// smallFile is the size up to which mapPath reads a file rather than
// mapping it: for a small file a read costs less than mmap and munmap
// (which flushes every thread's TLB), and a chain of thousands of tiny
// libraries is read that way.
const smallFile = 16 << 10

// mapPath opens path, checks that it is a regular file and maps it
// read-only. The open does not block (O_NONBLOCK): a FIFO would wait for
// a writer. It makes the system calls itself (open, fstat, mmap, close):
// os.Open's second fstat and finalizer show in a walk over thousands of
// files. data is nil for a file that cannot be mapped (an empty one, or a
// mapping refused), which the caller then reads instead; heap says data
// was read, not mapped (files up to smallFile).
func mapPath(path string) (data []byte, size int64, heap bool, err error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, 0, false, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, false, fmt.Errorf("%s: not a regular file: %s", path, safeopen.Kind(st.Mode))
	}
	if st.Size <= 0 || int64(int(st.Size)) != st.Size {
		return nil, st.Size, false, nil
	}
	if st.Size <= smallFile {
		data = make([]byte, st.Size)
		for n := 0; n < len(data); {
			m, err := unix.Pread(fd, data[n:], int64(n))
			if err != nil || m == 0 { // changed under us: read it the slow way
				return nil, st.Size, false, nil
			}
			n += m
		}
		return data, st.Size, true, nil
	}
	data, err = unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, st.Size, false, nil
	}
	return data, st.Size, false, nil
}

func (s *source) unmap() error {
	if s.mapped == nil || s.heap {
		s.mapped = nil
		return nil
	}
	err := unix.Munmap(s.mapped)
	s.mapped = nil
	return err
}

// sizeOf finds the size of r: from a Size or Stat method when it has one, or
// else by probing with one-byte reads.
func sizeOf(r io.ReaderAt) (uint64, error) {
	switch r := r.(type) {
	case interface{ Size() int64 }:
		return uint64(max(r.Size(), 0)), nil
	case interface{ Stat() (os.FileInfo, error) }:
		fi, err := r.Stat()
		if err != nil {
			return 0, err
		}
		if fi.Mode().IsRegular() {
			return uint64(fi.Size()), nil
		}
	}
	// Find the first offset that cannot be read: grow, then bisect.
	var b [1]byte
	readable := func(off int64) (bool, error) {
		n, err := r.ReadAt(b[:], off)
		if n == 1 {
			return true, nil
		}
		if err == nil || errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, err
	}
	lo, hi := int64(0), int64(1) // readable(lo-1) holds; find the first unreadable
	for {
		ok, err := readable(hi - 1)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo = hi
		if hi > 1<<62 {
			return uint64(hi), nil
		}
		hi *= 2
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		ok, err := readable(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint64(lo), nil
}

// inFile reports whether [off, off+n) lies within the file.
func (s *source) inFile(off, n uint64) bool {
	return off <= s.size && n <= s.size-off
}

// bytes returns the n bytes at off. The result may alias the mapping and must
// not be modified. The caller has already checked the range with inFile, so n
// never exceeds the file's size.
func (s *source) bytes(off, n uint64) ([]byte, error) {
	if !s.inFile(off, n) {
		return nil, io.ErrUnexpectedEOF
	}
	if s.mapped != nil {
		return s.mapped[off : off+n : off+n], nil
	}
	buf := make([]byte, n)
	if got, err := s.r.ReadAt(buf, int64(off)); uint64(got) < n {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
