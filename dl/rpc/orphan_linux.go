package rpc

import "syscall"

// sysProcAttr has Linux kill the plugin process when the loader's process
// ends, however it ends: with os.Exit, which skips Close, or with a
// signal. go-plugin's server does not notice that its loader is gone and
// would wait for it forever. The signal comes when the thread that started
// the process ends (go.dev/issue/27505), which a Go program's threads do
// only when a goroutine locked to one exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
