//go:build !linux

package rpc

import "syscall"

// sysProcAttr is nil where there is no Pdeathsig: a plugin process whose
// loader exits without Close is left running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
