package rpc

import (
	"testing"

	"github.com/elfx/elfx/dl/dltest"
	"github.com/elfx/elfx/fixtures"
)

func BenchmarkRPCCall(b *testing.B) {
	l, err := RPC{}.Load(fixtures.RPCPlugin(b, "misbehave"))
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	p := l.(*rpcPlugin)
	dltest.BenchmarkCall(b, p, func() { p.rpc.Call("Plugin.Execute", []byte(nil), new(result)) })
}
