package inspect

import (
	"testing"
)

// BenchmarkResolveUsrBin resolves every dynamic ELF file of /usr/bin with
// one Resolver per op, as `elfx deps /usr/bin` does: each library, each
// directory listing and ld.so.cache are read once per op however many
// programs need them, so an op is the cold cost of the whole directory.
// It reports the programs per op and the link-map entries per op, and
// files/s, the programs resolved a second.
func BenchmarkResolveUsrBin(b *testing.B) {
	paths := dynamicELFs(b, "/usr/bin")
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
