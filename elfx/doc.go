// Package elfx reads the dynamic-linking view of ELF files: the program
// headers, the PT_DYNAMIC array and everything it points at (dynamic symbols,
// GNU and SysV hash tables, symbol versions, relocations), notes and the
// per-machine meaning of relocation types.
//
// It reads a file the way the dynamic loader does, through the program
// headers and the addresses in .dynamic, so it gives the same answers on a file
// whose section headers are gone. Every offset, address and count taken from
// the file is checked against the file's size before it is used: malformed
// input yields a *FormatError, never a panic or an allocation larger than the
// file.
//
// The types and constants of debug/elf are reused wherever they exist.
package elfx
