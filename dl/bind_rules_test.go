package dl_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/inspect"
)

// TestBindRules checks inspect.Bind against glibc's loader, one loader
// rule per subtest. Each scenario is built from the C sources in
// testdata/bind/<scenario> with the host compiler, states what the rule
// makes of its references, and then requires that Bind and the loader
// (dl.TraceBindings: LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes LD_BIND_NOW=1
// LD_DEBUG=bindings) agree on every lookup made by or resolved to one of
// the scenario's own objects. Where the loader's trace cannot show the
// difference (which version of a symbol an unversioned reference got,
// whose copy of a datum is used) the program is also run, and prints it.
func TestBindRules(t *testing.T) {
	cc := bindCompiler(t)

	t.Run("program_definition_interposes_on_library", func(t *testing.T) {
		f := newBindFixture(t, cc, "interpose")
		f.lib("liba.so", f.src("liba.c"))
		prog := f.prog("prog", "-rdynamic", f.src("prog.c"), "-la")
		c := f.check(prog, f.libPath())
		// liba calls its own foo through its PLT; the program, first in
		// the global scope, defines foo too and wins.
		c.want("liba.so", "foo", "", "prog")
		c.want("prog", "call_foo", "", "liba.so")
		f.wantOutput(prog, f.libPath(), "2")
	})

	t.Run("first_definition_in_link_map_order_wins", func(t *testing.T) {
		t.Run("DT_NEEDED_order", func(t *testing.T) {
			f := newBindFixture(t, cc, "order")
			f.lib("liba.so", f.src("liba.c"))
			f.lib("libb.so", f.src("libb.c"))
			prog := f.prog("prog", f.src("prog.c"), "-la", "-lb")
			c := f.check(prog, f.libPath())
			// Both define pick; liba comes first in DT_NEEDED order.
			c.want("prog", "pick", "", "liba.so")
			f.wantOutput(prog, f.libPath(), "a")
		})
		t.Run("breadth_first", func(t *testing.T) {
			f := newBindFixture(t, cc, "order")
			f.lib("libdeep.so", f.src("deep.c"))
			f.lib("libfirst.so", f.src("first.c"), "-ldeep")
			f.lib("libsecond.so", f.src("second.c"))
			prog := f.prog("bfsprog", "-Wl,-rpath-link,"+f.dir, f.src("bfsprog.c"), "-lfirst", "-lsecond")
			c := f.check(prog, f.libPath())
			// The link map is bfsprog, libfirst, libsecond, libc, libdeep:
			// libfirst's dependency libdeep comes after the program's own
			// dependencies, so libsecond's bfs wins.
			c.wantOrder("libfirst.so", "libsecond.so", "libdeep.so")
			c.want("bfsprog", "bfs", "", "libsecond.so")
			c.want("libfirst.so", "deep_fn", "", "libdeep.so")
			f.wantOutput(prog, f.libPath(), "s")
		})
	})

	t.Run("symbol_versions", func(t *testing.T) {
		f := newBindFixture(t, cc, "versions")
		// Consumers linked against three releases of libver (foo@@VERS_1
		// only; foo@VERS_1 and foo@@VERS_2; foo without versions), run
		// against the second (v2) or against one whose only foo is
		// foo@@VERS_2 (only). Every libver has the soname libver.so.
		f.lib("v1/libver.so", "-Wl,--version-script="+f.src("v1.map"), f.src("v1.c"))
		f.lib("v2/libver.so", "-Wl,--version-script="+f.src("v2.map"), f.src("v2.c"))
		f.lib("unversioned/libver.so", f.src("v1.c"))
		f.lib("only/libver.so", "-Wl,--version-script="+f.src("only.map"), f.src("only.c"))
		progV1 := f.prog("prog_v1", f.src("prog.c"), "-L"+f.path("v1"), "-lver")
		progV2 := f.prog("prog_v2", f.src("prog.c"), "-L"+f.path("v2"), "-lver")
		progUnversioned := f.prog("prog_unversioned", f.src("prog.c"), "-L"+f.path("unversioned"), "-lver")
		v2 := map[string]string{"LD_LIBRARY_PATH": f.path("v2")}

		t.Run("old_reference_binds_to_old_version", func(t *testing.T) {
			f := f.sub(t)
			c := f.check(progV1, v2)
			// Linked when only foo@@VERS_1 existed: the reference asks
			// for VERS_1 and gets the hidden foo@VERS_1.
			for _, b := range c.want("prog_v1", "foo", "VERS_1", "v2/libver.so") {
				wantDefVersion(t, b, "VERS_1")
			}
			f.wantOutput(progV1, v2, "1")
		})
		t.Run("new_reference_binds_to_default_version", func(t *testing.T) {
			f := f.sub(t)
			c := f.check(progV2, v2)
			for _, b := range c.want("prog_v2", "foo", "VERS_2", "v2/libver.so") {
				wantDefVersion(t, b, "VERS_2")
			}
			f.wantOutput(progV2, v2, "2")
		})
		t.Run("unversioned_reference_takes_oldest_version", func(t *testing.T) {
			f := f.sub(t)
			c := f.check(progUnversioned, v2)
			// check_match accepts, for a reference without a version,
			// a definition of version index 1 or 2 (the base or the
			// first version defined: foo@VERS_1), and passes over
			// foo@@VERS_2 (index 3). The trace does not name the
			// definition; the program's output does.
			for _, b := range c.want("prog_unversioned", "foo", "", "v2/libver.so") {
				wantDefVersion(t, b, "VERS_1")
			}
			f.wantOutput(progUnversioned, v2, "1")
		})
		t.Run("unversioned_reference_takes_the_only_version", func(t *testing.T) {
			f := f.sub(t)
			only := map[string]string{"LD_LIBRARY_PATH": f.path("only")}
			c := f.check(progUnversioned, only)
			// The only foo is foo@@VERS_2 (index 3): check_match passes
			// over it, but do_lookup_x takes it as the one versioned
			// definition seen (num_versions == 1).
			for _, b := range c.want("prog_unversioned", "foo", "", "only/libver.so") {
				wantDefVersion(t, b, "VERS_2")
			}
			f.wantOutput(progUnversioned, only, "2")
		})
	})

	t.Run("weak_undefined_reference_stays_zero", func(t *testing.T) {
		f := newBindFixture(t, cc, "weak")
		f.lib("libw.so", f.src("libw.c"))
		prog := f.prog("prog", f.src("prog.c"), "-lw")
		c := f.check(prog, f.libPath())
		// Nothing defines maybe: no binding, no error, on either side.
		for _, from := range []string{"prog", "libw.so"} {
			for _, b := range c.want(from, "maybe", "", "") {
				if !b.Weak || b.Unresolved() {
					t.Errorf("%s's reference to maybe (%s): Weak = %v, Unresolved() = %v; want a weak reference left at 0", from, b.Reloc, b.Weak, b.Unresolved())
				}
			}
		}
		f.wantOutput(prog, f.libPath(), "0")
	})

	t.Run("protected_definition", func(t *testing.T) {
		f := newBindFixture(t, cc, "protected")
		tlsLib := func(f *bindFixture) { f.lib("libprottls.so", "-O2", f.src("libprottls.c")) }
		goldLib := func(f *bindFixture) {
			f.requireGold()
			f.lib("libprot.so", "-fuse-ld=gold", "-Wa,-mrelax-relocations=no", f.src("libprot.c"))
		}

		t.Run("program_references_are_normal_library_references_protected", func(t *testing.T) {
			f := f.sub(t)
			goldLib(f)
			prog := f.prog("prog_pic", "-fPIC", f.src("prog_pic.c"), "-lprot")
			c := f.check(prog, f.libPath())
			// The program's GOT references are ordinary lookups; the
			// library's own references to its protected symbols are
			// the loader's "protected symbol" lookups, which end in
			// the library.
			for _, s := range []string{"counter", "pfunc"} {
				wantProtected(t, c.want("prog_pic", s, "", "libprot.so"), false)
				wantProtected(t, c.want("libprot.so", s, "", "libprot.so"), true)
			}
			f.wantOutput(prog, f.libPath(), "40 1 1")
		})
		t.Run("protected_data_is_not_interposed", func(t *testing.T) {
			f := f.sub(t)
			goldLib(f)
			prog := f.prog("prog_own", "-rdynamic", f.src("prog_own.c"), "-lprot")
			c := f.check(prog, f.libPath())
			// The program defines counter too, first in the scope; the
			// GLOB_DAT lookup finds it, but _dl_lookup_symbol_x's
			// protected rule keeps libprot's own definition, since a
			// PLT-class lookup finds a definition outside libprot.
			wantProtected(t, c.want("libprot.so", "counter", "", "libprot.so"), true)
			f.wantOutput(prog, f.libPath(), "1 0")
		})
		t.Run("protected_TLS_is_not_interposed", func(t *testing.T) {
			f := f.sub(t)
			tlsLib(f)
			prog := f.prog("prog_tls", "-rdynamic", f.src("prog_tls.c"), "-lprottls")
			c := f.check(prog, f.libPath())
			// DTPMOD64 and DTPOFF64 are PLT-class lookups: a protected
			// reference that finds another object keeps its own.
			wantProtected(t, c.want("libprottls.so", "ptls", "", "libprottls.so"), true)
			f.wantOutput(prog, f.libPath(), "3 0")
		})
		t.Run("canonical_PLT_entry_of_the_program_wins", func(t *testing.T) {
			f := f.sub(t)
			goldLib(f)
			prog := f.prog("prog_canon", "-no-pie", "-fno-pic", "-fuse-ld=gold", f.src("prog_canon.c"), "-lprot")
			c := f.check(prog, f.libPath())
			// libprot's GOT reference to its protected pfunc finds the
			// program's canonical PLT entry (undefined, nonzero value);
			// the PLT-class second lookup passes over that entry and
			// finds libprot itself, so the loader keeps the program's
			// entry, for pointer equality (and warns).
			wantProtected(t, c.want("libprot.so", "pfunc", "", "prog_canon"), true)
			c.want("prog_canon", "pfunc", "", "libprot.so")
			f.wantOutput(prog, f.libPath(), "40 1")
		})
	})

	t.Run("DT_SYMBOLIC_searches_the_object_first", func(t *testing.T) {
		// GNU ld resolves -Bsymbolic references to functions and data at
		// link time (a direct call; a RELATIVE GOT slot), leaving the
		// loader nothing to look up. It does keep general-dynamic TLS
		// relocations against the symbol, and those the loader looks up
		// in l_scope, which for a DT_SYMBOLIC object starts with the
		// object itself. (The same is true of STB_GNU_UNIQUE symbols;
		// see unique_symbol_first_definition_met.)
		f := newBindFixture(t, cc, "symbolic")
		libsym := f.lib("libsym.so", "-Wl,-Bsymbolic", f.src("libsym.c"))
		libsymf := f.lib("libsymf.so", "-Wl,-Bsymbolic-functions", f.src("libsym.c"))
		wantSymbolic(t, libsym, true)
		wantSymbolic(t, libsymf, false)

		t.Run("Bsymbolic", func(t *testing.T) {
			f := f.sub(t)
			prog := f.prog("prog_sym", "-rdynamic", f.src("prog.c"), "-lsym")
			c := f.check(prog, f.libPath())
			c.want("libsym.so", "tv", "", "libsym.so")
			c.wantNoLookup("libsym.so", "foo")
			c.wantNoLookup("libsym.so", "data")
			c.want("prog_sym", "use", "", "libsym.so")
			f.wantOutput(prog, f.libPath(), "7")
		})
		t.Run("Bsymbolic_functions_has_no_DT_SYMBOLIC", func(t *testing.T) {
			f := f.sub(t)
			prog := f.prog("prog_symf", "-rdynamic", f.src("prog.c"), "-lsymf")
			c := f.check(prog, f.libPath())
			c.wantNoLookup("libsymf.so", "foo")
			c.want("libsymf.so", "data", "", "prog_symf")
			c.want("libsymf.so", "tv", "", "prog_symf")
			f.wantOutput(prog, f.libPath(), "61")
		})
	})

	t.Run("copy_relocation_skips_the_executable", func(t *testing.T) {
		f := newBindFixture(t, cc, "copy")
		f.lib("libdata.so", f.src("libdata.c"))
		prog := f.prog("prog", "-no-pie", "-fno-pic", f.src("prog.c"), "-ldata")
		c := f.check(prog, f.libPath())
		// The program's COPY lookup passes over the program (which
		// defines the copy) and finds libdata; libdata's GOT reference
		// then binds to the program's copy.
		copies := 0
		for _, b := range c.want("prog", "shared_data", "", "libdata.so") {
			if b.Class == elfx.RelocCopy {
				copies++
			}
		}
		if copies != 1 {
			t.Errorf("Bind has %d R_X86_64_COPY lookups of shared_data from prog; want 1", copies)
		}
		c.want("libdata.so", "shared_data", "", "prog")
		f.wantOutput(prog, f.libPath(), "42 7 1")
	})

	t.Run("IFUNC_definition", func(t *testing.T) {
		f := newBindFixture(t, cc, "ifunc")
		f.lib("libifunc.so", f.src("libifunc.c"))
		prog := f.prog("prog", f.src("prog.c"), "-lifunc")
		c := f.check(prog, f.libPath())
		for _, b := range c.want("prog", "foo", "", "libifunc.so") {
			if typ := b.Def.Type(); typ != elf.STT_GNU_IFUNC {
				t.Errorf("prog's %s lookup of foo: definition of type %v; want STT_GNU_IFUNC", b.Reloc, typ)
			}
		}
		f.wantOutput(prog, f.libPath(), "8")
	})

	t.Run("LD_PRELOAD_comes_first", func(t *testing.T) {
		f := newBindFixture(t, cc, "preload")
		f.lib("liba.so", f.src("liba.c"))
		pre := f.lib("libpre.so", f.src("pre.c"))
		prog := f.prog("prog", f.src("prog.c"), "-la")
		t.Run("without", func(t *testing.T) {
			f := f.sub(t)
			c := f.check(prog, f.libPath())
			c.want("prog", "my_alloc", "", "liba.so")
			c.want("liba.so", "my_alloc", "", "liba.so")
			f.wantOutput(prog, f.libPath(), "0")
		})
		t.Run("with", func(t *testing.T) {
			f := f.sub(t)
			env := map[string]string{"LD_LIBRARY_PATH": f.dir, "LD_PRELOAD": pre}
			c := f.check(prog, env)
			c.wantOrder("libpre.so", "liba.so")
			c.want("prog", "my_alloc", "", "libpre.so")
			c.want("liba.so", "my_alloc", "", "libpre.so")
			f.wantOutput(prog, env, "1")
		})
	})

	t.Run("missing_symbol_is_undefined", func(t *testing.T) {
		f := newBindFixture(t, cc, "missing")
		f.lib("libmiss.so", f.src("libmiss.c"))
		prog := f.prog("prog", f.src("prog.c"), "-lmiss", "-Wl,--allow-shlib-undefined")
		c := f.check(prog, f.libPath())
		for _, b := range c.want("libmiss.so", "undefined_fn", "", "") {
			if !b.Unresolved() {
				t.Errorf("libmiss.so's %s lookup of undefined_fn: Unresolved() = false; want true", b.Reloc)
			}
		}
		c.wantUndefined("libmiss.so", "undefined_fn")
	})

	t.Run("unique_symbol_first_definition_met", func(t *testing.T) {
		f := newBindFixture(t, cc, "unique")
		build := func(f *bindFixture, dir string, aFlags, bFlags []string, needed ...string) (prog string, env map[string]string) {
			b := append([]string{"-DUNIQUE_VALUE=2", "-DGETTER=get_b", f.src("unique.c")}, bFlags...)
			f.lib(dir+"/libub.so", b...)
			a := append([]string{"-DUNIQUE_VALUE=1", "-DGETTER=get_a", f.src("unique.c"), "-L" + f.path(dir)}, aFlags...)
			f.lib(dir+"/libua.so", a...)
			if needed == nil {
				needed = []string{"-lua", "-lub"}
			}
			prog = f.prog(dir+"/prog", slices.Concat([]string{"-fPIC", f.src("prog.c"), "-L" + f.path(dir)}, needed)...)
			return prog, map[string]string{"LD_LIBRARY_PATH": f.path(dir)}
		}
		wantUnique := func(c *bindCheck, dir, to string) {
			for _, from := range []string{"libua.so", "libub.so", "prog"} {
				for _, b := range c.want(dir+"/"+from, "shared_u", "", dir+"/"+to) {
					if b.Def.Bind() != elfx.STB_GNU_UNIQUE {
						c.t.Errorf("%s's lookup of shared_u: definition bound %v; want STB_GNU_UNIQUE", from, b.Def.Bind())
					}
				}
			}
		}

		t.Run("first_in_scope", func(t *testing.T) {
			f := f.sub(t)
			prog, env := build(f, "scope", nil, nil)
			c := f.check(prog, env)
			// Every lookup walks the global scope and meets libua first.
			wantUnique(c, "scope", "libua.so")
			f.wantOutput(prog, env, "1 1 1")
		})
		t.Run("first_relocated", func(t *testing.T) {
			f := f.sub(t)
			// libub is DT_SYMBOLIC and relocated before libua (the
			// loader relocates dependencies before their users and,
			// among unrelated objects, the last loaded first): its
			// lookup of shared_u starts with itself and enters its own
			// definition in the unique table. libua's lookup then finds
			// libua's definition first in the global scope but gets the
			// table's.
			prog, env := build(f, "symbolic", nil, []string{"-Wl,-Bsymbolic"})
			c := f.check(prog, env)
			wantUnique(c, "symbolic", "libub.so")
			f.wantOutput(prog, env, "2 2 2")
		})
		t.Run("dependencies_relocated_first", func(t *testing.T) {
			f := f.sub(t)
			// The program needs libub then libua, and libua needs libub;
			// both are DT_SYMBOLIC. The link map is prog, libub, libua,
			// but glibc 2.36 relocates in the reverse of l_initfini, the
			// dependency-sorted order (elf/rtld.c, dl_main: "struct
			// link_map *l = main_map->l_initfini[i]"), where libua, which
			// needs libub, comes before it: libub is relocated first,
			// and its own definition is the one the process meets first.
			prog, env := build(f, "deps", []string{"-Wl,-Bsymbolic", "-lub"}, []string{"-Wl,-Bsymbolic"}, "-lub", "-lua")
			c := f.check(prog, env)
			c.wantOrder("deps/libub.so", "deps/libua.so")
			wantUnique(c, "deps", "libub.so")
			f.wantOutput(prog, env, "2 2 2")
		})
	})
}

// bindCompiler returns the C compiler command (go env CC, else cc), or
// skips the test when the machine cannot build and run the fixtures.
func bindCompiler(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the fixtures are x86-64 glibc programs; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	if _, err := os.Stat(bindInterpreter); err != nil {
		t.Skipf("no glibc loader to compare with: %v", err)
	}
	cc := ""
	if goCmd, err := exec.LookPath("go"); err == nil {
		if out, err := exec.Command(goCmd, "env", "CC").Output(); err == nil {
			cc = strings.TrimSpace(string(out))
		}
	}
	if cc == "" {
		cc = "cc"
	}
	args := strings.Fields(cc)
	if _, err := exec.LookPath(args[0]); err != nil {
		t.Skipf("no C compiler to build the fixtures: %v", err)
	}
	return args
}

const bindInterpreter = "/lib64/ld-linux-x86-64.so.2"

// bindFixture is one scenario's sources and build directory.
type bindFixture struct {
	t        *testing.T
	cc       []string
	scenario string
	srcDir   string
	dir      string
}

func newBindFixture(t *testing.T, cc []string, scenario string) *bindFixture {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("testdata", "bind", scenario))
	if err != nil {
		t.Fatal(err)
	}
	return &bindFixture{t: t, cc: cc, scenario: scenario, srcDir: src, dir: t.TempDir()}
}

// sub is f for the subtest t.
func (f *bindFixture) sub(t *testing.T) *bindFixture {
	g := *f
	g.t = t
	return &g
}

// src is the path of one of the scenario's source files.
func (f *bindFixture) src(name string) string { return filepath.Join(f.srcDir, name) }

// path is the path of a file in the build directory.
func (f *bindFixture) path(rel string) string { return filepath.Join(f.dir, rel) }

// libPath is the environment that finds the libraries built in the
// build directory.
func (f *bindFixture) libPath() map[string]string {
	return map[string]string{"LD_LIBRARY_PATH": f.dir}
}

// lib builds the shared library out (relative to the build directory),
// whose soname is its file name.
func (f *bindFixture) lib(out string, args ...string) string {
	return f.build(out, append([]string{"-fPIC", "-shared", "-Wl,-soname," + filepath.Base(out)}, args...))
}

// prog builds the program out.
func (f *bindFixture) prog(out string, args ...string) string { return f.build(out, args) }

// build runs the compiler with -o out and args, with the build directory
// searched for libraries and every library linked recorded in DT_NEEDED.
func (f *bindFixture) build(out string, args []string) string {
	f.t.Helper()
	p := f.path(out)
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		f.t.Fatal(err)
	}
	argv := slices.Concat(f.cc[1:], []string{"-o", p, "-Wl,--no-as-needed", "-L" + f.dir}, args)
	cmd := exec.Command(f.cc[0], argv...)
	cmd.Dir = f.dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		f.t.Fatalf("%s %s: %v\n%s", f.cc[0], strings.Join(argv, " "), err, msg)
	}
	return p
}

// requireGold skips t when the compiler cannot link with gold.
func (f *bindFixture) requireGold() {
	t := f.t
	t.Helper()
	probe := filepath.Join(t.TempDir(), "probe.so")
	argv := slices.Concat(f.cc[1:], []string{"-fuse-ld=gold", "-shared", "-o", probe, "-x", "c", "/dev/null"})
	if msg, err := exec.Command(f.cc[0], argv...).CombinedOutput(); err != nil {
		t.Skipf("needs the gold linker, which keeps GOT relocations against protected symbols: %v\n%s", err, msg)
	}
}

// wantOutput runs prog with env and checks what it prints.
func (f *bindFixture) wantOutput(prog string, env map[string]string, want string) {
	f.t.Helper()
	cmd := exec.Command(prog)
	cmd.Env = bindEnvList(env)
	out, err := cmd.Output()
	if err != nil {
		f.t.Errorf("running %s: %v", f.name(prog), err)
		return
	}
	if got := strings.TrimSpace(string(out)); got != want {
		f.t.Errorf("%s prints %q; want %q", f.name(prog), got, want)
	}
}

// own reports whether path is one of the scenario's objects.
func (f *bindFixture) own(path string) bool { return strings.HasPrefix(path, f.dir+"/") }

// name is how the tests name an object: its path in the build directory,
// or the path as the loader spells it for the system's objects.
func (f *bindFixture) name(path string) string {
	if rel, ok := strings.CutPrefix(path, f.dir+"/"); ok {
		return rel
	}
	return path
}

func bindEnvList(env map[string]string) []string {
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	slices.Sort(list)
	return list
}

// bindLookup is one symbol lookup, by Bind or the loader, with objects named
// as bindFixture.name names them ("" for To when nothing was found).
type bindLookup struct {
	From, Symbol, Version, To string
	Protected                 bool
}

func (l bindLookup) String() string {
	s := l.From + ": " + l.Symbol
	if l.Version != "" {
		s += " [" + l.Version + "]"
	}
	if l.To == "" {
		s += " -> (none)"
	} else {
		s += " -> " + l.To
	}
	if l.Protected {
		s += " (protected)"
	}
	return s
}

// bindCheck is what Bind predicts and what the loader did for one run of
// a program.
type bindCheck struct {
	t        *testing.T
	f        *bindFixture
	prog     string
	bindings *inspect.Bindings
	log      *dl.DebugLog
	// predicted and observed are the lookups that involve the scenario's
	// objects, Bind's with a definition found and the loader's.
	predicted, observed []bindLookup
}

// check predicts prog's bindings with inspect.Bind, traces them under the
// loader with the same environment, and requires the two to agree on
// every lookup made by or resolved to the scenario's objects, and on the
// strong references nothing defines.
func (f *bindFixture) check(prog string, env map[string]string) *bindCheck {
	t := f.t
	t.Helper()
	lm, err := inspect.Resolve(prog, inspect.Config{Env: env})
	if err != nil {
		t.Fatalf("inspect.Resolve(%s): %v", f.name(prog), err)
	}
	bs, err := inspect.Bind(lm)
	if err != nil {
		t.Fatalf("inspect.Bind(%s): %v", f.name(prog), err)
	}
	for _, err := range bs.Errors {
		t.Errorf("inspect.Bind(%s): %v", f.name(prog), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	log, err := dl.TraceBindings(ctx, prog, bindEnvList(env))
	if err != nil {
		t.Fatalf("dl.TraceBindings(%s): %v", f.name(prog), err)
	}
	c := &bindCheck{t: t, f: f, prog: prog, bindings: bs, log: log}

	var predictedUndef, observedUndef []bindLookup
	for i := range bs.Bindings {
		b := &bs.Bindings[i]
		if b.Internal {
			continue // rtld's own lookups (its allocator) come after trace mode stops
		}
		switch {
		case b.To != nil && (f.own(b.From.Path) || f.own(b.To.Path)):
			c.predicted = append(c.predicted, bindLookup{f.name(b.From.Path), b.Symbol, b.Version, f.name(b.To.Path), b.Protected})
		case b.Unresolved() && f.own(b.From.Path):
			predictedUndef = append(predictedUndef, bindLookup{From: f.name(b.From.Path), Symbol: b.Symbol, Version: b.Version})
		}
	}
	for _, b := range log.Bindings {
		from, to := c.loaderPath(b.From), c.loaderPath(b.To)
		if isVDSOName(from) || isVDSOName(to) || !f.own(from) && !f.own(to) {
			continue
		}
		c.observed = append(c.observed, bindLookup{f.name(from), b.Symbol, b.Version, f.name(to), b.Protected})
	}
	for _, u := range log.Undefined {
		if from := c.loaderPath(u.Object); f.own(from) {
			observedUndef = append(observedUndef, bindLookup{From: f.name(from), Symbol: u.Symbol, Version: u.Version})
		}
	}
	// The loader prints one line per lookup, except that a relocation
	// naming the same symbol as the one before it reuses that lookup
	// (l_lookup_cache in RESOLVE_MAP): compare the distinct lookups.
	compareLookups(t, "lookups", c.predicted, c.observed)
	compareLookups(t, "undefined symbols", predictedUndef, observedUndef)
	if t.Failed() {
		t.Logf("link map: %s", c.linkMap())
	}
	return c
}

// loaderPath maps the loader's name for the program to its path.
func (c *bindCheck) loaderPath(p string) string {
	if p == "<main program>" || p == "" {
		return c.prog
	}
	return p
}

func isVDSOName(p string) bool { return strings.HasPrefix(filepath.Base(p), "linux-vdso.so") }

func compareLookups(t *testing.T, what string, predicted, observed []bindLookup) {
	t.Helper()
	p, o := distinctLookups(predicted), distinctLookups(observed)
	for _, l := range p {
		if !slices.Contains(o, l) {
			t.Errorf("%s: Bind predicts %v; the loader does not", what, l)
		}
	}
	for _, l := range o {
		if !slices.Contains(p, l) {
			t.Errorf("%s: the loader does %v; Bind does not predict it", what, l)
		}
	}
}

func distinctLookups(ls []bindLookup) []bindLookup {
	var out []bindLookup
	for _, l := range ls {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

func (c *bindCheck) linkMap() string {
	var names []string
	for _, o := range c.bindings.LinkMap.Objects {
		names = append(names, c.f.name(o.Path))
	}
	return strings.Join(names, ", ")
}

// want states that every lookup of symbol (with version; "" for an
// unversioned reference) from the object from binds to the object to, or
// to nothing when to is "", both in Bind's prediction and in the
// loader's trace, and returns Bind's bindings for it.
func (c *bindCheck) want(from, symbol, version, to string) []*inspect.Binding {
	c.t.Helper()
	var bs []*inspect.Binding
	for i := range c.bindings.Bindings {
		b := &c.bindings.Bindings[i]
		if c.f.name(b.From.Path) != from || b.Symbol != symbol || b.Version != version {
			continue
		}
		bs = append(bs, b)
		got := ""
		if b.To != nil {
			got = c.f.name(b.To.Path)
		}
		if got != to {
			c.t.Errorf("Bind: %s's %s lookup of %s binds to %q; want %q", from, b.Reloc, bindSymbolVersion(symbol, version), got, to)
		}
	}
	if len(bs) == 0 {
		c.t.Errorf("Bind makes no lookup of %s from %s; want one binding to %q", bindSymbolVersion(symbol, version), from, to)
	}
	seen := false
	for _, l := range c.observed {
		if l.From != from || l.Symbol != symbol || l.Version != version {
			continue
		}
		seen = true
		if l.To != to {
			c.t.Errorf("loader: %s's lookup of %s binds to %q; want %q", from, bindSymbolVersion(symbol, version), l.To, to)
		}
	}
	if !seen && to != "" {
		c.t.Errorf("loader: no binding of %s from %s; want one to %q", bindSymbolVersion(symbol, version), from, to)
	}
	return bs
}

// wantNoLookup states that neither Bind nor the loader looks symbol up for
// from: the linker bound the reference.
func (c *bindCheck) wantNoLookup(from, symbol string) {
	c.t.Helper()
	for i := range c.bindings.Bindings {
		if b := &c.bindings.Bindings[i]; c.f.name(b.From.Path) == from && b.Symbol == symbol {
			c.t.Errorf("Bind: %s makes a %s lookup of %s; want none (bound by the linker)", from, b.Reloc, symbol)
		}
	}
	for _, l := range c.observed {
		if l.From == from && l.Symbol == symbol {
			c.t.Errorf("loader: %v; want no lookup (bound by the linker)", l)
		}
	}
}

// wantUndefined states that the loader reports symbol as undefined for
// from (Bind's side is compared in check).
func (c *bindCheck) wantUndefined(from, symbol string) {
	c.t.Helper()
	for _, u := range c.log.Undefined {
		if c.f.name(c.loaderPath(u.Object)) == from && u.Symbol == symbol {
			return
		}
	}
	c.t.Errorf("loader: no undefined-symbol report for %s from %s; got %+v", symbol, from, c.log.Undefined)
}

// wantOrder states that the named objects come in this order in Bind's
// link map.
func (c *bindCheck) wantOrder(names ...string) {
	c.t.Helper()
	var got []string
	for _, o := range c.bindings.LinkMap.Objects {
		if slices.Contains(names, c.f.name(o.Path)) {
			got = append(got, c.f.name(o.Path))
		}
	}
	if !slices.Equal(got, names) {
		c.t.Errorf("link map order of %v: %v (link map %s)", names, got, c.linkMap())
	}
}

func bindSymbolVersion(symbol, version string) string {
	if version == "" {
		return symbol
	}
	return symbol + "@" + version
}

func wantDefVersion(t *testing.T, b *inspect.Binding, version string) {
	t.Helper()
	if b.To == nil {
		return
	}
	if b.Def.Version != version {
		t.Errorf("%s's lookup of %s: definition of version %q; want %q", filepath.Base(b.From.Path), bindSymbolVersion(b.Symbol, b.Version), b.Def.Version, version)
	}
}

func wantProtected(t *testing.T, bs []*inspect.Binding, protected bool) {
	t.Helper()
	for _, b := range bs {
		if b.Protected != protected {
			t.Errorf("%s's %s lookup of %s: Protected = %v; want %v", filepath.Base(b.From.Path), b.Reloc, b.Symbol, b.Protected, protected)
		}
	}
}

// wantSymbolic checks that a library has DT_SYMBOLIC (or DF_SYMBOLIC), or
// not.
func wantSymbolic(t *testing.T, path string, want bool) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sym, err := f.DynValue(elf.DT_SYMBOLIC)
	if err != nil {
		t.Fatal(err)
	}
	flags, err := f.DynValue(elf.DT_FLAGS)
	if err != nil {
		t.Fatal(err)
	}
	got := len(sym) > 0 || len(flags) > 0 && elf.DynFlag(flags[0])&elf.DF_SYMBOLIC != 0
	if got != want {
		t.Errorf("%s: DT_SYMBOLIC = %v; want %v", filepath.Base(path), got, want)
	}
}
