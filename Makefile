# The commands people type. The real build is CMake; this file only drives it.
#   make demo | test | bench | build | install PREFIX=... | format | fuzz FUZZ_S=60 | clean
# Variables: SAN=1 (sanitizer build in build-san/), JOBS=N (default 2), QUICK=1 (short bench),
#            PEERS=1 (bench LibTorch too),
#            CMAKE_ARGS="-DSOMA_NATIVE=OFF ..." (reconfigures with these), BUILD=dir.

MAKEFLAGS += --no-print-directory
JOBS ?= 2
PREFIX ?= /usr/local
ifeq ($(SAN),1)
BUILD ?= build-san
# The benchmarks and the one-program-per-entry examples add nothing a sanitizer would check
# that the tests do not (the gallery runs in the tests through the soma tool).
override CMAKE_ARGS += -DSOMA_SANITIZE=ON -DSOMA_BUILD_BENCH=OFF -DSOMA_BUILD_EXAMPLES=OFF
else
BUILD ?= build
endif

# The programs `make demo` runs, in order: paths under the build dir, arguments allowed
# inside the quotes (e.g. "soma gallery"). They run in out/ (git-ignored), where their
# figures and files land.
# The gallery runs every lecture example (03_backprop included) and collects the figures in
# $(BUILD)/gallery/index.html.
DEMOS := "soma gallery --out $(abspath $(BUILD))/gallery"

.PHONY: setup build test demo bench install format fuzz clean

setup:
	@scripts/setup.sh $(BUILD) $(CMAKE_ARGS)

build: setup
	cmake --build $(BUILD) -j$(JOBS)

# The sanitizer build skips the tests labelled slow and the gallery's training runs (Fashion-MNIST,
# the CMU dictionary, the recurrent, seq2seq, GAN and tricks entries): they test behaviour, not memory safety;
# their ops, models and the engine have fast tests of their own, and under ASan they took most of
# CI's sanitizer stage.
SAN_SKIP := -LE slow -E "^(FmnistTrain|GalleryFmnist|GalleryGan|GalleryPronunciation|GalleryRnn|GallerySeq2Seq|GalleryTricks)\."
test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) $(if $(filter 1,$(SAN)),$(SAN_SKIP))

demo: build
	@mkdir -p out; set -e; for d in $(DEMOS); do echo "== $$d"; (cd out && $(abspath $(BUILD))/$$d); done

# The driver runs every bench program and PyTorch's twins (bench/pytorch/), prints one table
# and appends the JSON lines to bench/results/<date>.jsonl. Run from the repository root.
# PEERS=1 adds LibTorch's twins (bench/libtorch/): its own CMake project, built in
# $(BUILD)/libtorch so that the main build never needs LibTorch; libtorch-dev is installed with
# apt-get when missing (as root), else the table goes without it.
bench: build
	@python3 bench/run.py --build $(BUILD) $(if $(QUICK),--quick) $(if $(PEERS),--peers)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

format:
	@SOMA_SETUP_EXTRA=clang-format SOMA_SETUP_CONFIGURE=0 scripts/setup.sh
	find include src gallery tests cli bench tools \( -name '*.h' -o -name '*.cpp' \) \
	  -not -path 'tests/fixtures/*' -print0 2>/dev/null | xargs -0 -r clang-format -i

# libFuzzer over the file readers (safetensors, checkpoints, IDX, CSV), each over bytes in
# memory: a clang build with ASan and UBSan in build-fuzz/ (clang, its runtimes and libomp are
# installed first), then each harness for FUZZ_S seconds from its seed corpus in
# tests/fuzz/corpus/ (new inputs go to build-fuzz/corpus/, crashes to build-fuzz/). A finding
# stops the run with a non-zero status. CI runs it with FUZZ_S=10.
FUZZ_S ?= 60
FUZZERS := safetensors checkpoint idx csv
fuzz:
	@SOMA_SETUP_EXTRA="clang libclang-rt-14-dev libomp-dev" SOMA_SETUP_CONFIGURE=0 scripts/setup.sh
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DSOMA_FUZZ=ON -DSOMA_NATIVE=OFF \
	  -DSOMA_BUILD_TESTS=OFF -DSOMA_BUILD_EXAMPLES=OFF -DSOMA_BUILD_BENCH=OFF $(CMAKE_ARGS)
	cmake --build build-fuzz -j$(JOBS) --target $(addprefix fuzz_,$(FUZZERS))
	@set -e; for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f; echo "== fuzz_$$f for $(FUZZ_S) s"; \
	  build-fuzz/fuzz/fuzz_$$f -max_total_time=$(FUZZ_S) -timeout=10 -rss_limit_mb=4096 \
	    -artifact_prefix=build-fuzz/$$f- build-fuzz/corpus/$$f tests/fuzz/corpus/$$f; done

# Needs nothing installed, so it skips setup.
clean:
	rm -rf build build-san $(BUILD)
