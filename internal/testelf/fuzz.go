package testelf

import (
	"runtime/metrics"
	"testing"
)

// AllocLimit is the most a reader may allocate for an input of size
// bytes: a small multiple of the input, the promise elfx makes for
// hostile files, and a constant that covers the runtime's per-processor
// allocation caches, which the counter sees in whole spans.
func AllocLimit(size int) uint64 { return 64*uint64(size) + 1<<20 }

var heapAllocs = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

func allocated() uint64 {
	metrics.Read(heapAllocs)
	return heapAllocs[0].Value.Uint64()
}

// Bounded runs fn, a reader's work on an input of size bytes, and fails
// tb when it allocates more than AllocLimit(size). The counter is
// process-wide, and the fuzzing engine allocates too, so a run over the
// limit is measured twice more and fails only when every run is over.
func Bounded(tb testing.TB, size int, fn func()) {
	tb.Helper()
	limit := AllocLimit(size)
	var n uint64
	for range 3 {
		before := allocated()
		fn()
		if n = allocated() - before; n <= limit {
			return
		}
	}
	tb.Fatalf("allocated %d bytes for a %d-byte input, more than %d", n, size, limit)
}
