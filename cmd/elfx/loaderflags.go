package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/elfx/elfx/inspect"
)

// loaderFlags adds to fs the flags that describe the loader's situation
// (--env, --root, --secure, --hwcaps), shared by the commands that model
// it, and returns the function that gives the Config once fs is parsed.
func loaderFlags(fs *flag.FlagSet) func() inspect.Config {
	env := envFlag{}
	fs.Var(env, "env", "a loader environment variable `K=V` (LD_LIBRARY_PATH, LD_PRELOAD); repeatable")
	var cfg inspect.Config
	fs.StringVar(&cfg.Root, "root", "", "resolve inside the sysroot `DIR`")
	fs.BoolVar(&cfg.Secure, "secure", false, "resolve as for a set-user-ID program (secure mode)")
	hwcaps := fs.String("hwcaps", "", "pretend the CPU supports these glibc-hwcaps subdirectories, best first (`x86-64-v3,x86-64-v2`); \"none\" for none")
	return func() inspect.Config {
		cfg.Env = env
		switch *hwcaps {
		case "":
		case "none":
			cfg.HWCaps = []string{}
		default:
			cfg.HWCaps = strings.Split(*hwcaps, ",")
		}
		return cfg
	}
}

// envFlag collects repeated --env K=V flags.
type envFlag map[string]string

func (e envFlag) String() string { return "" }

func (e envFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want K=V, got %q", s)
	}
	e[k] = v
	return nil
}
