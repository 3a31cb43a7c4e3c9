package dl

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/elfx/elfx/inspect"
)

// Value is a word read from a live process, with what dladdr says it
// points at.
type Value struct {
	Value  uint64 `json:"value"`
	Object string `json:"object,omitempty"` // the object mapping the address
	Symbol string `json:"symbol,omitempty"` // the nearest symbol at or below it
	Offset uint64 `json:"offset,omitempty"` // from that symbol
}

// Snapshot is what the runner (cmd/elfx-runner, package dl/live) saw of a
// library's GOT around one call.
type Snapshot struct {
	Base   uint64           `json:"base"` // the library's load bias, link_map's l_addr
	GOT1   Value            `json:"got1"` // the link_map lazy binding pushes
	GOT2   Value            `json:"got2"` // the resolver trampoline
	Before []Value          `json:"before"`
	After  []Value          `json:"after"`
	Dlsym  map[string]Value `json:"dlsym"` // what dlsym answers for each slot's symbol
}

// CallMarker and ReturnMarker, followed by the function's name, are the
// lines the runner writes to standard error right before and right after
// the watched call: the loader's debugging lines between them are the
// call's.
const (
	CallMarker   = "elfx-runner: calling "
	ReturnMarker = "elfx-runner: returned from "
)

// LiveSlot is one GOT slot of a library as a live process showed it.
type LiveSlot struct {
	Entry  inspect.PLTEntry
	Slot   uint64 // the slot's run-time address
	Before Value
	After  Value
	// BeforeIs says what the value before the call is: "plt" (the
	// file's lazy value plus the load bias: back into the PLT), "target"
	// (dlsym's answer for the symbol: bound at load), "0", or
	// "object:symbol" as dladdr names it. AfterIs is "object:symbol".
	BeforeIs, AfterIs string
	// AfterIsDlsym reports whether the value after the call is dlsym's
	// answer for the symbol: for an IFUNC, the function its resolver
	// chose.
	AfterIsDlsym bool
	// BoundAtCall holds the loader's lookups of the slot's symbol made
	// by the call, from LD_DEBUG=bindings: empty when it was bound at
	// load, or never called.
	BoundAtCall []Binding
}

// LiveGOT is the result of watching a library's GOT around one call.
type LiveGOT struct {
	Library    string
	BindNow    bool // LD_BIND_NOW=1 was in the child's environment
	Call       string
	Snapshot   *Snapshot
	Slots      []LiveSlot
	AtLoad     []Binding // the library's lookups made while it was loaded
	AtCall     []Binding // the lookups the call made
	GOT1, GOT2 Value
}

// WatchGOT runs runner (cmd/elfx-runner) to dlopen lib lazily, read its
// GOT slots (as p maps them), call the function call with no arguments
// and read them again, under LD_DEBUG=bindings; with bindNow, under
// LD_BIND_NOW=1 too. env holds K=V variables for the child.
func WatchGOT(ctx context.Context, runner, lib string, p *inspect.PLT, call string, bindNow bool, env []string) (*LiveGOT, error) {
	if host := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]; p.Machine != host {
		return nil, fmt.Errorf("%s: a %v library cannot be loaded here to watch its GOT; the runner loads x86-64 libraries on x86-64 and AArch64 ones on AArch64", lib, p.Machine)
	}
	name := lib
	if !strings.Contains(name, "/") {
		name = "./" + name
	}
	args := []string{"watch-got", name, call, strconv.FormatUint(p.GOT, 10)}
	for _, e := range p.Entries {
		args = append(args, strconv.FormatUint(e.Slot, 10), e.Symbol)
	}
	cmd := exec.CommandContext(ctx, runner, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}, env...)
	cmd.Env = append(cmd.Env, "LD_DEBUG=bindings")
	if bindNow {
		cmd.Env = append(cmd.Env, "LD_BIND_NOW=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: watching the GOT: %v%s", lib, err, lastLine(stderr.String()))
	}
	var snap Snapshot
	if err := json.Unmarshal(stdout.Bytes(), &snap); err != nil {
		return nil, fmt.Errorf("%s: the runner's answer: %w", lib, err)
	}
	if len(snap.Before) != len(p.Entries) || len(snap.After) != len(p.Entries) {
		return nil, fmt.Errorf("%s: the runner read %d and %d slots of %d", lib, len(snap.Before), len(snap.After), len(p.Entries))
	}
	load, atCall, _ := strings.Cut(stderr.String(), CallMarker+call+"\n")
	atCall, _, _ = strings.Cut(atCall, ReturnMarker+call+"\n")
	g := &LiveGOT{Library: lib, BindNow: bindNow, Call: call, Snapshot: &snap, GOT1: snap.GOT1, GOT2: snap.GOT2}
	g.AtLoad = bindingsFrom(load, name)
	g.AtCall = bindingsFrom(atCall, name)
	for i, e := range p.Entries {
		s := LiveSlot{Entry: e, Slot: snap.Base + e.Slot, Before: snap.Before[i], After: snap.After[i]}
		target, hasTarget := snap.Dlsym[e.Symbol]
		s.BeforeIs = "unknown"
		switch v := s.Before; {
		case v.Value == 0:
			s.BeforeIs = "0"
		case hasTarget && v.Value == target.Value:
			s.BeforeIs = "target"
		case e.Initial != 0 && v.Value == snap.Base+e.Initial:
			s.BeforeIs = "plt"
		case v.Object != "":
			s.BeforeIs = v.Object + ":" + v.Symbol
		}
		s.AfterIs = s.After.Object + ":" + s.After.Symbol
		s.AfterIsDlsym = hasTarget && s.After.Value == target.Value
		for _, b := range g.AtCall {
			if b.Symbol == e.Symbol {
				s.BoundAtCall = append(s.BoundAtCall, b)
			}
		}
		g.Slots = append(g.Slots, s)
	}
	return g, nil
}

// bindingsFrom parses the loader's lines in out and keeps the lookups of
// the object named from.
func bindingsFrom(out, from string) []Binding {
	log, _ := ParseDebug(strings.NewReader(out))
	var bs []Binding
	for _, b := range log.Bindings {
		if b.From == from {
			bs = append(bs, b)
		}
	}
	return bs
}

// lastLine is the child's last line of standard error, to quote.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return ""
	}
	return ": " + s
}
