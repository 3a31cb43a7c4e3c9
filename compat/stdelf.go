package compat

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/elfx/elfx/elfx"
)

// checkHeaders is checkSections on the file at path.
func checkHeaders(path string) error {
	f, err := elfx.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return checkSections(f)
}

// checkSections checks what debug/elf and debug/buildinfo would read of
// f in 10 MiB chunks whatever the file's size (which makes a hostile file
// of a hundred bytes cost tens of megabytes), before they read it: that
// the program and section header tables and the section name table lie
// within the file (elfx checks them as it opens it and decodes the
// sections), that every section's bytes do, and that only debug sections
// are compressed.
func checkSections(f *elfx.File) error {
	path := f.Path()
	shs, err := f.SectionHeaders()
	if err != nil {
		return err
	}
	for i, sh := range shs {
		if sh.Type != elf.SHT_NOBITS && (sh.Offset > f.Size() || sh.Size > f.Size()-sh.Offset) {
			return fmt.Errorf("%s: section %s at offset %#x: %d bytes, past the end of the %d-byte file", path, sh.Name, sh.Offset, sh.Size, f.Size())
		}
		// debug/elf inflates a compressed section to the size its header
		// claims; linkers compress only debug sections, whose claims
		// checkDebugSizes bounds before they are read.
		if sh.Flags&elf.SHF_COMPRESSED != 0 && (i == f.ShStrNdx || !strings.HasPrefix(sh.Name, ".debug_")) {
			return fmt.Errorf("%s: section %s at offset %#x is compressed: only debug sections are", path, sh.Name, sh.Offset)
		}
	}
	return nil
}
