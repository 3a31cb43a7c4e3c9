package elfx

import (
	"debug/elf"
	"testing"

	"github.com/elfx/elfx/fixtures"
	"github.com/elfx/elfx/internal/readelf"
)

// lookupable reports whether the loader could bind a reference from
// another object to s, which is what a hash lookup must then find.
func lookupable(s *Symbol) bool {
	if !s.Defined() || s.Bind() == elf.STB_LOCAL {
		return false
	}
	if v := s.Visibility(); v == elf.STV_HIDDEN || v == elf.STV_INTERNAL {
		return false
	}
	if s.Value == 0 && s.Section != elf.SHN_ABS && s.Type() != elf.STT_TLS {
		return false
	}
	return 1<<s.Type()&allowedTypes != 0
}

// refTo is the reference that names exactly s.
func refTo(s *Symbol) SymbolRef {
	ref := SymbolRef{Name: s.Name}
	if s.Version != "" {
		ref.Version, ref.VersionHash, ref.VersionHidden = s.Version, SysVHash(s.Version), s.VersionIndex.IsHidden()
	}
	return ref
}

// TestLookupMatchesLinearScan looks up every defined dynamic symbol of
// every system library by name and version through the hash tables (GNU,
// and SysV too where a file has both) and checks the lookup lands on the
// symbol a linear scan found.
func TestLookupMatchesLinearScan(t *testing.T) {
	var paths []string
	for _, fx := range fixtures.Build(t).Fixtures {
		paths = append(paths, fx.Path)
	}
	if !testing.Short() {
		paths = append(paths, readelf.ListELF("/usr/lib/x86_64-linux-gnu")...)
	}
	var files, lookups, sysvLookups int
	for _, path := range paths {
		f, err := Open(path)
		if err != nil {
			t.Errorf("Open: %v", err)
			continue
		}
		syms, err := f.DynamicSymbols()
		if err != nil {
			t.Errorf("%s: DynamicSymbols: %v", path, err)
			f.Close()
			continue
		}
		tab, _ := f.symbols()
		tables := map[string]*symbolTable{}
		if tab.gnu != nil {
			tables["DT_GNU_HASH"] = &symbolTable{raw: tab.raw, count: tab.count, strtab: tab.strtab, versym: tab.versym, vers: tab.vers, gnu: tab.gnu}
		}
		if tab.sysv != nil {
			tables["DT_HASH"] = &symbolTable{raw: tab.raw, count: tab.count, strtab: tab.strtab, versym: tab.versym, vers: tab.vers, sysv: tab.sysv}
		}
		for hashName, ht := range tables {
			f.syms = ht
			for i := range syms {
				s := &syms[i]
				if !lookupable(s) {
					continue
				}
				lookups++
				if ht.sysv != nil {
					sysvLookups++
				}
				got, _, err := f.Lookup(refTo(s))
				if err != nil {
					t.Errorf("%s: Lookup(%s@%s) via %s: %v", path, s.Name, s.Version, hashName, err)
				} else if got != i {
					t.Errorf("%s: Lookup(%s@%s) via %s = symbol %d, linear scan found %d", path, s.Name, s.Version, hashName, got, i)
				}
			}
		}
		f.syms = tab
		files++
		f.Close()
	}
	t.Logf("%d files, %d lookups (%d through DT_HASH)", files, lookups, sysvLookups)
	if sysvLookups == 0 {
		t.Error("no lookup went through a DT_HASH table")
	}
}
