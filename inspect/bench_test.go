package inspect

import (
	"io/fs"
	"os"
	"os/exec"
	"testing"

	"github.com/elfx/elfx/elfx"
	"github.com/elfx/elfx/internal/testelf"
)

// BenchmarkResolveUsrBin resolves every dynamic ELF file of /usr/bin with
// one Resolver per op, as `elfx deps /usr/bin` does: each library, each
// directory listing and ld.so.cache are read once per op however many
// programs need them, so an op is the cold cost of the whole directory.
// It reports the programs per op and the link-map entries per op, and
// files/s, the programs resolved a second.
func BenchmarkResolveUsrBin(b *testing.B) {
	paths := testelf.Dynamic(b, "/usr/bin")
	b.ReportAllocs()
	var objects, missing int
	for b.Loop() {
		objects, missing = 0, 0
		rv := NewResolver(Config{})
		for _, p := range paths {
			lm, err := rv.Resolve(p)
			if err != nil {
				continue
			}
			objects += len(lm.Objects)
			for _, o := range lm.Objects {
				if !o.Found() {
					missing++
				}
			}
		}
	}
	b.ReportMetric(float64(len(paths)), "programs/op")
	b.ReportMetric(float64(objects), "objects/op")
	b.ReportMetric(float64(missing), "missing/op")
	b.ReportMetric(float64(len(paths))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkBindLargest predicts the bindings of the program of /usr/bin
// with the largest link map, and times in the same run the loader doing
// the same work for real (LD_TRACE_LOADED_OBJECTS=1 LD_WARN=yes
// LD_BIND_NOW=1: it maps and relocates the whole link map without running
// main). It reports the lookups per op and loader-x, Bind's time over
// the loader's (goal: at most 2). An op is a cold Resolve and Bind:
// files opened, symbol tables read, every relocation looked up.
func BenchmarkBindLargest(b *testing.B) {
	needX86Loader(b)
	var prog string
	most := 0
	for _, p := range testelf.Dynamic(b, "/usr/bin") {
		st, err := os.Stat(p)
		if err != nil || st.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			continue // the loader ignores LD_* variables for these
		}
		if lm, err := Resolve(p, Config{}); err == nil && len(lm.Objects) > most {
			prog, most = p, len(lm.Objects)
		}
	}
	if prog == "" {
		b.Skip("no dynamic program in /usr/bin")
	}
	loader := testelf.MedianRun(b, 9, func() error {
		cmd := exec.Command(prog)
		cmd.Env = []string{"LD_TRACE_LOADED_OBJECTS=1", "LD_WARN=yes", "LD_BIND_NOW=1"}
		return cmd.Run()
	})
	b.Logf("%s: %d objects; the loader relocates them in %v (median of 9 runs, process start included)", prog, most, loader)
	b.ReportAllocs()
	lookups := 0
	for b.Loop() {
		lm, err := Resolve(prog, Config{})
		if err != nil {
			b.Fatal(err)
		}
		bs, err := Bind(lm)
		if err != nil {
			b.Fatal(err)
		}
		lookups = len(bs.Bindings)
	}
	b.ReportMetric(float64(lookups), "lookups/op")
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(loader), "loader-x")
}

// BenchmarkReadPLT maps the PLT of every dynamic ELF file of /usr/bin
// (stubs decoded, slots matched with their relocations, initial values
// read) and times, in the same run, objdump disassembling the same
// sections of the same files, which is how one reads a PLT otherwise. It
// reports objdump-x, objdump's time over ReadPLT's.
func BenchmarkReadPLT(b *testing.B) {
	if _, err := exec.LookPath("objdump"); err != nil {
		b.Skip(err)
	}
	paths := testelf.Dynamic(b, "/usr/bin")
	objdump := testelf.MedianRun(b, 3, func() error {
		return testelf.RunEach("objdump", []string{"-d", "-w", "-j", ".plt", "-j", ".plt.sec", "-j", ".plt.got"}, paths)
	})
	b.Logf("objdump -d over the PLT sections of %d files: %v (median of 3)", len(paths), objdump)
	b.ReportAllocs()
	entries := 0
	for b.Loop() {
		entries = 0
		for _, p := range paths {
			f, err := elfx.Open(p)
			if err != nil {
				continue
			}
			if plt, err := ReadPLT(f); err == nil {
				entries += len(plt.Entries)
			}
			f.Close()
		}
	}
	b.ReportMetric(float64(entries), "slots/op")
	b.ReportMetric(float64(objdump)/(float64(b.Elapsed())/float64(b.N)), "objdump-x")
}
