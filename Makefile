# elfx: build, test, demo, benchmark and fuzz. Every target builds what it
# needs; `make deps` installs the optional tools the tests compare against.

GO       ?= go
FUZZTIME ?= 100000x
BIN      := bin/elfx
DEMO_DIR := build/demo

.PHONY: all build test demo bench fuzz deps vet clean

all: build

# elfx-runner is the child elfx starts to watch a live process (lazy
# --live) and to run plugins (run); it calls C, which links it against
# libc, so it is a program of its own and elfx stays static. It is built
# with cgo where there is a C compiler, which gives it the cgo and Go
# plugin runners; without, it has purego and wazero.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/elfx
	$(GO) build -o bin/elfx-runner ./cmd/elfx-runner

# Tests compile their fixtures from fixtures/ with `go env CC` and compare
# against readelf; tests whose tool is missing skip and say why.
test: deps
	$(GO) test ./...

# The demo builds the fixtures into $(DEMO_DIR) and runs elfx over them.
demo: build
	rm -rf $(DEMO_DIR)
	$(GO) run ./fixtures/cmd/buildfixtures $(DEMO_DIR)
	./$(BIN) info $(DEMO_DIR)/x86_64/prog $(DEMO_DIR)/x86_64/lib/libvers.so
	./$(BIN) dynamic $(DEMO_DIR)/x86_64/lib/libplugin.so
	./$(BIN) symbols --defined $(DEMO_DIR)/x86_64/lib/libvers.so
	./$(BIN) info --format json $(DEMO_DIR)/x86_64/prog-now
	./$(BIN) deps $(DEMO_DIR)/x86_64/prog-runpath
	./$(BIN) deps --format ldd --env LD_LIBRARY_PATH=$(DEMO_DIR)/x86_64/lib $(DEMO_DIR)/x86_64/prog
	./$(BIN) bindings --env LD_LIBRARY_PATH=$(DEMO_DIR)/x86_64/lib $(DEMO_DIR)/x86_64/prog-nopie
	./$(BIN) bindings --why data_counter --env LD_LIBRARY_PATH=$(DEMO_DIR)/x86_64/lib $(DEMO_DIR)/x86_64/prog-nopie
	./$(BIN) verify --env LD_LIBRARY_PATH=$(DEMO_DIR)/x86_64/lib $(DEMO_DIR)/x86_64/prog-nopie $(DEMO_DIR)/x86_64/prog-now
	./$(BIN) compat check --glibc 2.36 --deep $(DEMO_DIR)/x86_64/prog-runpath
	-./$(BIN) compat check --policy manylinux_2_28 $(DEMO_DIR)/x86_64/prog-runpath
	-./$(BIN) compat diff $(DEMO_DIR)/x86_64/lib/libvers.so $(DEMO_DIR)/x86_64/lib/libvers-hash-gnu.so
	./$(BIN) plt $(DEMO_DIR)/x86_64/prog-ibt
	./$(BIN) lazy --symbol puts $(DEMO_DIR)/x86_64/prog
	./$(BIN) lazy --live --call plugin_run --env LD_LIBRARY_PATH=$(DEMO_DIR)/x86_64/lib $(DEMO_DIR)/x86_64/lib/libplugin.so
	$${CC:-cc} -shared -fPIC -O2 -o $(DEMO_DIR)/libtransform.so fixtures/plugin/transform.c
	echo "Hello, plugins" | ./$(BIN) run --loader purego $(DEMO_DIR)/libtransform.so
	echo "Hello, plugins" | ./$(BIN) run --loader cgo $(DEMO_DIR)/libtransform.so
	./$(BIN) verify --loader cgo $(DEMO_DIR)/libtransform.so
	@if command -v wat2wasm >/dev/null; then \
		wat2wasm -o $(DEMO_DIR)/transform.wasm fixtures/plugin/wasm/transform.wat && \
		echo "Hello, plugins" | ./$(BIN) run --loader wazero $(DEMO_DIR)/transform.wasm && \
		./$(BIN) compat wasm $(DEMO_DIR)/transform.wasm; \
	else echo "demo: no wat2wasm (wabt), no WebAssembly plugin"; fi

bench:
	$(GO) test ./elfx -run '^$$' -bench ReadDynamicInfo -benchtime 3x -benchmem
	$(GO) test ./inspect -run '^$$' -bench BindLargest -benchtime 20x -benchmem

# Runs every fuzz target of every package for FUZZTIME each: a number of
# inputs (100000x) by default, since a run bounded by a duration can end
# with a spurious "context deadline exceeded" when the time runs out in the
# middle of an input; FUZZTIME=10m for a long run. New inputs are not
# minimised, which would eat a short run.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test $$pkg -list '^Fuzz' | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 0 || exit 1; \
		done; \
	done

# The C toolchains and binutils the differential tests use, and wabt's
# wat2wasm for the WebAssembly plugins. Installs only when run as root on
# a Debian-like system and something is missing.
deps:
	@if ! command -v readelf >/dev/null || ! command -v wat2wasm >/dev/null || ! command -v gcc >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v i686-linux-gnu-gcc >/dev/null || ! command -v s390x-linux-gnu-gcc >/dev/null || ! command -v powerpc-linux-gnu-gcc >/dev/null || ! command -v musl-gcc >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils gcc gcc-aarch64-linux-gnu gcc-i686-linux-gnu gcc-s390x-linux-gnu gcc-powerpc-linux-gnu musl-tools wabt >/dev/null; \
		else \
			echo "deps: binutils, wabt, gcc or a cross compiler (gcc-aarch64-linux-gnu, gcc-i686-linux-gnu, gcc-s390x-linux-gnu, gcc-powerpc-linux-gnu) is missing; the tests that need them will skip"; \
		fi; \
	fi

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }

clean:
	rm -rf bin build

# The performance figures of elfx deps (docs/deps.md), from one run: the
# whole of BENCH_DEPS_DIR with elfx in one process against libtree given
# every file at once, loops of ldd and lddtree, one file against libtree,
# and elfx's system calls per unique file read (strace). As root on a
# Debian-like system it installs the tools it compares with when they are
# missing, waiting for a dpkg lock another apt holds; a tool still missing
# skips its row with a note.
BENCH_DEPS_DIR ?= /usr/bin
BENCH_DEPS_FLAGS ?=

# elfx compat diff against abidiff (when installed), from one run:
# libc.so.6 against itself and generated libraries of pointer-chained
# structures, elfx at 500 to 4000 of them to show its growth.
# The plugin runners of elfx run side by side, from one run
# (docs/runners.md): each runner's Execute on 64 bytes and 1 MiB, and a
# call on an empty input against the raw call through the same mechanism
# (SyscallN, a cgo call, CallWithStack, Func.Call, a Go func value, an RPC),
# with the workload compiled into the program as the floor.
.PHONY: bench-runners
bench-runners: deps
	$(GO) test ./dl/... -run '^$$' -bench . -benchtime 1s -count 3

.PHONY: bench-abi
bench-abi: build
	@command -v abidiff >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq abigail-tools >/dev/null; } || true
	$(GO) run ./internal/cmd/benchabi -elfx $(BIN)

.PHONY: bench-deps
bench-deps: build
	@missing=""; \
	for t in libtree:libtree lddtree:pax-utils strace:strace hyperfine:hyperfine; do \
		command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "bench-deps: installing$$missing"; \
			apt-get -o DPkg::Lock::Timeout=300 update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq $$missing >/dev/null || \
			echo "bench-deps: could not install$$missing; their rows will be skipped"; \
		else \
			echo "bench-deps:$$missing not installed (run as root to install); their rows will be skipped"; \
		fi; \
	fi
	$(GO) run ./internal/cmd/benchdeps -elfx $(BIN) $(BENCH_DEPS_FLAGS) $(BENCH_DEPS_DIR)
