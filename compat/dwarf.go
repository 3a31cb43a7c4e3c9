package compat

import (
	"debug/dwarf"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// abiTypes is what the debug information says of a library's exports:
// each function's parameters and result, each data object's type.
type abiTypes struct {
	funcs map[string]*dwarf.FuncType
	vars  map[string]dwarf.Type
	// handedOut are the structures some exported function returns a
	// pointer to: the library allocates them.
	handedOut map[string]bool
}

// debugRoot is where distributions install separate debug files.
const debugRoot = "/usr/lib/debug"

// debugFile finds the file holding the debug information of ef, whose
// sections f holds: ef itself when it has a .debug_info section, else the
// separate file its build ID names under /usr/lib/debug/.build-id, else
// the one its .gnu_debuglink names next to it, in its .debug directory or
// under /usr/lib/debug, as gdb looks; "" when there is none.
func debugFile(ef *elfx.File, f *elf.File) string {
	path := ef.Path()
	if f.Section(".debug_info") != nil {
		return path
	}
	var candidates []string
	if id, err := ef.BuildID(); err == nil && len(id) > 2 {
		candidates = append(candidates, filepath.Join(debugRoot, ".build-id", id[:2], id[2:]+".debug"))
	}
	if s := f.Section(".gnu_debuglink"); s != nil {
		if b, err := s.Data(); err == nil {
			if name, _, ok := strings.Cut(string(b), "\x00"); ok && name != "" {
				dir := filepath.Dir(path)
				candidates = append(candidates, filepath.Join(dir, name), filepath.Join(dir, ".debug", name), filepath.Join(debugRoot, dir, name))
			}
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c
		}
	}
	return ""
}

// readABITypes reads the DWARF of ef, or of its separate debug file; nil
// when there is none. Only external functions and variables are kept; a
// name defined twice (C has one definition) keeps the first.
func readABITypes(ef *elfx.File) (*abiTypes, error) {
	path := ef.Path()
	if err := checkSections(ef); err != nil {
		return nil, err
	}
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the sections, for debug information: %w", path, err)
	}
	defer f.Close()
	if dbg := debugFile(ef, f); dbg == "" {
		return nil, nil
	} else if dbg != path {
		if err := checkHeaders(dbg); err != nil {
			return nil, err
		}
		if f, err = elf.Open(dbg); err != nil {
			return nil, fmt.Errorf("%s: reading the sections, for debug information: %w", dbg, err)
		}
		defer f.Close()
		path = dbg
	}
	if err := checkDebugSizes(path, f); err != nil {
		return nil, err
	}
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: debug information: %w", path, err)
	}
	t := &abiTypes{funcs: map[string]*dwarf.FuncType{}, vars: map[string]dwarf.Type{}, handedOut: map[string]bool{}}
	r := &entryReader{Reader: d.Reader()}
	for _, name := range []string{".debug_info", ".zdebug_info"} {
		if s := f.Section(name); s != nil {
			r.left = max(r.left, s.Size) // checkDebugSizes read a .zdebug section's size
		}
	}
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: debug information: %w", path, err)
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagSubprogram && e.Tag != dwarf.TagVariable {
			continue
		}
		if ext, _ := e.Val(dwarf.AttrExternal).(bool); !ext {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if ln, ok := e.Val(dwarf.AttrLinkageName).(string); ok {
			name = ln
		}
		if name == "" {
			continue
		}
		if e.Tag == dwarf.TagVariable {
			if off, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok && t.vars[name] == nil {
				if ty, err := d.Type(off); err == nil {
					t.vars[name] = ty
				}
			}
			continue
		}
		if _, seen := t.funcs[name]; seen {
			r.SkipChildren()
			continue
		}
		ft, err := funcType(d, r, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		t.funcs[name] = ft
		if p, ok := strip(ft.ReturnType).(*dwarf.PtrType); ok {
			if s, ok := strip(p.Type).(*dwarf.StructType); ok {
				t.handedOut[s.StructName] = true
			}
		}
	}
	return t, nil
}

// maxDebugExpansion bounds the size the debug sections of a file may
// claim, decompressed, as a multiple of the file's size. DWARF compresses
// 3 to 10 times; a compression bomb claims a thousand, which debug/elf
// would allocate.
const maxDebugExpansion = 32

// checkDebugSizes refuses a file whose debug sections claim more than
// maxDebugExpansion times its size, before debug/elf reads them.
func checkDebugSizes(path string, f *elf.File) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	limit := maxDebugExpansion * uint64(st.Size())
	var total uint64
	for _, s := range f.Sections {
		if s.Type == elf.SHT_NOBITS || !strings.HasPrefix(s.Name, ".debug_") && !strings.HasPrefix(s.Name, ".zdebug_") {
			continue
		}
		s.Open() // a .zdebug section's size is known once its header is read
		if total += min(s.Size, limit+1); total > limit {
			return fmt.Errorf("%s: debug information: %s at offset %#x claims %d bytes, which with the other debug sections is more than %d times the file's %d bytes",
				path, s.Name, s.Offset, s.Size, maxDebugExpansion, st.Size())
		}
	}
	return nil
}

// entryReader is a dwarf.Reader that gives at most left entries, the size
// of .debug_info: every entry takes at least a byte of it, and on a
// malformed unit debug/dwarf's reader can return null entries forever.
type entryReader struct {
	*dwarf.Reader
	left uint64
}

func (r *entryReader) Next() (*dwarf.Entry, error) {
	if r.left == 0 {
		return nil, errors.New("more entries than .debug_info has bytes: a malformed unit")
	}
	r.left--
	return r.Reader.Next()
}

// funcType builds a subprogram's type from its entry and its
// DW_TAG_formal_parameter children.
func funcType(d *dwarf.Data, r *entryReader, e *dwarf.Entry) (*dwarf.FuncType, error) {
	ft := &dwarf.FuncType{}
	if off, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
		ty, err := d.Type(off)
		if err != nil {
			return nil, err
		}
		ft.ReturnType = ty
	}
	if !e.Children {
		return ft, nil
	}
	for depth := 1; depth > 0; {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, errors.New("debug information ends inside a subprogram")
		}
		switch {
		case c.Tag == 0:
			depth--
			continue
		case depth == 1 && c.Tag == dwarf.TagFormalParameter:
			if off, ok := c.Val(dwarf.AttrType).(dwarf.Offset); ok {
				ty, err := d.Type(off)
				if err != nil {
					return nil, err
				}
				ft.ParamType = append(ft.ParamType, ty)
			}
		case depth == 1 && c.Tag == dwarf.TagUnspecifiedParameters:
			ft.ParamType = append(ft.ParamType, &dwarf.DotDotDotType{})
		}
		if c.Children {
			depth++
		}
	}
	return ft, nil
}

// strip removes typedefs and qualifiers, which do not change the ABI.
func strip(t dwarf.Type) dwarf.Type {
	for {
		switch u := t.(type) {
		case *dwarf.TypedefType:
			t = u.Type
		case *dwarf.QualType:
			t = u.Type
		default:
			return t
		}
	}
}

// typePath is the way from an export to a type, built as the comparison
// descends and spelled out only for a difference: spelling every step
// would cost as much as the pointer chains are deep.
type typePath struct {
	parent *typePath
	step   string
}

func (p *typePath) with(step string) *typePath { return &typePath{p, step} }

func (p *typePath) String() string {
	var steps []string
	for ; p != nil; p = p.parent {
		steps = append(steps, p.step)
	}
	slices.Reverse(steps)
	return strings.Join(steps, "")
}

// typeDiff is one difference between two versions of a type, with the
// path that leads to it from the export.
type typeDiff struct {
	path     *typePath
	detail   string
	appended bool   // a member added after the old ones, the old ones unchanged
	through  string // the structure grown, when appended
	pointer  bool   // reached through a pointer
}

// typeComparer compares types of two libraries, each pair once: debug/dwarf
// gives one value per type, so the pairs seen make the cost linear in the
// debug information however the types point at each other.
type typeComparer struct {
	seen map[[2]dwarf.Type]bool
}

// compare lists the differences of old and new that matter to code built
// against old; path names where they are.
func (c *typeComparer) compare(old, new dwarf.Type, at *typePath, pointer bool) []typeDiff {
	old, new = strip(old), strip(new)
	if old == nil || new == nil {
		if old != new {
			return []typeDiff{{path: at, detail: fmt.Sprintf("%s -> %s", typeName(old), typeName(new)), pointer: pointer}}
		}
		return nil
	}
	key := [2]dwarf.Type{old, new}
	if c.seen[key] {
		return nil
	}
	c.seen[key] = true
	if reflect.TypeOf(old) != reflect.TypeOf(new) {
		return []typeDiff{{path: at, detail: fmt.Sprintf("%s -> %s", typeName(old), typeName(new)), pointer: pointer}}
	}
	switch o := old.(type) {
	case *dwarf.PtrType:
		return c.compare(o.Type, new.(*dwarf.PtrType).Type, at.with(" -> *"), true)
	case *dwarf.StructType:
		return c.compareStruct(o, new.(*dwarf.StructType), at, pointer)
	case *dwarf.EnumType:
		return compareEnum(o, new.(*dwarf.EnumType), at, pointer)
	case *dwarf.ArrayType:
		n := new.(*dwarf.ArrayType)
		if o.Count != n.Count {
			return []typeDiff{{path: at, detail: fmt.Sprintf("array of %d -> %d elements", o.Count, n.Count), pointer: pointer, appended: n.Count > o.Count}}
		}
		return c.compare(o.Type, n.Type, at.with(" -> []"), pointer)
	case *dwarf.FuncType:
		return c.compareFunc(o, new.(*dwarf.FuncType), at)
	}
	if old.Size() != new.Size() || old.String() != new.String() {
		return []typeDiff{{path: at, detail: fmt.Sprintf("%s -> %s", typeName(old), typeName(new)), pointer: pointer}}
	}
	return nil
}

func (c *typeComparer) compareStruct(o, n *dwarf.StructType, at *typePath, pointer bool) []typeDiff {
	at = at.with(" -> " + typeName(o))
	if o.Incomplete || n.Incomplete {
		return nil // an opaque type: only the library sees inside
	}
	var diffs []typeDiff
	for _, of := range o.Field {
		nf := field(n, of.Name)
		if nf == nil {
			diffs = append(diffs, typeDiff{path: at, detail: fmt.Sprintf("member %q removed", of.Name), pointer: pointer})
			continue
		}
		if of.ByteOffset != nf.ByteOffset {
			diffs = append(diffs, typeDiff{path: at, detail: fmt.Sprintf("member %q offset %d -> %d", of.Name, of.ByteOffset, nf.ByteOffset), pointer: pointer})
		}
		diffs = append(diffs, c.compare(of.Type, nf.Type, at.with(" member "+strconv.Quote(of.Name)), pointer)...)
	}
	if o.ByteSize != n.ByteSize && len(diffs) == 0 {
		var added []string
		for _, nf := range n.Field {
			if field(o, nf.Name) == nil {
				added = append(added, nf.Name)
			}
		}
		diffs = append(diffs, typeDiff{path: at, appended: true, through: o.StructName, pointer: pointer,
			detail: fmt.Sprintf("size %d -> %d (members %s appended)", o.ByteSize, n.ByteSize, strings.Join(added, ", "))})
	}
	return diffs
}

func field(s *dwarf.StructType, name string) *dwarf.StructField {
	for _, f := range s.Field {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func compareEnum(o, n *dwarf.EnumType, at *typePath, pointer bool) []typeDiff {
	at = at.with(" -> " + typeName(o))
	var diffs []typeDiff
	for _, ov := range o.Val {
		found := false
		for _, nv := range n.Val {
			if nv.Name == ov.Name {
				found = true
				if nv.Val != ov.Val {
					diffs = append(diffs, typeDiff{path: at, detail: fmt.Sprintf("%s = %d -> %d", ov.Name, ov.Val, nv.Val), pointer: pointer})
				}
			}
		}
		if !found {
			diffs = append(diffs, typeDiff{path: at, detail: fmt.Sprintf("%s removed", ov.Name), pointer: pointer})
		}
	}
	return diffs
}

// compareFunc compares signatures: parameters by position, then the
// result.
func (c *typeComparer) compareFunc(o, n *dwarf.FuncType, at *typePath) []typeDiff {
	var diffs []typeDiff
	if len(o.ParamType) != len(n.ParamType) {
		diffs = append(diffs, typeDiff{path: at, detail: fmt.Sprintf("%d parameters -> %d", len(o.ParamType), len(n.ParamType))})
	}
	for i := range min(len(o.ParamType), len(n.ParamType)) {
		diffs = append(diffs, c.compare(o.ParamType[i], n.ParamType[i], at.with(" parameter "+strconv.Itoa(i+1)), false)...)
	}
	return append(diffs, c.compare(o.ReturnType, n.ReturnType, at.with(" result"), false)...)
}

// typeName spells a type as C does, "void" for none, an enum by its
// name rather than its values.
func typeName(t dwarf.Type) string {
	switch e := t.(type) {
	case nil:
		return "void"
	case *dwarf.EnumType:
		if e.EnumName != "" {
			return "enum " + e.EnumName
		}
	}
	return t.String()
}

// diffTypes compares the signatures and data types of the exports both
// libraries define and adds the differences that break old callers. A
// structure that only grew at its end breaks callers when they allocate
// it: when it is passed or returned by value, or reached through a
// pointer the library never hands out (no exported function returns one).
func (r *DiffReport) diffTypes(old, nw *abiTypes, exports []string) {
	c := &typeComparer{seen: map[[2]dwarf.Type]bool{}}
	for _, name := range exports {
		var diffs []typeDiff
		switch {
		case old.funcs[name] != nil && nw.funcs[name] != nil:
			diffs = c.compareFunc(old.funcs[name], nw.funcs[name], &typePath{step: name + "()"})
		case old.vars[name] != nil && nw.vars[name] != nil:
			for _, d := range c.compare(old.vars[name], nw.vars[name], &typePath{step: name}, false) {
				// A data object that only grew is a size change: it
				// breaks the programs that copied it (SizeChanged).
				kind := TypeLayoutChanged
				if d.appended && !d.pointer {
					kind = SizeChanged
				}
				r.add(Change{Kind: kind, Symbol: name, Breaking: true, Detail: d.path.String() + ": " + d.detail})
			}
			continue
		}
		for _, d := range diffs {
			breaking := true
			why := ""
			if d.appended && d.pointer {
				if nw.handedOut[d.through] {
					breaking, why = false, fmt.Sprintf("; the library allocates struct %s (an exported function returns a pointer to one), so callers' old-sized view of its leading members still holds", d.through)
				} else {
					why = fmt.Sprintf("; callers allocate struct %s (no exported function hands one out), with the old size", d.through)
				}
			}
			r.add(Change{Kind: TypeLayoutChanged, Symbol: name, Breaking: breaking, Detail: d.path.String() + ": " + d.detail + why})
		}
	}
}
