# Thin wrapper over CMake. `make run` and `make test` work on a fresh Debian 12 machine:
# both first install whatever build or test dependency is missing, with apt-get.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
LAB ?=

# Build and test dependencies, all Debian packages. cloud-init provides `cloud-init schema`
# for the rendered user-data; openssl the CLI the CA tests verify with; python3-jsonschema and
# python3-yaml check docs/lab.schema.json against the labs (tests/schema_check.py).
DEB_PACKAGES := build-essential cmake pkg-config libcli11-dev libyaml-cpp-dev libfmt-dev doctest-dev \
  libcurl4-openssl-dev libssl-dev libkainjow-mustache-dev nlohmann-json3-dev cloud-init openssl python3 \
  python3-jsonschema python3-yaml time ccache

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test bench golden clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:" $$missing; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: render the default lab (multi-primary) into its state directory.
run: build
	$(BUILD_DIR)/cli/meshlab render $(if $(LAB),-f $(LAB))

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Prints figures (median/min/max against the targets of issue 2); not a test. Pass options
# through BENCH_ARGS, e.g. make bench BENCH_ARGS='--runs 50 --keep'.
BENCH_ARGS ?=
bench: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target meshlab_bench
	$(BUILD_DIR)/bench/run-benchmarks $(BUILD_DIR) $(BENCH_ARGS)

# Rewrite the golden files from the current templates; review the diff like code.
golden: build
	MESHLAB_UPDATE_GOLDEN=1 $(BUILD_DIR)/tests/meshlab_tests -tc='render golden*'

clean:
	rm -rf $(BUILD_DIR)
