package wasmabi

import (
	"errors"
	"fmt"
)

// MaxLocals is the most locals a function may declare, wasmtime's limit.
// wazero allocates a function's locals, all of them, before it reads its
// body.
const MaxLocals = 50000

// CheckShape walks a module before a runtime decodes it and checks every
// length and count the decoder sizes an allocation by: wazero makes its
// slices and strings as long as the module declares before it reads what
// they hold, so a few bytes of hostile input declaring 4 GiB exhaust
// memory. Each section must fit in the module; each vector (of sections'
// entries, of a function type's parameters and results, of an element
// segment's items, of the name section's maps) may declare no more entries
// than the bytes left can hold; each name, code body and data segment must
// fit in what is left; a function may declare at most MaxLocals locals.
// What it does not recognise (a later proposal's encodings) it leaves to
// the decoder, which then fails before it allocates.
func CheckShape(code []byte) error {
	if len(code) < 8 || string(code[:4]) != "\x00asm" {
		return errors.New("no WebAssembly magic number")
	}
	r := &reader{b: code, off: 8}
	for r.off < len(r.b) {
		start := r.off
		id, _ := r.byte()
		size, err := r.uleb()
		if err != nil {
			return fmt.Errorf("section %d at byte %d: size: %w", id, start, err)
		}
		if size > uint64(r.left()) {
			return fmt.Errorf("section %d at byte %d: %d bytes declared, %d left in the module", id, start, size, r.left())
		}
		body := &reader{b: r.b[:r.off+int(size)], off: r.off}
		if err := checkSection(id, body); err != nil && err != errUnknown {
			return fmt.Errorf("section %d at byte %d: %w", id, start, err)
		}
		r.off += int(size)
	}
	return nil
}

// errUnknown stops the walk of a section at an encoding it does not know.
var errUnknown = errors.New("unknown encoding")

// checkSection checks the body of section id.
func checkSection(id byte, r *reader) error {
	if id == 0 {
		name, err := r.name("custom section name")
		if err != nil || name != "name" {
			return err
		}
		return checkNames(r)
	}
	if id < 1 || id > 13 || id == 8 || id == 12 || r.left() == 0 {
		return nil
	}
	// Every section but start and data count is a vector of entries at
	// least a byte long (tags are section 13).
	return r.vector("entries", func() error {
		switch id {
		case 1:
			return checkFuncType(r)
		case 2:
			return checkImport(r)
		case 7:
			if _, err := r.name("export name"); err != nil {
				return err
			}
			r.byte()
			_, err := r.uleb()
			return err
		case 9:
			return checkElement(r)
		case 10:
			return checkCode(r)
		case 11:
			return checkData(r)
		}
		return errUnknown // the rest need no walk: their first count is checked
	})
}

// checkFuncType checks 0x60, the parameters' vector and the results'.
func checkFuncType(r *reader) error {
	if b, err := r.byte(); err != nil || b != 0x60 {
		return errUnknown
	}
	for _, what := range []string{"parameters", "results"} {
		if err := r.vector(what, func() error { return r.valueType() }); err != nil {
			return err
		}
	}
	return nil
}

func checkImport(r *reader) error {
	if _, err := r.name("import module"); err != nil {
		return err
	}
	if _, err := r.name("import name"); err != nil {
		return err
	}
	kind, err := r.byte()
	if err != nil {
		return err
	}
	switch kind {
	case 0: // a function's type index
		_, err = r.uleb()
	case 1: // a table: its reference type and limits
		if err = r.valueType(); err == nil {
			err = r.limits()
		}
	case 2: // a memory
		err = r.limits()
	case 3: // a global: its type and mutability
		if err = r.valueType(); err == nil {
			_, err = r.byte()
		}
	default:
		err = errUnknown
	}
	return err
}

// checkElement checks an element segment, in any of its eight encodings
// (flags 0 to 7): an optional table index and offset expression, an
// element kind or reference type, and a vector of function indices
// (flags without bit 2) or of expressions.
func checkElement(r *reader) error {
	flags, err := r.uleb()
	if err != nil || flags > 7 {
		return errUnknown
	}
	if flags&2 != 0 && flags&1 == 0 { // an explicit table index
		if _, err := r.uleb(); err != nil {
			return err
		}
	}
	if flags&1 == 0 { // active: the offset expression
		if err := r.constExpr(); err != nil {
			return err
		}
	}
	if flags&3 != 0 { // the element kind or reference type
		if err := r.valueType(); err != nil {
			return err
		}
	}
	if flags&4 == 0 {
		return r.vector("function indices", func() error { _, err := r.uleb(); return err })
	}
	return r.vector("element expressions", r.constExpr)
}

// checkCode checks a function body: its size, and its locals' count.
func checkCode(r *reader) error {
	size, err := r.uleb()
	if err != nil {
		return err
	}
	if size > uint64(r.left()) {
		return fmt.Errorf("a function body of %d bytes declared at byte %d, %d left", size, r.off, r.left())
	}
	end := r.off + int(size)
	body := &reader{b: r.b[:end], off: r.off}
	var locals uint64
	err = body.vector("local declarations", func() error {
		n, err := body.uleb()
		if err != nil {
			return err
		}
		if locals += n; locals > MaxLocals {
			return fmt.Errorf("a function declares more than %d locals at byte %d", MaxLocals, body.off)
		}
		return body.valueType()
	})
	r.off = end
	return err
}

// checkData checks a data segment: an optional memory index and offset
// expression, then its bytes.
func checkData(r *reader) error {
	flags, err := r.uleb()
	if err != nil || flags > 2 {
		return errUnknown
	}
	if flags == 2 {
		if _, err := r.uleb(); err != nil {
			return err
		}
	}
	if flags != 1 {
		if err := r.constExpr(); err != nil {
			return err
		}
	}
	n, err := r.uleb()
	if err != nil {
		return err
	}
	return r.skip(n, "data segment")
}

// checkNames checks the name section's subsections: the module's name,
// the functions' names and the locals' names.
func checkNames(r *reader) error {
	for r.left() > 0 {
		id, _ := r.byte()
		size, err := r.uleb()
		if err != nil {
			return err
		}
		if size > uint64(r.left()) {
			return fmt.Errorf("name subsection %d of %d bytes declared at byte %d, %d left", id, size, r.off, r.left())
		}
		sub := &reader{b: r.b[:r.off+int(size)], off: r.off}
		r.off += int(size)
		nameMap := func() error {
			return sub.vector("names", func() error {
				if _, err := sub.uleb(); err != nil {
					return err
				}
				_, err := sub.name("name")
				return err
			})
		}
		switch id {
		case 0:
			_, err = sub.name("module name")
		case 1:
			err = nameMap()
		case 2:
			err = sub.vector("functions' local names", func() error {
				if _, err := sub.uleb(); err != nil {
					return err
				}
				return nameMap()
			})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// reader walks bytes b from off, which counts from the module's start.
type reader struct {
	b   []byte
	off int
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, fmt.Errorf("truncated at byte %d", r.off)
	}
	r.off++
	return r.b[r.off-1], nil
}

// uleb reads an unsigned LEB128 number of at most 64 bits.
func (r *reader) uleb() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		b, err := r.byte()
		if err != nil {
			return 0, errors.New("truncated or overlong LEB128 number")
		}
		v |= uint64(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("truncated or overlong LEB128 number")
}

// skip passes over n bytes, which must be there.
func (r *reader) skip(n uint64, what string) error {
	if n > uint64(r.left()) {
		return fmt.Errorf("%s of %d bytes declared at byte %d, %d left", what, n, r.off, r.left())
	}
	r.off += int(n)
	return nil
}

// name reads a length-prefixed name, which must be there.
func (r *reader) name(what string) (string, error) {
	n, err := r.uleb()
	if err != nil {
		return "", err
	}
	start := r.off
	if err := r.skip(n, what); err != nil {
		return "", err
	}
	return string(r.b[start:r.off]), nil
}

// vector reads a count of what (a plural), which the bytes left must be
// able to hold at a byte an item, and then each item with item.
func (r *reader) vector(what string, item func() error) error {
	at := r.off
	n, err := r.uleb()
	if err != nil {
		return err
	}
	if n > uint64(r.left()) {
		return fmt.Errorf("%d %s declared at byte %d, in %d bytes", n, what, at, r.left())
	}
	for range n {
		if err := item(); err != nil {
			return err
		}
	}
	return nil
}

// valueType reads a value or reference type: a byte, or a reference type
// prefix (0x63, 0x64) and its heap type.
func (r *reader) valueType() error {
	b, err := r.byte()
	if err == nil && (b == 0x63 || b == 0x64) {
		_, err = r.uleb() // a signed 33-bit heap type reads as well unsigned
	}
	return err
}

// limits reads a table's or memory's limits: flags, minimum, and the
// maximum when flags say so.
func (r *reader) limits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if _, err := r.uleb(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.uleb()
	}
	return err
}

// constExpr passes over a constant expression up to its end (0x0B): the
// constants, global.get, ref.null, ref.func, the extended-constant
// arithmetic and v128.const.
func (r *reader) constExpr() error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b:
			return nil
		case 0x41, 0x42, 0x23, 0xd2: // i32.const, i64.const, global.get, ref.func
			_, err = r.uleb()
		case 0x43:
			err = r.skip(4, "f32 constant")
		case 0x44:
			err = r.skip(8, "f64 constant")
		case 0xd0: // ref.null and its heap type
			err = r.valueType()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constants: add, sub, mul
		case 0xfd: // v128.const
			var sub uint64
			if sub, err = r.uleb(); err == nil && sub != 12 {
				return errUnknown
			}
			if err == nil {
				err = r.skip(16, "v128 constant")
			}
		default:
			return errUnknown
		}
		if err != nil {
			return err
		}
	}
}
