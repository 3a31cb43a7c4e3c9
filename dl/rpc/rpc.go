// Package rpc runs plugins as child processes with HashiCorp's go-plugin
// over net/rpc, as Terraform and Vault run theirs. A plugin is a program
// whose main calls [Serve]; it serves the RPC mirror of the elfx plugin
// contract (fixtures/plugin/elfx_plugin.h):
//
//	Plugin.Info(struct{}, *dl.PluginInfo) error
//	Plugin.Execute(in []byte, *struct{ Out []byte; Code int }) error
//
// where Code is plugin_execute's: 0 for success, else an error code. The
// process is the isolation: a panic or a crash in the plugin ends the
// plugin's process, not the loader's, and a plugin still running when its
// context is done is stopped with its process.
package rpc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	netrpc "net/rpc"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/elfx/elfx/dl"
)

// handshake is what the loader and a plugin program must agree on: the
// loader passes the cookie in the environment, and Serve refuses to run
// without it (a plugin program started by hand says what it is and exits).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "ELFX_PLUGIN",
	MagicCookieValue: "ec57bdeb07b619cd5f2a7fde5666ff20",
}

// pluginName is the one plugin a plugin program serves.
const pluginName = "elfx"

// netRPCPlugin is the plugin "elfx" on both sides: the loader's, where
// go-plugin hands over the net/rpc client of the plugin's stream as is,
// and the plugin program's, where srv serves it.
type netRPCPlugin struct{ srv *server }

func (p netRPCPlugin) Server(*plugin.MuxBroker) (any, error) { return p.srv, nil }

func (netRPCPlugin) Client(_ *plugin.MuxBroker, c *netrpc.Client) (any, error) { return c, nil }

// RPC loads a plugin by starting its program as a child process with
// go-plugin, which reads the address of a Unix socket from the program's
// standard output and runs net/rpc (gob) over yamux streams on it. Every
// call is a round trip to another process over that socket, with the
// input and output copied through gob both ways: the price of a plugin
// that can panic, crash or hang without taking the loader with it.
type RPC struct{}

func (RPC) Name() string { return "rpc" }

type rpcPlugin struct {
	path   string
	client *plugin.Client // nil once closed
	rpc    *netrpc.Client
	info   dl.PluginInfo
	crash  *crashReport // the plugin process's standard error
	// ended is why the plugin process ended during a call, nil while it
	// runs; every later call fails with it.
	ended error
}

// Load starts the program at path, connects to it and asks it for its
// Info.
func (RPC) Load(path string) (dl.Plugin, error) {
	p := &rpcPlugin{path: path, crash: new(crashReport)}
	p.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{pluginName: netRPCPlugin{}},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		// Not exec.Command, which would look up a path without a slash
		// in $PATH.
		Cmd:    &exec.Cmd{Path: path, SysProcAttr: sysProcAttr()},
		Logger: hclog.NewNullLogger(),
		Stderr: p.crash,
	})
	if err := p.connect(); err != nil {
		p.client.Kill()
		if errors.As(err, new(*fs.PathError)) {
			return nil, err // path could not be started
		}
		return nil, fmt.Errorf("%s does not follow the plugin contract: %w", path, err)
	}
	return p, nil
}

// connect starts the plugin process, runs go-plugin's handshake with it
// and calls Plugin.Info.
func (p *rpcPlugin) connect() error {
	conn, err := p.client.Client()
	if err != nil {
		return err
	}
	raw, err := conn.Dispense(pluginName)
	if err != nil {
		return err
	}
	p.rpc = raw.(*netrpc.Client)
	return p.call(context.Background(), "Plugin.Info", struct{}{}, &p.info)
}

// call calls method of the plugin. net/rpc cannot cancel a call: when ctx
// is done first, the plugin process is stopped.
func (p *rpcPlugin) call(ctx context.Context, method string, args, reply any) error {
	if p.ended != nil {
		return p.ended
	}
	call := p.rpc.Go(method, args, reply, nil)
	select {
	case <-call.Done:
	case <-ctx.Done():
		p.client.Kill()
		p.ended = fmt.Errorf("%s: %w; the plugin process was stopped", method, ctx.Err())
		return p.ended
	}
	var serverErr netrpc.ServerError
	switch {
	case call.Error == nil:
		return nil
	case errors.As(call.Error, &serverErr):
		return fmt.Errorf("%s: %w", method, call.Error) // the plugin's net/rpc refused the call
	}
	// The connection is gone, and with it the process: reap it, which
	// also waits for the end of its standard error.
	p.client.Kill()
	p.ended = fmt.Errorf("%s: the plugin process exited (%w)%s", method, call.Error, p.crash)
	return p.ended
}

func (p *rpcPlugin) Info() dl.PluginInfo { return p.info }

func (p *rpcPlugin) Execute(ctx context.Context, input []byte) ([]byte, error) {
	if p.client == nil {
		return nil, errClosed
	}
	var r result
	if err := p.call(ctx, "Plugin.Execute", input, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", p.path, err)
	}
	if r.Code != 0 {
		return nil, &dl.ExecuteError{Plugin: p.path, Code: r.Code}
	}
	return r.Out, nil
}

// Close ends the plugin process: go-plugin asks it to quit, and kills it
// when it has not within two seconds.
func (p *rpcPlugin) Close() error {
	if p.client == nil {
		return errClosed
	}
	p.client.Kill()
	p.client = nil
	return nil
}

var errClosed = errors.New("plugin already closed")

// maxCrashReport bounds what a crashReport keeps.
const maxCrashReport = 16 << 10

// crashReport keeps the start of what the plugin process writes to its
// standard error, go-plugin's ClientConfig.Stderr: the Go runtime's report
// of a panic or a fatal signal, and the log package's standard logger
// (log.Fatal's message). Nothing else comes there: Serve silences
// go-plugin's logger, and the plugin's os.Stderr goes to the loader over
// RPC, which discards it.
type crashReport struct {
	mu  sync.Mutex
	buf []byte
}

func (r *crashReport) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf = append(r.buf, b[:min(len(b), maxCrashReport-len(r.buf))]...)
	return len(b), nil
}

// String is the report on lines of its own after a colon, "" when the
// process wrote nothing.
func (r *crashReport) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		return ""
	}
	return ":\n" + string(r.buf)
}
