// Command elfx-runner runs, in a process of its own, what elfx must see
// happen in a live process rather than read from a file. elfx starts it
// as a child; it is not meant to be run by hand.
//
//	elfx-runner watch-got LIB CALL GOT [SLOT NAME]...
//
// dlopens LIB lazily, reads each GOT slot (hexadecimal link-time
// addresses), calls CALL with no arguments, reads the slots again, and
// prints a JSON dl.Snapshot; dl.CallMarker and dl.ReturnMarker, followed
// by CALL, go to standard error on lines of their own around the call.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/elfx/elfx/dl"
	"github.com/elfx/elfx/dl/live"
)

func main() {
	if len(os.Args) < 5 || os.Args[1] != "watch-got" || len(os.Args[5:])%2 != 0 {
		fmt.Fprintln(os.Stderr, "usage: elfx-runner watch-got LIB CALL GOT [SLOT NAME]...")
		os.Exit(2)
	}
	lib, call := os.Args[2], os.Args[3]
	got, err := strconv.ParseUint(os.Args[4], 0, 64)
	if err != nil {
		fail(err)
	}
	var slots []uint64
	var names []string
	for rest := os.Args[5:]; len(rest) > 0; rest = rest[2:] {
		slot, err := strconv.ParseUint(rest[0], 0, 64)
		if err != nil {
			fail(err)
		}
		slots, names = append(slots, slot), append(names, rest[1])
	}
	marker := func(before bool) {
		if before {
			os.Stderr.WriteString(dl.CallMarker + call + "\n")
		} else {
			os.Stderr.WriteString(dl.ReturnMarker + call + "\n")
		}
	}
	s, err := live.Watch(lib, call, got, slots, names, marker)
	if err != nil {
		fail(err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(s); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "elfx-runner:", err)
	os.Exit(1)
}
