# ferkit: the two set-up commands of README.md, and the usual targets.
#   make demo   installs what is missing, builds, and runs synth -> train -> eval on the embedded default
#   make test   installs what is missing, builds, and runs the test suite (ctest)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps configure build test demo bench clean test-asan fuzz mutants

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)

bench: build
	@bash bench/run.sh $(BUILD)

# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), the fast
# tests only (scripts/test-asan.sh says which are left out and why).
test-asan: deps
	@bash scripts/test-asan.sh

# libFuzzer harnesses (clang, build-fuzz/), each run for FUZZ_SECONDS (default 60): scripts/fuzz.sh.
fuzz: deps
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

# Deliberate breakages of options, each rebuilt in a scratch copy and run against the tests that
# should catch it (scripts/mutants.sh holds the list); prints the survivors.
mutants: build
	@bash scripts/mutants.sh

clean:
	rm -rf $(BUILD) build-asan build-fuzz
