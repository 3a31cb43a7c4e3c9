package rpc

import (
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/elfx/elfx/dl"
)

// Serve is a plugin program's main: it answers the handshake of the
// loader that started the program, then serves info and execute as
// Plugin.Info and Plugin.Execute until the loader closes the plugin, when
// it returns. execute may be called from several goroutines at once; a
// panic in it ends the program. Started other than by the loader, Serve
// says the program is a plugin and exits with status 1.
func Serve(info dl.PluginInfo, execute func(in []byte) (out []byte, code int)) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         plugin.PluginSet{pluginName: netRPCPlugin{&server{info, execute}}},
		Logger:          hclog.NewNullLogger(),
	})
}

// server is the plugin's methods as net/rpc serves them.
type server struct {
	info    dl.PluginInfo
	execute func([]byte) ([]byte, int)
}

// result is Plugin.Execute's reply. It is an alias of an unnamed type, not
// a defined type: net/rpc serves only methods whose reply type is
// exported or unnamed.
type result = struct {
	Out  []byte
	Code int
}

func (s *server) Info(_ struct{}, info *dl.PluginInfo) error {
	*info = s.info
	return nil
}

func (s *server) Execute(in []byte, r *result) error {
	r.Out, r.Code = s.execute(in)
	return nil
}
