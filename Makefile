# Explainable HSR stack: the two commands of the README are `make demo` and `make test`.
# Each runs `make setup` first, which is idempotent (a second run takes about a second).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
# DDS stays on this host (shared memory + UDP on 127.0.0.1) for everything make starts.
export FASTDDS_DEFAULT_PROFILES_FILE := $(CURDIR)/ros2_ws/src/xai_bringup/config/fastdds_localhost.xml
export RMW_IMPLEMENTATION := rmw_fastrtps_cpp
unexport ROS_AUTOMATIC_DISCOVERY_RANGE
TEST_DIRS := ros2_ws/src/xai_core/test ros2_ws/src/xai_nodes/test unity_sim/xai_sim/tests tests
LINT_DIRS := ros2_ws/src unity_sim/xai_sim tests scripts bench training

.PHONY: setup demo test lint bench clean distclean

setup:
	@scripts/setup.sh

demo: setup
	$(PY) scripts/run_demo.py --out out/demo

lint: setup
	$(VENV)/bin/ruff check $(LINT_DIRS)
	$(VENV)/bin/ruff format --check $(LINT_DIRS)

# pytest exit code 5 means "no tests collected": treat it as the failure it is.
test: setup lint
	@rc=0; $(PY) -m pytest $(TEST_DIRS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

bench: setup
	$(PY) bench/run_bench.py --out bench/results.json

clean:
	rm -rf build out .pytest_cache .ruff_cache

distclean: clean
	rm -rf $(VENV)
