package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/safeopen"
)

// The ld.so.cache layouts, from glibc's sysdeps/generic/dl-cache.h.
const (
	cacheMagicOld = "ld.so-1.7.0"          // CACHEMAGIC
	cacheMagicNew = "glibc-ld.so.cache1.1" // CACHEMAGIC_VERSION_NEW

	cacheOldHeader = 16 // struct cache_file: magic[11], pad, nlibs
	cacheOldEntry  = 12 // struct file_entry: flags, key, value
	cacheNewHeader = 48 // struct cache_file_new
	cacheNewEntry  = 24 // struct file_entry_new: file_entry, osversion, hwcap

	// cacheNewAlign is __alignof__ (struct cache_file_new) on the 64-bit
	// machines; ldconfig pads the old table to an even count so that the
	// 32-bit alignment lands on the same offset.
	cacheNewAlign = 8

	cacheExtMagic   = 0xeaa42174 // cache_extension_magic, (uint32_t) -358342284
	cacheExtHeader  = 8          // struct cache_extension: magic, count
	cacheExtSection = 16         // struct cache_extension_section
	cacheExtGen     = 0          // cache_extension_tag_generator
	cacheExtHWCaps  = 1          // cache_extension_tag_glibc_hwcaps

	// The hwcap field of an entry in a glibc-hwcaps subdirectory:
	// DL_CACHE_HWCAP_EXTENSION, the ISA level in the next 10 bits of the
	// upper half, and the index into the glibc-hwcaps section below.
	cacheHWCapExtension = 1 << 62
	cacheISALevelMask   = 1<<10 - 1
)

// Flags of a cache entry (glibc's sysdeps/generic/ldconfig.h): the library
// type in the low byte and the ABI in the next.
const (
	CacheFlagTypeMask     = 0x00ff
	CacheFlagELF          = 0x0001
	CacheFlagELFLibc5     = 0x0002
	CacheFlagELFLibc6     = 0x0003
	CacheFlagRequiredMask = 0xff00

	CacheFlagSPARCLib64          = 0x0100
	CacheFlagIA64Lib64           = 0x0200
	CacheFlagX8664Lib64          = 0x0300
	CacheFlagS390Lib64           = 0x0400
	CacheFlagPowerPCLib64        = 0x0500
	CacheFlagMIPS64LibN32        = 0x0600
	CacheFlagMIPS64LibN64        = 0x0700
	CacheFlagX8664LibX32         = 0x0800
	CacheFlagARMLibHF            = 0x0900
	CacheFlagAArch64Lib64        = 0x0a00
	CacheFlagARMLibSF            = 0x0b00
	CacheFlagMIPSLib32NaN2008    = 0x0c00
	CacheFlagMIPS64LibN32NaN2008 = 0x0d00
	CacheFlagMIPS64LibN64NaN2008 = 0x0e00
	CacheFlagRISCVFloatABISoft   = 0x0f00
	CacheFlagRISCVFloatABIDouble = 0x1000
)

// CacheFormat says which tables an ld.so.cache holds, named as
// ldconfig's -c option names them.
type CacheFormat int

const (
	CacheOld    CacheFormat = 1 + iota // only the libc5-era "ld.so-1.7.0" table
	CacheCompat                        // the old table with the new one hidden in its string table
	CacheNew                           // only the "glibc-ld.so.cache1.1" table
)

func (f CacheFormat) String() string {
	switch f {
	case CacheOld:
		return "old"
	case CacheCompat:
		return "compat"
	case CacheNew:
		return "new"
	}
	return fmt.Sprintf("CacheFormat(%d)", int(f))
}

// A Cache is a decoded ld.so.cache.
type Cache struct {
	Format    CacheFormat
	ByteOrder binary.ByteOrder

	// Entries is the table the loader searches: the new one when the file
	// has it, else the old one. It is in file order, which is the order
	// ldconfig sorted it in and the order search_cache bisects.
	Entries []CacheEntry

	// HWCapsSubdirs are the glibc-hwcaps subdirectory names of the
	// extension section, in file order; an entry's HWCap indexes them.
	// They are the strings the loader and ldconfig -p read: relative to
	// the start of the file, which in the compat layout is not where
	// ldconfig 2.36 wrote them, so there they are fragments of other
	// strings and match no subdirectory.
	HWCapsSubdirs []string

	// Generator is the extension section naming the ldconfig that wrote
	// the file, or "".
	Generator string
}

// A CacheEntry maps a soname to the path of a library.
type CacheEntry struct {
	Name  string // the soname, the key the loader searches for
	Path  string
	Flags int32 // CacheFlag*: library type and ABI

	// OSVersion and HWCap are only in the new format. OSVersion is unused
	// since glibc 2.35. HWCap holds either legacy hwcap and platform bits
	// (libraries in tls, x86_64, haswell... subdirectories) or, for a
	// library in a glibc-hwcaps subdirectory, the extension marker, the
	// ISA level the library needs and the subdirectory's index.
	OSVersion uint32
	HWCap     uint64

	// HWCapsSubdir is the glibc-hwcaps subdirectory HWCap designates when
	// HasHWCapsSubdir is set: the entry has the extension marker and its
	// index is within HWCapsSubdirs.
	HWCapsSubdir    string
	HasHWCapsSubdir bool
}

// ISALevel is the x86 ISA level ldconfig recorded for a glibc-hwcaps entry
// (0 baseline, 1 x86-64-v2, 2 x86-64-v3, 3 x86-64-v4), from the library's
// GNU_PROPERTY_X86_ISA_1_NEEDED note.
func (e *CacheEntry) ISALevel() int {
	return int(e.HWCap>>32) & cacheISALevelMask
}

// hwcapExtension reports whether hwcap marks an entry of a glibc-hwcaps
// subdirectory: only the marker set in the upper half besides the ISA
// level (dl_cache_hwcap_extension). Older loaders take the marker for an
// unsupported legacy hwcap bit and skip the entry.
func hwcapExtension(hwcap uint64) bool {
	return (hwcap>>32)&^cacheISALevelMask == cacheHWCapExtension>>32
}

// CacheFlagsString renders flags the way ldconfig -p does ("libc6,x86-64").
func CacheFlagsString(flags int32) string {
	var s string
	switch flags & CacheFlagTypeMask {
	case 0:
		s = "libc4"
	case CacheFlagELF:
		s = "ELF"
	case CacheFlagELFLibc5:
		s = "libc5"
	case CacheFlagELFLibc6:
		s = "libc6"
	default:
		s = "unknown"
	}
	switch req := flags & CacheFlagRequiredMask; req {
	case 0:
	case CacheFlagSPARCLib64, CacheFlagS390Lib64, CacheFlagPowerPCLib64, CacheFlagMIPS64LibN64:
		s += ",64bit"
	case CacheFlagIA64Lib64:
		s += ",IA-64"
	case CacheFlagX8664Lib64:
		s += ",x86-64"
	case CacheFlagMIPS64LibN32:
		s += ",N32"
	case CacheFlagX8664LibX32:
		s += ",x32"
	case CacheFlagARMLibHF:
		s += ",hard-float"
	case CacheFlagAArch64Lib64:
		s += ",AArch64"
	case CacheFlagARMLibSF, CacheFlagRISCVFloatABISoft:
		s += ",soft-float"
	case CacheFlagMIPSLib32NaN2008:
		s += ",nan2008"
	case CacheFlagMIPS64LibN32NaN2008:
		s += ",N32,nan2008"
	case CacheFlagMIPS64LibN64NaN2008:
		s += ",64bit,nan2008"
	case CacheFlagRISCVFloatABIDouble:
		s += ",double-float"
	default:
		s += fmt.Sprintf(",%d", req)
	}
	return s
}

// ReadCache reads and decodes an ld.so.cache file.
func ReadCache(path string) (*Cache, error) {
	data, err := safeopen.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseCache(path, data)
}

// ParseCache decodes an ld.so.cache image in any of the three formats.
//
// It rejects with a *elfx.FormatError what _dl_load_cache_lookup ignores
// (a bad magic, a table larger than the file, a byte order marked invalid
// or mixed), and also what the loader would read past the end of the file
// for or what makes ldconfig -p fail: a string without a NUL inside the
// file, a compat-layout new table that overruns the file (the loader does
// not check it), a malformed extension directory. Every lookup in a Cache
// it returns is therefore well defined.
func ParseCache(data []byte) (*Cache, error) {
	return parseCache("", data)
}

type cacheParser struct {
	file string
	data []byte
	bo   binary.ByteOrder
}

func (p *cacheParser) errorf(off uint64, format string, args ...any) error {
	return &elfx.FormatError{File: p.file, Off: off, Msg: "ld.so.cache: " + fmt.Sprintf(format, args...)}
}

func (p *cacheParser) u32(off uint64) uint32 { return p.bo.Uint32(p.data[off:]) }

// cstring returns the NUL-terminated string at off.
func (p *cacheParser) cstring(off uint64, what string, at uint64) (string, error) {
	if off >= uint64(len(p.data)) {
		return "", p.errorf(at, "%s offset %#x is outside the %d-byte file", what, off, len(p.data))
	}
	n := bytes.IndexByte(p.data[off:], 0)
	if n < 0 {
		return "", p.errorf(at, "%s at %#x has no terminating NUL before the end of the file", what, off)
	}
	return string(p.data[off : off+uint64(n)]), nil
}

// cacheByteOrders are tried in turn when a file does not say its byte
// order: the old format never does, the new one not when an ldconfig
// older than 2.33 wrote it.
var cacheByteOrders = [...]binary.ByteOrder{binary.LittleEndian, binary.BigEndian}

func parseCache(file string, data []byte) (*Cache, error) {
	p := &cacheParser{file: file, data: data}
	size := uint64(len(data))
	switch {
	case bytes.HasPrefix(data, []byte(cacheMagicNew)):
		if size <= cacheNewHeader {
			return nil, p.errorf(0, "new-format header truncated: file has %d bytes", size)
		}
		bo, err := p.newByteOrder(0)
		if err != nil {
			return nil, err
		}
		p.bo = bo
		if n := p.u32(20); uint64(n) > (size-cacheNewHeader)/cacheNewEntry {
			return nil, p.errorf(20, "%d new-format entries do not fit in a %d-byte file", n, size)
		}
		return p.parseNew(0, CacheNew)
	case bytes.HasPrefix(data, []byte(cacheMagicOld)):
		if size <= cacheOldHeader {
			return nil, p.errorf(0, "old-format header truncated: file has %d bytes", size)
		}
		return p.parseOld()
	}
	return nil, p.errorf(0, "not an ld.so.cache: no %q or %q magic", cacheMagicOld, cacheMagicNew)
}

// newByteOrder decodes the endianness flags of the new header at base
// (cache_file_new_matches_endian): 2 little, 3 big, 1 invalid, 0 unknown.
// For 0 it takes the order in which the entry count fits the file.
func (p *cacheParser) newByteOrder(base uint64) (binary.ByteOrder, error) {
	switch flags := p.data[base+28] & 3; flags {
	case 2:
		return binary.LittleEndian, nil
	case 3:
		return binary.BigEndian, nil
	case 1:
		return nil, p.errorf(base+28, "new-format header marks the cache invalid (endianness flags 1)")
	}
	avail := (uint64(len(p.data)) - base - cacheNewHeader) / cacheNewEntry
	for _, bo := range cacheByteOrders {
		if uint64(bo.Uint32(p.data[base+20:])) <= avail {
			return bo, nil
		}
	}
	return binary.LittleEndian, nil // the caller reports the count
}

// parseOld decodes a file that starts with the old table, looking for the
// new table after it as _dl_load_cache_lookup does.
func (p *cacheParser) parseOld() (*Cache, error) {
	size := uint64(len(p.data))
	var lastErr error
	for _, bo := range cacheByteOrders {
		p.bo = bo
		nlibs := uint64(p.u32(12))
		if nlibs > (size-cacheOldHeader)/cacheOldEntry {
			lastErr = p.errorf(12, "%d old-format entries do not fit in a %d-byte file", nlibs, size)
			continue
		}
		off := (cacheOldHeader + nlibs*cacheOldEntry + cacheNewAlign - 1) &^ (cacheNewAlign - 1)
		if size < off+cacheNewHeader || !bytes.Equal(p.data[off:off+uint64(len(cacheMagicNew))], []byte(cacheMagicNew)) {
			return p.parseOldTable(nlibs)
		}
		nbo, err := p.newByteOrder(off)
		if err != nil {
			return nil, err
		}
		if nbo != bo {
			return nil, p.errorf(off+28, "new-format header's byte order differs from the old table's")
		}
		// The loader trusts this count; check it.
		if n := uint64(p.u32(off + 20)); n > (size-off-cacheNewHeader)/cacheNewEntry {
			return nil, p.errorf(off+20, "%d new-format entries do not fit in a %d-byte file", n, size)
		}
		return p.parseNew(off, CacheCompat)
	}
	return nil, lastErr
}

// parseOldTable decodes the old table alone. Its strings are relative to
// the end of the table.
func (p *cacheParser) parseOldTable(nlibs uint64) (*Cache, error) {
	strtab := cacheOldHeader + nlibs*cacheOldEntry
	tabSize := uint64(len(p.data)) - strtab
	c := &Cache{Format: CacheOld, ByteOrder: p.bo, Entries: make([]CacheEntry, nlibs)}
	for i := range c.Entries {
		at := cacheOldHeader + uint64(i)*cacheOldEntry
		e := &c.Entries[i]
		e.Flags = int32(p.u32(at))
		var err error
		if e.Name, err = p.tableString(strtab, tabSize, p.u32(at+4), "entry key", at); err != nil {
			return nil, err
		}
		if e.Path, err = p.tableString(strtab, tabSize, p.u32(at+8), "entry value", at); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// tableString reads string idx of the table at strtab, which the loader
// bounds by tabSize (_dl_cache_verify_ptr).
func (p *cacheParser) tableString(strtab, tabSize uint64, idx uint32, what string, at uint64) (string, error) {
	if uint64(idx) >= tabSize {
		return "", p.errorf(at, "%s %#x is outside the string table", what, idx)
	}
	return p.cstring(strtab+uint64(idx), what, at)
}

// parseNew decodes the new table whose header is at base. Its strings are
// relative to base, and bounded by the file size (search_cache is passed
// cachesize, not what is left after base).
func (p *cacheParser) parseNew(base uint64, format CacheFormat) (*Cache, error) {
	size := uint64(len(p.data))
	nlibs := uint64(p.u32(base + 20))
	c := &Cache{Format: format, ByteOrder: p.bo, Entries: make([]CacheEntry, nlibs)}
	if err := p.parseExtensions(c, p.u32(base+32), base+32); err != nil {
		return nil, err
	}
	for i := range c.Entries {
		at := base + cacheNewHeader + uint64(i)*cacheNewEntry
		e := &c.Entries[i]
		e.Flags = int32(p.u32(at))
		var err error
		if e.Name, err = p.tableString(base, size, p.u32(at+4), "entry key", at); err != nil {
			return nil, err
		}
		if e.Path, err = p.tableString(base, size, p.u32(at+8), "entry value", at); err != nil {
			return nil, err
		}
		e.OSVersion = p.u32(at + 12)
		e.HWCap = p.bo.Uint64(p.data[at+16:])
		if hwcapExtension(e.HWCap) && uint64(uint32(e.HWCap)) < uint64(len(c.HWCapsSubdirs)) {
			e.HWCapsSubdir, e.HasHWCapsSubdir = c.HWCapsSubdirs[uint32(e.HWCap)], true
		}
	}
	return c, nil
}

// parseExtensions decodes the extension directory at the file offset
// extOff, following cache_extension_load: the last section of a tag wins,
// unknown tags are skipped, and a glibc-hwcaps section that is empty or
// misaligned is dropped rather than rejected (cache_extension_verify).
func (p *cacheParser) parseExtensions(c *Cache, extOff uint32, at uint64) error {
	if extOff == 0 {
		return nil
	}
	size := uint64(len(p.data))
	off := uint64(extOff)
	if off%4 != 0 {
		return p.errorf(at, "extension directory offset %#x is not a multiple of 4", off)
	}
	if off+cacheExtHeader > size {
		return p.errorf(at, "extension directory at %#x is past the end of the %d-byte file", off, size)
	}
	if m := p.u32(off); m != cacheExtMagic {
		return p.errorf(off, "extension directory has magic %#x, want %#x", m, uint32(cacheExtMagic))
	}
	count := uint64(p.u32(off + 4))
	if count > (size-off-cacheExtHeader)/cacheExtSection {
		return p.errorf(off+4, "%d extension sections do not fit in the file", count)
	}
	var sections [2]struct {
		off, size uint64
		ok        bool
	}
	for i := uint64(0); i < count; i++ {
		sat := off + cacheExtHeader + i*cacheExtSection
		tag := p.u32(sat)
		soff, ssize := uint64(p.u32(sat+8)), uint64(p.u32(sat+12))
		if soff+ssize > size {
			return p.errorf(sat, "extension section %d (%#x bytes at %#x) is past the end of the file", tag, ssize, soff)
		}
		if tag < uint32(len(sections)) {
			sections[tag].off, sections[tag].size, sections[tag].ok = soff, ssize, true
		}
	}
	if s := sections[cacheExtGen]; s.ok {
		c.Generator = string(p.data[s.off : s.off+s.size])
	}
	s := sections[cacheExtHWCaps]
	if !s.ok || s.size == 0 || s.off%4 != 0 || s.size%4 != 0 {
		return nil
	}
	c.HWCapsSubdirs = make([]string, s.size/4)
	for i := range c.HWCapsSubdirs {
		sat := s.off + uint64(i)*4
		name, err := p.cstring(uint64(p.u32(sat)), "glibc-hwcaps subdirectory name", sat)
		if err != nil {
			return err
		}
		c.HWCapsSubdirs[i] = name
	}
	return nil
}

// A Target is what _dl_load_cache_lookup consults besides the name: the
// loader's ABI, which selects the entries it accepts, and what it knows of
// the CPU.
type Target struct {
	Machine elf.Machine
	Class   elf.Class

	// HWCaps are the active glibc-hwcaps subdirectories, best first, as
	// ActiveHWCaps returns them.
	HWCaps []string

	// ISALevel is the x86 ISA level of the CPU (1 baseline, up to 4 for
	// x86-64-v4), against which the level ldconfig stored for a
	// glibc-hwcaps entry is checked. 0 derives it from HWCaps.
	ISALevel int

	// HWCap and Platform are the legacy capabilities: GLRO(dl_hwcap)
	// masked by the hwcap mask, in the machine's bit numbering, and
	// GLRO(dl_platform) ("haswell", "i686", or the kernel's AT_PLATFORM).
	HWCap    uint64
	Platform string
}

// Lookup returns the path _dl_load_cache_lookup returns for name, or ""
// when the cache has none, for a loader of the given machine and class
// searching the given glibc-hwcaps subdirectories (best first). The x86
// ISA level is the highest the subdirectories imply, and the legacy
// capabilities those every CPU of the machine has (x86-64: the x86_64
// hwcap bit and no platform; i386: SSE2 and i686); LookupTarget takes
// them explicitly, HostTarget gives this CPU's.
func (c *Cache) Lookup(name string, machine elf.Machine, class elf.Class, hwcaps []string) string {
	t := Target{Machine: machine, Class: class, HWCaps: hwcaps}
	t.HWCap, t.Platform = baseLegacyCaps(machine)
	return c.LookupTarget(name, t)
}

// baseLegacyCaps are the legacy capabilities every CPU of an x86 machine
// gives its loader: the x86_64 bit and the kernel's AT_PLATFORM, which
// names no platform bit, or SSE2 and the i686 platform.
func baseLegacyCaps(machine elf.Machine) (uint64, string) {
	switch machine {
	case elf.EM_X86_64:
		return hwcapX86_64, "x86_64"
	case elf.EM_386:
		return hwcapX86SSE2, "i686"
	}
	return 0, ""
}

// LookupTarget is Lookup for a loader described in full.
//
// It follows search_cache in glibc 2.36's elf/dl-cache.c step by step:
//   - bisect the table with _dl_cache_libcmp, then step back to the first
//     entry of the name and scan forward while the name matches;
//   - skip entries whose flags the loader's _dl_cache_check_flags rejects
//     (x86-64 accepts only 0x303, libc6 with FLAG_X8664_LIB64; i386 and
//     other 32-bit ports accept 1 and 3);
//   - in the new format, an entry of a glibc-hwcaps subdirectory is taken
//     only if its ISA level is one the CPU has
//     (dl_cache_hwcap_isa_level_compatible, x86 only) and its subdirectory
//     is active; among those the best priority wins
//     (glibc_hwcaps_priorities_init merges the sorted extension names
//     with the sorted active ones);
//   - ldconfig sorts those entries before the plain ones, so the first
//     plain entry ends the scan once anything was found; a plain entry with
//     legacy hwcap bits the CPU lacks (hwcap_exclude), or a platform bit
//     other than the CPU's, is skipped;
//   - a plain entry whose flags are the loader's _DL_CACHE_DEFAULT_ID ends
//     the scan.
//
// The old format has none of the hwcap fields, so there the first entry
// with the default flags wins, even one ldconfig took from a glibc-hwcaps
// subdirectory, and one accepted with other flags (libc5-era 1 on i386)
// is replaced by any later accepted entry.
func (c *Cache) LookupTarget(name string, t Target) string {
	if i := bytes.IndexByte([]byte(name), 0); i >= 0 {
		name = name[:i] // the loader's name is a C string
	}
	abi := cacheABIFor(t.Machine, t.Class)
	cmp := func(s string) int { return cacheLibcmp(name, s, abi.signedChar) }
	newFormat := c.Format != CacheOld

	// search_cache's hwcap_exclude and platform bit.
	exclude := ^(t.HWCap | abi.platformMask | 1<<63)
	platform := ^uint64(0)
	if bit := abi.platformBit(t.Platform); bit >= 0 {
		platform = 1 << bit
	}
	var prio []uint32 // glibc_hwcaps_priorities, computed on first use
	isa := x86ISABits(t.ISALevel, t.HWCaps)

	left, right := 0, len(c.Entries)-1
	for left <= right {
		middle := (left + right) / 2
		res := cmp(c.Entries[middle].Name)
		if res != 0 {
			if res < 0 {
				left = middle + 1
			} else {
				right = middle - 1
			}
			continue
		}
		left = middle
		for middle > 0 && cmp(c.Entries[middle-1].Name) == 0 {
			middle--
		}
		var best string
		found := false
		var bestPrio uint32
		for ; middle <= right; middle++ {
			e := &c.Entries[middle]
			if middle > left && cmp(e.Name) != 0 {
				break
			}
			if !abi.accepts(e.Flags) {
				continue
			}
			named := false
			if newFormat {
				named = hwcapExtension(e.HWCap)
				if named && abi.x86ISA && !x86ISACompatible(e.HWCap, isa) {
					continue
				}
				if !named && found {
					break
				}
				if e.HWCap&exclude != 0 && !named {
					continue
				}
				if abi.platformMask != 0 && e.HWCap&abi.platformMask != 0 && e.HWCap&abi.platformMask != platform {
					continue
				}
				if named {
					if prio == nil {
						prio = hwcapsPriorities(c.HWCapsSubdirs, t.HWCaps)
					}
					p := uint32(0)
					if i := uint32(e.HWCap); uint64(i) < uint64(len(prio)) {
						p = prio[i]
					}
					if p == 0 || (found && p >= bestPrio) {
						continue
					}
					bestPrio = p
				}
			}
			best, found = e.Path, true
			if !named && e.Flags == abi.defaultID {
				break
			}
		}
		return best
	}
	return ""
}

// hwcapsPriorities gives each glibc-hwcaps name of the cache the priority
// of the active subdirectory of that name (1 best, 0 inactive), merging the
// two lists by name as glibc_hwcaps_priorities_init does. The cache's list
// is sorted by ldconfig; the active one is sorted here with a stable sort
// (sort_priorities_by_name), so of a name given twice the better priority
// counts. Empty names are skipped, as _dl_hwcaps_split skips them.
func hwcapsPriorities(names, active []string) []uint32 {
	type prio struct {
		name string
		p    uint32
	}
	var right []prio
	for _, a := range active {
		if a == "" {
			continue
		}
		right = append(right, prio{a, uint32(len(right) + 1)})
		for j := len(right) - 1; j > 0 && right[j].name < right[j-1].name; j-- {
			right[j], right[j-1] = right[j-1], right[j]
		}
	}
	result := make([]uint32, len(names))
	l, r := 0, 0
	for l < len(names) && r < len(right) {
		switch {
		case names[l] == right[r].name:
			result[l] = right[r].p
			l++
			r++
		case names[l] < right[r].name:
			l++
		default:
			r++
		}
	}
	return result
}

// cacheLibcmp is _dl_cache_libcmp: bytes compared one by one, except that
// runs of digits compare as numbers, so libfoo.so.10 sorts after
// libfoo.so.9. A digit sorts after any other byte. The arithmetic is the C
// code's: int accumulators that wrap, and bytes that are signed chars on
// the machines where char is signed.
func cacheLibcmp(s1, s2 string, signedChar bool) int {
	at := func(s string, i int) int32 {
		if i >= len(s) {
			return 0
		}
		if signedChar {
			return int32(int8(s[i]))
		}
		return int32(s[i])
	}
	isDigit := func(c int32) bool { return c >= '0' && c <= '9' }
	i, j := 0, 0
	for at(s1, i) != 0 {
		c1, c2 := at(s1, i), at(s2, j)
		switch {
		case isDigit(c1):
			if !isDigit(c2) {
				return 1
			}
			var v1, v2 int32
			for ; isDigit(at(s1, i)); i++ {
				v1 = v1*10 + at(s1, i) - '0'
			}
			for ; isDigit(at(s2, j)); j++ {
				v2 = v2*10 + at(s2, j) - '0'
			}
			if v1 != v2 {
				return int(v1 - v2)
			}
		case isDigit(c2):
			return -1
		case c1 != c2:
			return int(c1 - c2)
		default:
			i++
			j++
		}
	}
	return int(at(s1, i) - at(s2, j))
}

// A cacheABI is what a loader build takes from its dl-cache.h and
// dl-procinfo.h.
type cacheABI struct {
	accept     []int32 // flags _dl_cache_check_flags accepts
	defaultID  int32   // _DL_CACHE_DEFAULT_ID: flags that end the scan
	x86ISA     bool    // the x86 dl_cache_hwcap_isa_level_compatible
	signedChar bool

	// platformMask is _DL_HWCAP_PLATFORM when _DL_PLATFORMS_COUNT is not
	// 0; platforms names the bits from firstPlatform on.
	platformMask  uint64
	firstPlatform int
	platforms     []string
}

func (a *cacheABI) accepts(flags int32) bool {
	for _, f := range a.accept {
		if flags == f {
			return true
		}
	}
	return false
}

// platformBit is _dl_string_platform: the hwcap bit of a platform name, or
// -1 for a name the loader does not know.
func (a *cacheABI) platformBit(name string) int {
	for i, p := range a.platforms {
		if p == name {
			return a.firstPlatform + i
		}
	}
	return -1
}

// Legacy x86 hwcap bits (sysdeps/x86/dl-hwcap.h).
const (
	hwcapX86SSE2     = 1 << 0
	hwcapX86_64      = 1 << 1
	hwcapX86AVX512   = 1 << 2
	x86FirstPlatform = 48 // _DL_FIRST_PLATFORM
)

// cacheABIFor returns the cache ABI of the loader for machine and class.
// Where the ELF header alone does not name the ABI the Debian port's is
// taken: ARM hard-float, MIPS o32 or n64 with legacy NaN, RISC-V
// double-float. Ports without a dl-cache.h of their own use the generic
// check, flags 1 or 3.
func cacheABIFor(m elf.Machine, c elf.Class) cacheABI {
	const libc6 = CacheFlagELFLibc6
	is64 := c == elf.ELFCLASS64
	only := func(id int32) cacheABI { return cacheABI{accept: []int32{id}, defaultID: id} }
	a := cacheABI{accept: []int32{CacheFlagELF, libc6}, defaultID: libc6, signedChar: true}
	switch {
	case m == elf.EM_X86_64 && is64:
		a = only(libc6 | CacheFlagX8664Lib64)
	case m == elf.EM_X86_64:
		a = only(libc6 | CacheFlagX8664LibX32)
	case m == elf.EM_AARCH64:
		a = only(libc6 | CacheFlagAArch64Lib64)
	case m == elf.EM_ARM:
		a.accept = []int32{libc6 | CacheFlagARMLibHF, libc6}
	case m == elf.EM_IA_64:
		a = only(libc6 | CacheFlagIA64Lib64)
	case m == elf.EM_MIPS && is64:
		a = only(libc6 | CacheFlagMIPS64LibN64)
	case m == elf.EM_PPC64:
		a = only(libc6 | CacheFlagPowerPCLib64)
	case m == elf.EM_S390 && is64:
		a = only(libc6 | CacheFlagS390Lib64)
	case (m == elf.EM_SPARCV9 || m == elf.EM_SPARC) && is64:
		a = only(libc6 | CacheFlagSPARCLib64)
	case m == elf.EM_RISCV:
		a = only(libc6 | CacheFlagRISCVFloatABIDouble)
	}
	switch m {
	case elf.EM_X86_64:
		a.x86ISA = true
		a.platformMask, a.firstPlatform = 0xf<<x86FirstPlatform, x86FirstPlatform+2
		a.platforms = []string{"haswell", "xeon_phi"}
	case elf.EM_386:
		a.x86ISA = true
		a.platformMask, a.firstPlatform = 0x3<<x86FirstPlatform, x86FirstPlatform
		a.platforms = []string{"i586", "i686"}
	case elf.EM_AARCH64, elf.EM_ARM, elf.EM_PPC, elf.EM_PPC64, elf.EM_S390, elf.EM_RISCV:
		a.signedChar = false
	}
	switch m {
	case elf.EM_PPC, elf.EM_PPC64:
		a.platformMask = 0xffff << 32
	case elf.EM_S390:
		a.platformMask = 0x7ff << 32
	case elf.EM_ALPHA, elf.EM_MIPS:
		a.platformMask = ^uint64(0)
	}
	return a
}

// x86ISABits is cpu_features->isa_1 for an ISA level: the
// GNU_PROPERTY_X86_ISA_1_* bits of that level and those below it. Level 0
// takes the highest x86-64-vN among the active glibc-hwcaps subdirectories,
// which the loader derives from the same ISA level.
func x86ISABits(level int, hwcaps []string) uint32 {
	if level == 0 {
		level = 1
		for _, h := range hwcaps {
			level = max(level, x86LevelOf(h))
		}
	}
	level = min(max(level, 0), 32)
	return uint32(uint64(1)<<level - 1)
}

// x86ISACompatible is dl_cache_hwcap_isa_level_compatible. The shift count
// is what x86 hardware uses, the low five bits of the stored level.
func x86ISACompatible(hwcap uint64, isa uint32) bool {
	bit := uint32(1) << ((hwcap >> 32) & cacheISALevelMask & 31)
	return bit&isa == bit
}
