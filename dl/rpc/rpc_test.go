package rpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/dl/rpc"
	"github.com/elfx/elfx/fixtures"
)

func TestRPC(t *testing.T) {
	dltest.Run(t, rpc.RPC{}, dltest.RPCPlugins(t))
}

// TestRPCPanic: a panic ends the plugin process, not the test's; the call
// says so with the runtime's report, and a later call fails as well
// rather than waiting for an answer that cannot come.
func TestRPCPanic(t *testing.T) {
	p, err := rpc.RPC{}.Load(fixtures.RPCPlugin(t, "misbehave"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Execute(context.Background(), []byte("panic"))
	if err == nil || !strings.Contains(err.Error(), "the plugin process exited") || !strings.Contains(err.Error(), "panic: misbehave: asked to panic") {
		t.Fatalf("Execute of a panicking plugin: %v, want the process exited with the panic", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.Execute(ctx, []byte("x")); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Execute after the panic: %v, want an error at once", err)
	}
}

// TestRPCDeadline: a deadline that passes during a call stops the plugin
// process (net/rpc cannot cancel a call); the plugin is then unusable.
func TestRPCDeadline(t *testing.T) {
	p, err := rpc.RPC{}.Load(fixtures.RPCPlugin(t, "transform"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// 5 MiB take milliseconds to copy over and transform.
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if _, err := p.Execute(ctx, dltest.Inputs[2]); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "the plugin process was stopped") {
		t.Fatalf("Execute past its deadline: %v, want the deadline and the process stopped", err)
	}
	if _, err := p.Execute(context.Background(), dltest.Inputs[1]); err == nil {
		t.Error("Execute succeeded after the plugin process was stopped")
	}
}

func BenchmarkRPC(b *testing.B) {
	dltest.Benchmark(b, rpc.RPC{}, fixtures.RPCPlugin(b, "transform"))
}
