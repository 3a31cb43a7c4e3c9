module github.com/elfx/elfx

go 1.26.0

require (
	github.com/ebitengine/purego v0.11.3
	github.com/rogpeppe/go-internal v1.16.0
	github.com/tetratelabs/wazero v1.12.0
	golang.org/x/arch v0.33.0
	golang.org/x/sys v0.50.0
)

require golang.org/x/tools v0.26.0 // indirect
