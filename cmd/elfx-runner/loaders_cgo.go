//go:build cgo && (linux || darwin || freebsd)

package main

import (
	"github.com/elfx/elfx/dl/cgodl"
	"github.com/elfx/elfx/dl/goplugin"
)

// A build with cgo adds the runners that need it, and the floor of a
// direct cgo call.
func init() {
	loaders = append(loaders, cgodl.Cgo{}, goplugin.GoPlugin{})
	floors["cgo"] = cgodl.Noop
}
