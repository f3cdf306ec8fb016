#!/usr/bin/env python3
"""The main demo (``make demo``): the simulated HSR drives one episode over real DDS.

Starts, as separate processes with the xai_bringup YAML files (the graph of sim.launch.py):
``sim_node`` (the robot), ``scripted_driver_node`` (follows the sub-goals until the learned
policy lands) and ``demo_recorder_node``, which writes ``<out>/episode.gif`` (first-person
semantic | depth | top-down) and ``<out>/summary.txt`` when the episode ends.

    python scripts/run_demo.py --out out/demo --layout office --seed 3
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from xai_core.dds import localhost_dds_env
from xai_core.process_graph import start_node

CONFIG = Path(sys.prefix) / "share" / "xai_bringup" / "config"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/demo", help="output directory")
    parser.add_argument("--layout", default="office", help="named layout, or '' for procedural")
    parser.add_argument("--seed", type=int, default=1, help="episode seed")
    parser.add_argument("--rate", type=float, default=10.0, help="control rate (Hz)")
    parser.add_argument("--timeout", type=float, default=180.0, help="give up after (s)")
    args = parser.parse_args()

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("episode.gif", "summary.txt", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    env = localhost_dds_env(domain_id=random.randint(10, 100))
    logs = out / "logs"
    # The recorder starts first and the driver last, so the recorder has joined the graph
    # before the first step (frames before discovery would be missing from the GIF).
    recorder = start_node(
        "xai_nodes",
        "demo_recorder_node",
        env,
        params_files=[CONFIG / "demo_recorder_node.yaml"],
        parameters={"output_dir": str(out)},
        log_dir=logs,
    )
    sim = start_node(
        "xai_nodes",
        "sim_node",
        env,
        params_files=[CONFIG / "sim_node.yaml"],
        parameters={
            "layout": args.layout,
            "seed": args.seed,
            "auto_reset": False,
            "control_rate_hz": args.rate,
        },
        log_dir=logs,
    )
    time.sleep(2.0)
    driver = start_node(
        "xai_nodes",
        "scripted_driver_node",
        env,
        params_files=[CONFIG / "scripted_driver_node.yaml"],
        log_dir=logs,
    )
    nodes = [sim, driver]
    print(
        f"demo: sim_node + scripted_driver_node + demo_recorder_node running "
        f"(layout={args.layout or 'procedural'}, seed={args.seed}); logs in {logs}"
    )
    start = time.monotonic()
    try:
        while recorder.alive() and time.monotonic() - start < args.timeout:
            if not all(node.alive() for node in nodes):
                dead = next(node for node in nodes if not node.alive())
                print(f"demo: {dead.name} exited early:\n{dead.log_tail()}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    finally:
        rc = recorder.stop()
        for node in nodes:
            node.stop()
    summary = out / "summary.txt"
    if rc != 0 or not summary.exists():
        print(
            f"demo: no summary after {time.monotonic() - start:.0f} s "
            f"(recorder exit {rc}):\n{recorder.log_tail()}",
            file=sys.stderr,
        )
        return 1
    print(f"demo: {summary.read_text().strip()}")
    print(f"demo: wrote {out / 'episode.gif'} and {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
