//go:build cgo && (linux || darwin || freebsd)

package main

import (
	"github.com/elfx/elfx/dl/cgodl"
	"github.com/elfx/elfx/dl/goplugin"
)

// A build with cgo adds the runners that need it.
func init() {
	loaders = append(loaders, cgodl.Cgo{}, goplugin.GoPlugin{})
}
