// Command hostile builds a corpus of hostile files from the fixtures and
// runs every reading subcommand of elfx over it, each file in a batch
// behind a good one: no panic, no hang, every hostile file reported, the
// good file still reported, and each file's time and memory bounded.
//
//	go run ./internal/cmd/hostile [-elfx bin/elfx] [-dir build/hostile]
//
// The corpus mutates the fixture programs and libraries (truncated at
// every header boundary and in between; e_phnum, e_shnum and e_shstrndx
// at their maxima; PT_DYNAMIC and every segment pointing outside the file;
// overlapping segments; every dynamic entry's value at its maximum, at
// zero and past the file; hash tables whose chains loop; version chains
// that loop) and adds a FIFO, a library with deep debug information and
// copies of it whose .debug_info is a compression bomb. It lays out
// libraries in DT_NEEDED cycles, a chain 10,000 deep, symbolic link loops
// and a FIFO in a library's place, and sysroots with malformed
// ld.so.cache files and an ld.so.conf that includes itself, run through
// deps, bindings, lazy and compat check. Every ELF file also goes to
// compat goplugin as a plugin of elfx-runner, a Go host. It truncates and
// count-bombs the WebAssembly fixtures.
package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/elfx/elfx/fixtures"
)

// Bounds a hostile file must stay within, per elfx run: a second of
// processor time (user and system: wall time depends on what else the
// machine runs; a run still going after hangAfter is a hang), and
// resident memory of a fixed allowance (the runtime, the good file and
// the libraries elfx reads for it) and a small multiple of the file's size.
const (
	hangAfter    = 20 * time.Second
	maxTime      = time.Second
	rssAllowance = 64 << 20
	rssPerByte   = 64
)

// maxRSS is the resident memory bound of a run over size bytes of files.
func maxRSS(size int64) int64 { return rssAllowance + rssPerByte*size }

func main() {
	elfx := flag.String("elfx", "bin/elfx", "the elfx to run")
	dir := flag.String("dir", "build/hostile", "where the corpus is written")
	flag.Parse()
	if err := os.RemoveAll(*dir); err != nil {
		fail(err)
	}
	set, err := fixtures.BuildHost(filepath.Join(*dir, "fixtures"), "prog", "prog-now", "prog-runpath")
	if err != nil {
		fail(err)
	}
	corpus := filepath.Join(*dir, "corpus")
	if err := os.MkdirAll(corpus, 0o755); err != nil {
		fail(err)
	}
	var good string
	var files []string
	for _, f := range set.Fixtures {
		if good == "" && f.Kind == "exec" {
			good = f.Path
		}
		b, err := os.ReadFile(f.Path)
		if err != nil {
			fail(err)
		}
		for name, m := range mutants(b) {
			path := filepath.Join(corpus, f.Name+"."+name)
			if err := os.WriteFile(path, m, 0o755); err != nil {
				fail(err)
			}
			files = append(files, path)
		}
	}
	wasm, goodWasm, err := wasmMutants(filepath.Join(*dir, "wasm"), corpus)
	if err != nil {
		fail(err)
	}
	deep, bombs, err := dwarfFiles(filepath.Join(*dir, "dwarf"))
	if err != nil {
		fail(err)
	}
	files = append(files, bombs...)
	fifo := filepath.Join(corpus, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		fail(err)
	}
	files = append(files, fifo)
	slices.Sort(files)
	lays, err := layouts(filepath.Join(*dir, "layouts"))
	if err != nil {
		fail(err)
	}
	fmt.Printf("hostile: %d ELF files and %d WebAssembly modules from %d fixtures, %d library layouts (a chain %d deep)\n",
		len(files), len(wasm), len(set.Fixtures), len(lays), chainDepth)
	r := runner{elfx: *elfx, good: good}
	for _, args := range [][]string{
		{"info", "--format", "json"}, {"dynamic", "--format", "json"}, {"symbols", "--format", "json"},
		{"deps", "--format", "json"}, {"bindings", "--format", "json"}, {"plt", "--format", "json"},
		{"lazy", "--format", "json"}, {"compat", "check", "--glibc", "2.17", "--format", "json"},
	} {
		for _, f := range files {
			r.check(args, nil, f, size(f), true)
		}
	}
	for _, f := range files {
		r.check([]string{"compat", "diff", "--format", "json", good}, nil, f, size(f), false)
	}
	// elfx-runner imports package plugin: a Go host for compat goplugin.
	if host := filepath.Join(filepath.Dir(*elfx), "elfx-runner"); size(host) > 0 {
		for _, f := range files {
			r.check([]string{"compat", "goplugin", "--format", "json", host}, nil, f, size(f), false)
		}
	} else {
		fmt.Printf("hostile: no %s, compat goplugin not run\n", host)
	}
	for _, f := range append(bombs, deep) {
		r.check([]string{"compat", "diff", "--format", "json", deep}, nil, f, size(f)+size(deep), false)
	}
	for _, l := range lays {
		for _, cmd := range [][]string{{"deps"}, {"bindings"}, {"lazy"}} {
			r.check(append(cmd, append([]string{"--format", "json"}, l.flags()...)...), nil, l.prog, l.size, true)
		}
		check := []string{"compat", "check", "--glibc", "2.17", "--deep", "--format", "json"}
		if l.root != "" {
			check = append(check, "--sysroot", l.root)
		}
		r.check(check, l.env, l.prog, l.size, true)
	}
	r.good = goodWasm
	for _, f := range wasm {
		r.check([]string{"compat", "wasm", "--format", "json"}, nil, f, size(f), true)
	}
	fmt.Printf("hostile: %d runs: %d panics, %d hangs, %d files over %v or %d MiB and %d times their size, %d files lost (unreported, or an error not naming it); most processor time %v (%s), most memory %d MiB (%s)\n",
		r.runs, r.panics, r.hangs, r.overBounds, maxTime, rssAllowance>>20, rssPerByte, r.lost, r.slowest.Round(time.Millisecond), r.slowestRun, r.peakRSS>>20, r.peakRSSRun)
	if r.panics+r.hangs+r.overBounds+r.lost > 0 {
		os.Exit(1)
	}
}

// runner runs elfx over the corpus and counts what went wrong.
type runner struct {
	elfx, good                string
	runs, panics, hangs, lost int
	overBounds                int
	slowest                   time.Duration
	slowestRun, peakRSSRun    string
	peakRSS                   int64
}

// check runs elfx args [good] file, with env added to its environment;
// the run reads n bytes of hostile files. The exit status must be 0, 1
// or 2, nothing may panic, it must end within the bounds, the hostile
// file must be reported (an error naming it, or a report), and with batch
// the good file before it must still be reported.
func (r *runner) check(args, env []string, file string, n int64, batch bool) {
	argv := slices.Clone(args)
	if batch {
		argv = append(argv, r.good)
	}
	argv = append(argv, file)
	cmd := exec.Command(r.elfx, argv...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	run := strings.Join(argv, " ")
	r.runs++
	select {
	case <-done:
	case <-time.After(hangAfter):
		cmd.Process.Kill()
		<-done
		r.hangs++
		fmt.Printf("HANG: %s\n", run)
		return
	}
	elapsed := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	if elapsed > r.slowest {
		r.slowest, r.slowestRun = elapsed, run
	}
	if rss > r.peakRSS {
		r.peakRSS, r.peakRSSRun = rss, run
	}
	code := cmd.ProcessState.ExitCode()
	switch {
	case code > 2 || code < 0 || bytes.Contains(stderr.Bytes(), []byte("panic:")) || bytes.Contains(stderr.Bytes(), []byte("goroutine ")):
		r.panics++
		fmt.Printf("PANIC or crash (exit %d): %s\n%s\n", code, run, stderr.Bytes())
	case elapsed > maxTime || rss > maxRSS(n):
		r.overBounds++
		fmt.Printf("OVER BOUNDS (%v, %d MiB): %s\n", elapsed, rss>>20, run)
	case batch && !bytes.Contains(stdout.Bytes(), []byte(r.good)):
		r.lost++
		fmt.Printf("GOOD FILE LOST: %s\n", run)
	case code == 2 && !bytes.Contains(stderr.Bytes(), []byte(filepath.Base(file))):
		r.lost++
		fmt.Printf("ERROR WITHOUT THE FILE'S NAME: %s\n%s\n", run, stderr.Bytes())
	case !bytes.Contains(stdout.Bytes(), []byte(file)) && !bytes.Contains(stderr.Bytes(), []byte(filepath.Base(file))):
		r.lost++
		fmt.Printf("HOSTILE FILE NOT REPORTED: %s\n", run)
	}
}

// mutants are hostile variants of the ELF file b, by name.
func mutants(b []byte) map[string][]byte {
	out := map[string][]byte{}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil || f.Class != elf.ELFCLASS64 {
		return out
	}
	le := binary.LittleEndian
	cut := func(name string, n uint64) {
		if n <= uint64(len(b)) {
			out[name] = slices.Clone(b[:n])
		}
	}
	edit := func(name string, apply func(m []byte)) {
		m := slices.Clone(b)
		apply(m)
		out[name] = m
	}
	// Truncations at every header boundary and in between.
	for _, n := range []uint64{0, 1, 4, 16, 52, 63, 64} {
		cut(fmt.Sprintf("cut%d", n), n)
	}
	phoff, shoff := le.Uint64(b[0x20:]), le.Uint64(b[0x28:])
	for i := range f.Progs {
		cut(fmt.Sprintf("cut-ph%d", i), phoff+uint64(i)*56+28)
		p := f.Progs[i]
		cut(fmt.Sprintf("cut-seg%d", i), p.Off+p.Filesz/2)
	}
	cut("cut-sh", shoff+32)
	cut("cut-half", uint64(len(b))/2)
	cut("cut-last", uint64(len(b))-1)
	// Header counts at their maxima.
	edit("phnum-max", func(m []byte) { le.PutUint16(m[0x38:], 0xffff) })
	edit("shnum-max", func(m []byte) { le.PutUint16(m[0x3c:], 0xffff) })
	edit("shstrndx-max", func(m []byte) { le.PutUint16(m[0x3e:], 0xfffe) })
	edit("phoff-past", func(m []byte) { le.PutUint64(m[0x20:], 1<<62) })
	edit("shoff-past", func(m []byte) { le.PutUint64(m[0x28:], 1<<62) })
	// Segments outside the file, overlapping, absurd.
	for i, p := range f.Progs {
		at := phoff + uint64(i)*56
		switch p.Type {
		case elf.PT_DYNAMIC:
			edit("dynamic-past", func(m []byte) { le.PutUint64(m[at+8:], uint64(len(b))+4096) })
			edit("dynamic-huge", func(m []byte) { le.PutUint64(m[at+32:], 1<<60) })
			edit("dynamic-empty", func(m []byte) { le.PutUint64(m[at+32:], 0) })
		case elf.PT_LOAD:
			edit(fmt.Sprintf("load%d-overlap", i), func(m []byte) { le.PutUint64(m[at+16:], 0) })
			edit(fmt.Sprintf("load%d-huge", i), func(m []byte) { le.PutUint64(m[at+32:], 1<<60) })
		case elf.PT_INTERP:
			edit("interp-past", func(m []byte) { le.PutUint64(m[at+8:], uint64(len(b))+4096) })
		}
	}
	// Every dynamic entry's value at its maximum, at zero, and past the
	// file; the tables they point to made to loop.
	dyn := dynamicEntries(f, b)
	for _, d := range dyn {
		tag := elf.DynTag(le.Uint64(b[d:]))
		for _, v := range []struct {
			name  string
			value uint64
		}{{"max", 1<<64 - 1}, {"zero", 0}, {"past", uint64(len(b)) + 1<<20}} {
			edit(fmt.Sprintf("%s-%s-%d", strings.ToLower(strings.TrimPrefix(tag.String(), "DT_")), v.name, d), func(m []byte) { le.PutUint64(m[d+8:], v.value) })
		}
	}
	for _, d := range dyn {
		tag := elf.DynTag(le.Uint64(b[d:]))
		off, ok := fileOffset(f, le.Uint64(b[d+8:]))
		if !ok || off+16 > uint64(len(b)) {
			continue
		}
		switch tag {
		case elf.DT_GNU_HASH: // nbuckets, symoffset, bloom size, shift
			edit("gnuhash-buckets-max", func(m []byte) { le.PutUint32(m[off:], 0xffffffff) })
			edit("gnuhash-bloom-max", func(m []byte) { le.PutUint32(m[off+8:], 0xffffffff) })
			edit("gnuhash-chains-loop", func(m []byte) { // no chain end: every chain word without its low bit
				for i := off + 16; i+4 <= uint64(len(m)) && i < off+4096; i += 4 {
					m[i] &^= 1
				}
			})
		case elf.DT_HASH: // nbucket, nchain, buckets, chains
			edit("hash-nchain-max", func(m []byte) { le.PutUint32(m[off+4:], 0xffffffff) })
			edit("hash-chains-loop", func(m []byte) { // chain[i] = i
				nbucket := uint64(le.Uint32(m[off:]))
				chains := off + 8 + 4*nbucket
				for i := uint64(0); chains+4*i+4 <= uint64(len(m)) && i < 1024; i++ {
					le.PutUint32(m[chains+4*i:], uint32(i))
				}
			})
		case elf.DT_VERNEED, elf.DT_VERDEF: // the next-entry offset at 12 (verneed) or 16 (verdef)
			next := off + 12
			if tag == elf.DT_VERDEF {
				next = off + 16
			}
			edit(strings.ToLower(strings.TrimPrefix(tag.String(), "DT_"))+"-loop", func(m []byte) { le.PutUint32(m[next:], 0) })
		}
	}
	return out
}

// dynamicEntries are the file offsets of the dynamic entries of b, up to
// DT_NULL.
func dynamicEntries(f *elf.File, b []byte) []uint64 {
	var out []uint64
	for _, p := range f.Progs {
		if p.Type != elf.PT_DYNAMIC {
			continue
		}
		for at := p.Off; at+16 <= p.Off+p.Filesz && at+16 <= uint64(len(b)); at += 16 {
			if binary.LittleEndian.Uint64(b[at:]) == uint64(elf.DT_NULL) {
				break
			}
			out = append(out, at)
		}
	}
	return out
}

// fileOffset is where the link-time address addr is in the file.
func fileOffset(f *elf.File, addr uint64) (uint64, bool) {
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr < p.Vaddr+p.Filesz {
			return addr - p.Vaddr + p.Off, true
		}
	}
	return 0, false
}

// wasmMutants writes truncated and count-bombed versions of the
// WebAssembly fixtures into corpus, when wat2wasm is here, and returns
// them and a good module.
func wasmMutants(build, corpus string) (out []string, good string, err error) {
	if err := os.MkdirAll(build, 0o755); err != nil {
		return nil, "", err
	}
	for _, name := range []string{"transform", "wasi"} {
		path, err := fixtures.BuildWasmPlugin(build, name)
		if err != nil {
			fmt.Printf("hostile: no WebAssembly modules: %v\n", err)
			return nil, "", nil
		}
		good = path
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", err
		}
		variants := map[string][]byte{}
		for _, n := range []int{0, 4, 8, 9, 10, len(b) / 2, len(b) - 1} {
			variants[fmt.Sprintf("cut%d", n)] = b[:n]
		}
		for i := 8; i+1 < len(b); i++ { // every section's size and first count at their maxima
			m := slices.Clone(b)
			m[i], m[i+1] = 0xff, 0x0f
			variants[fmt.Sprintf("bomb%d", i)] = m
			if len(variants) > 60 {
				break
			}
		}
		for v, m := range variants {
			p := filepath.Join(corpus, name+".wasm."+v)
			if err := os.WriteFile(p, m, 0o644); err != nil {
				return nil, "", err
			}
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, good, nil
}

// size is the size of the file at path, 0 when it cannot be found.
func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostile:", err)
	os.Exit(2)
}
