package wasmabi

import (
	"errors"
	"fmt"
)

// CheckShape walks a module's sections before a runtime decodes it: each
// section must fit in the module, and each vector section may declare no
// more entries than its bytes can hold. wazero sizes its tables by the
// declared counts before it reads the entries, so an absurd count in a
// few bytes of hostile input would exhaust memory.
func CheckShape(code []byte) error {
	if len(code) < 8 || string(code[:4]) != "\x00asm" {
		return errors.New("no WebAssembly magic number")
	}
	rest := code[8:]
	for len(rest) > 0 {
		id := rest[0]
		size, n, err := uleb(rest[1:])
		if err != nil {
			return fmt.Errorf("section %d at byte %d: size: %w", id, len(code)-len(rest), err)
		}
		body := rest[1+n:]
		if size > uint64(len(body)) {
			return fmt.Errorf("section %d at byte %d: %d bytes declared, %d left in the module", id, len(code)-len(rest), size, len(body))
		}
		body = body[:size]
		if vectorSection(id) && len(body) > 0 {
			count, _, err := uleb(body)
			if err != nil {
				return fmt.Errorf("section %d at byte %d: entry count: %w", id, len(code)-len(rest), err)
			}
			if count > uint64(len(body)) {
				return fmt.Errorf("section %d at byte %d: %d entries declared in %d bytes", id, len(code)-len(rest), count, len(body))
			}
		}
		rest = rest[1+n+int(size):]
	}
	return nil
}

// vectorSection reports whether section id is a vector of entries, each
// at least a byte long: types, imports, functions, tables, memories,
// globals, exports, elements, code, data.
func vectorSection(id byte) bool {
	return id >= 1 && id <= 11 && id != 8
}

// uleb reads an unsigned LEB128 number of at most 64 bits and says how
// many bytes it took.
func uleb(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, errors.New("truncated or overlong LEB128 number")
}
