# The two commands of the README: `make lab` and `make test`. Both install what is missing
# (Debian packages, via scripts/install-deps.sh) and build first.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=
# ccache hits across clones in different directories (CI's clean clone, engineers' trees):
# paths under the tree are hashed relative to it, and the working directory is left out.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
# Two build trees (plain and ASan) outgrow ccache's default 5 GB: it then evicts what the next
# clean build needs.
export CCACHE_MAXSIZE ?= 15G

.PHONY: all deps build build-asan test test-unit test-asan lab lab-down format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DPODNET_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Unit tests under ASan+UBSan first, then the whole suite; ctest's summary is the last thing printed.
test: build build-asan
	@echo "== unit tests under ASan+UBSan =="
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) -L unit -j $(JOBS) --output-on-failure
	@echo "== full suite =="
	@ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure

test-unit: build
	@ctest --test-dir $(BUILD) -L unit -j $(JOBS) --output-on-failure

lab: build
	@bash scripts/lab.sh up

lab-down:
	@bash scripts/lab.sh down

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
