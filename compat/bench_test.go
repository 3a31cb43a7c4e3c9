package compat

import (
	"os/exec"
	"testing"
	"time"

	"github.com/elfx/elfx/internal/testelf"
)

// BenchmarkCheckUsrBin checks every dynamic ELF file of /usr/bin against
// the floor GLIBC 2.17 (manylinux2014's), one op for the whole directory,
// and times in the same run readelf printing what the check reads
// (`readelf -W -V --dyn-syms FILE`, one process per file, as a script
// doing the check with binutils would), median of 3. It reports the files
// and the too-new references per op, files/s, and readelf-x, readelf's
// time over Check's.
func BenchmarkCheckUsrBin(b *testing.B) {
	paths := testelf.Dynamic(b, "/usr/bin")
	var readelf time.Duration
	if _, err := exec.LookPath("readelf"); err == nil {
		readelf = testelf.MedianRun(b, 3, func() error {
			return testelf.RunEach("readelf", []string{"-V", "-W", "--dyn-syms"}, paths)
		})
		b.Logf("readelf -V -W --dyn-syms over %d files: %v (median of 3)", len(paths), readelf)
	} else {
		b.Logf("readelf is not installed: no readelf-x")
	}
	opts := Options{Floors: Floors{"GLIBC": "2.17"}}
	b.ReportAllocs()
	tooNew, failed := 0, 0
	for b.Loop() {
		tooNew, failed = 0, 0
		for _, p := range paths {
			r, err := Check(p, opts)
			if err != nil {
				failed++
				continue
			}
			tooNew += len(r.TooNew)
		}
	}
	if failed > 0 {
		b.Errorf("Check failed on %d of %d files", failed, len(paths))
	}
	perOp := float64(b.Elapsed()) / float64(b.N)
	b.ReportMetric(float64(len(paths)), "files/op")
	b.ReportMetric(float64(tooNew), "too-new/op")
	b.ReportMetric(float64(len(paths))*float64(time.Second)/perOp, "files/s")
	if readelf > 0 {
		b.ReportMetric(float64(readelf)/perOp, "readelf-x")
	}
}
