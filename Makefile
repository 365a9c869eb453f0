# Thin wrapper over CMake. `make run` and `make test` work on a fresh Debian 12 machine:
# both first install whatever build or test dependency is missing, with apt-get.
BUILD_DIR ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
LAB ?=

# Build and test dependencies, all Debian packages. cloud-init provides `cloud-init schema`
# for the rendered user-data; openssl the CLI the CA tests verify with; python3-jsonschema and
# python3-yaml check docs/lab.schema.json against the labs (tests/schema_check.py).
DEB_PACKAGES := build-essential cmake pkg-config libcli11-dev libyaml-cpp-dev libyaml-dev libfmt-dev doctest-dev \
  libcurl4-openssl-dev libssl-dev libkainjow-mustache-dev nlohmann-json3-dev cloud-init openssl python3 \
  python3-jsonschema python3-yaml time ccache libmimalloc-dev

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

# The main job: launch the default lab (multi-primary, or LAB=file) when the tools its
# providers drive are on PATH (multipass; docker and kind), else show its plan, saying why.
RUN_LAB = $(if $(LAB),$(LAB),labs/multi-primary.yaml)
run: build
	@missing=""; \
	if grep -Eq '^[[:space:]]*provider:[[:space:]]*multipass' "$(RUN_LAB)" || grep -Eq '^vms:' "$(RUN_LAB)"; then \
	  command -v multipass >/dev/null 2>&1 || missing="$$missing multipass"; fi; \
	if grep -Eq '^[[:space:]]*provider:[[:space:]]*kind' "$(RUN_LAB)"; then \
	  for tool in docker kind; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; fi; \
	if [ -z "$$missing" ]; then \
	  set -x; $(BUILD_DIR)/cli/meshlab launch -f "$(RUN_LAB)"; \
	else \
	  echo "make run: not launching $(RUN_LAB): not on PATH:$$missing; showing its plan instead (meshlab launch --dry-run)"; \
	  $(BUILD_DIR)/cli/meshlab launch --dry-run -f "$(RUN_LAB)"; \
	fi

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Prints figures (median/min/max against the targets of issue 2); not a test. Pass options
# through BENCH_ARGS, e.g. make bench BENCH_ARGS='--runs 50 --keep'.
# bench/launch.py (launch against the fakes at real-world latencies: minutes per lab and run)
# takes LAUNCH_BENCH_ARGS, e.g. '--runs 1 --lab ci-smoke' or '--scale 0.1' for a quick look.
BENCH_ARGS ?=
LAUNCH_BENCH_ARGS ?=
# Debian's interpreter (the python3 package above), as ctest uses: the fakes run on the
# interpreter that runs the bench, and a version manager's python may import things at every
# start (a .pth hook), which the relaunch would count once per fake call.
PYTHON3 ?= /usr/bin/python3
bench: build
	cmake --build $(BUILD_DIR) -j $(JOBS) --target meshlab_bench
	$(BUILD_DIR)/bench/run-benchmarks $(BUILD_DIR) $(BENCH_ARGS)
	$(PYTHON3) bench/launch.py $(BUILD_DIR) $(LAUNCH_BENCH_ARGS)

# Rewrite the golden files from the current templates; review the diff like code.
golden: build
	MESHLAB_UPDATE_GOLDEN=1 $(BUILD_DIR)/tests/meshlab_tests -tc='render golden*'

clean:
	rm -rf $(BUILD_DIR)
