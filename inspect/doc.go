// Package inspect models the glibc dynamic loader on top of the elfx reader:
// the library search order, ld.so.cache, link-map order, symbol scope and
// lookup, and the PLT/GOT tables. It predicts what the loader will do
// without running anything.
package inspect
