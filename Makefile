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
TEST_DIRS := ros2_ws/src/xai_core/test ros2_ws/src/xai_nodes/test unity_sim/xai_sim/tests \
  hololens_bridge/tests tests
LINT_DIRS := ros2_ws/src unity_sim/xai_sim hololens_bridge tests scripts bench training docker

.PHONY: setup demo test lint bench eval clean distclean

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

bench:
	@scripts/setup.sh --bench
	$(PY) bench/run_bench.py --out bench/results.json

# Evaluate the committed policy checkpoints and draw the figures (out/eval/).
CKPT := training/checkpoints
eval: setup
	$(PY) training/eval_goal.py --checkpoints $(CKPT)/aqt_goal.pt $(CKPT)/cnn_goal.pt --out out/eval/goal \
	  --runs $(CKPT)/aqt_goal.metrics.jsonl $(CKPT)/cnn_goal.metrics.jsonl
	$(PY) training/eval_sketch.py --checkpoints $(CKPT)/aqt_sketch.pt $(CKPT)/cnn_sketch.pt --out out/eval/sketch \
	  --runs $(CKPT)/aqt_sketch.metrics.jsonl $(CKPT)/cnn_sketch.metrics.jsonl
	$(PY) training/plot_attention_goal.py --checkpoint $(CKPT)/aqt_goal.pt --out out/eval/attention/aqt_goal_attention.png

clean:
	rm -rf build out .pytest_cache .ruff_cache

distclean: clean
	rm -rf $(VENV)
