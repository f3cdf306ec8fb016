#!/usr/bin/env python3
"""The main demo (``make demo``): the simulated HSR drives itself and explains every decision.

Starts the graph of ``xai_bringup/launch/sim.launch.py`` - read from the launch file itself
(:mod:`xai_core.launch_runner`), with its YAML files - as separate processes over real
(localhost) DDS:

    sim_node -> segmentation_node -> policy_node -> safety_node -> /cmd_vel -> sim_node (lockstep)
    depth + decision -> attention_cloud_node -> hololens_bridge_node -> ZeroMQ (CURVE)

plus the demo's observers: ``xai-bridge-gateway`` (web viewer at a printed URL),
``xai-bridge-listen`` (stream statistics), ``bag_recorder_node`` (the run as a rosbag2 MCAP bag)
and ``demo_recorder_node`` (GIF, point-cloud snapshot, per-episode summary); at the end
``xai-eval`` turns the bag into a report.

    python scripts/run_demo.py --out out/demo --episodes 3 --layout office --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from xai_bridge.keys import create_keypair
from xai_core.dds import localhost_dds_env
from xai_core.launch_runner import plan_launch, start_planned
from xai_core.process_graph import NodeProcess, start_node, start_process

REPO = Path(__file__).resolve().parents[1]
LAUNCH = REPO / "ros2_ws" / "src" / "xai_bringup" / "launch" / "sim.launch.py"
CONFIG = Path(sys.prefix) / "share" / "xai_bringup" / "config"
BIN = Path(sys.prefix) / "bin"
# Recorded: inputs, decisions, commands and status; not the clouds or label images (replaying
# the inputs through the stack recomputes them).
RECORD_EXCLUDE = [
    "/xai/attention_cloud",
    "/xai/semantic",
    "/xai/sim/semantic*",
    "/rosout",
    "/parameter_events",
]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/demo", help="output directory")
    parser.add_argument("--episodes", type=int, default=3, help="episodes to run")
    parser.add_argument("--layout", default="office", help="named layout, or '' for procedural")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first episode")
    parser.add_argument("--rate", type=float, default=10.0, help="control rate (Hz)")
    parser.add_argument("--camera", default="320x240", help="sim camera WIDTHxHEIGHT")
    parser.add_argument("--web-port", type=int, default=8765, help="web viewer port (0 = any)")
    parser.add_argument(
        "--ground-truth-segmentation",
        action="store_true",
        help="feed the policy the simulator's labels instead of the segmentation model's",
    )
    parser.add_argument("--no-record", action="store_true", help="do not record the run bag")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.camera.lower().split("x"))

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("episode.gif", "attention_cloud.png", "summary.txt", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    for stale_dir in ("run", "report", "keys"):
        shutil.rmtree(out / stale_dir, ignore_errors=True)
    env = localhost_dds_env(domain_id=random.randint(10, 100))
    logs = out / "logs"

    # CURVE keys: the bridge's pair, and one client pair (viewer + listener) on its allow-list.
    keys = out / "keys"
    server_public, server_secret = create_keypair(keys, "bridge")
    _, client_secret = create_keypair(keys, "viewer", allow_dir=keys / "allowed")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    web_port = args.web_port or free_port()
    curve_client = ["--server-public-key", str(server_public), "--client-secret-key"]

    graph = plan_launch(
        LAUNCH,
        {
            "layout": args.layout,
            "seed": str(args.seed),
            "use_ground_truth": str(args.ground_truth_segmentation).lower(),
            "bridge_endpoint": endpoint,
            "bridge_key": str(server_secret),
            "allowed_clients": str(keys / "allowed"),
        },
    )
    # The demo's own knobs on top of the launch file's configuration.
    extra = {
        "sim_node": {
            "control_rate_hz": args.rate,
            "reset_delay_s": 1.0,
            "sim.camera.width": width,
            "sim.camera.height": height,
        }
    }

    def observer(executable: str, parameters: dict) -> NodeProcess:
        return start_node(
            "xai_nodes",
            executable,
            env,
            params_files=[CONFIG / f"{executable}.yaml"],
            parameters=parameters,
            log_dir=logs,
        )

    # Observers and consumers first, the simulator last: all have joined before step 0.
    recorder = observer(
        "demo_recorder_node",
        {"output_dir": str(out), "episodes": args.episodes, "downsample": 1 if width <= 320 else 2},
    )
    nodes = []
    if not args.no_record:
        nodes.append(
            observer("bag_recorder_node", {"output": str(out / "run"), "exclude": RECORD_EXCLUDE})
        )
    nodes += start_planned([n for n in graph if n.name != "sim_node"], env, logs, extra)
    gateway = start_process(
        [
            *(str(BIN / "xai-bridge-gateway"), "--bridge", endpoint),
            *("--port", str(web_port), *curve_client, str(client_secret)),
        ],
        "xai-bridge-gateway",
        env,
        logs,
    )
    listener = start_process(
        [
            *(str(BIN / "xai-bridge-listen"), "--endpoint", endpoint, "--quiet"),
            *("--server-key", str(server_public), "--client-key", str(client_secret)),
            *("--json", str(out / "bridge_stats.json")),
        ],
        "xai-bridge-listen",
        env,
        logs,
    )
    nodes += [gateway, listener]
    time.sleep(3.0)
    nodes += start_planned([n for n in graph if n.name == "sim_node"], env, logs, extra)
    print(
        f"demo: closed loop running ({args.episodes} episodes, layout "
        f"{args.layout or 'procedural'}, seed {args.seed}; graph of {LAUNCH.name}: "
        f"{', '.join(n.name for n in graph)}); logs in {logs}\n"
        f"demo: web viewer at http://127.0.0.1:{web_port}/  (bridge {endpoint}, CURVE)"
    )
    start = time.monotonic()
    try:
        while recorder.alive() and time.monotonic() - start < args.timeout:
            if not all(n.alive() for n in nodes):
                dead = next(n for n in nodes if not n.alive())
                print(f"demo: {dead.name} exited early:\n{dead.log_tail()}", file=sys.stderr)
                return 1
            time.sleep(0.2)
    finally:
        rc = recorder.stop()
        listener.stop()  # SIGINT: the listener writes its JSON statistics
        for n in reversed(nodes):  # the simulator first, the bag recorder last
            n.stop()
    summary_path = out / "summary.json"
    if rc != 0 or not summary_path.exists():
        print(
            f"demo: no summary after {time.monotonic() - start:.0f} s "
            f"(recorder exit {rc}):\n{recorder.log_tail()}",
            file=sys.stderr,
        )
        return 1
    summary = json.loads(summary_path.read_text())
    for row in summary["episodes"]:
        print(
            f"demo: episode {row['episode']}: success={row['success']} "
            f"collisions={row['collisions']} steps={row['steps']} "
            f"mean decision latency {row['decision_latency_ms_mean']:.1f} ms"
        )
    stats_path = out / "bridge_stats.json"
    if stats_path.exists():
        stats = json.loads(stats_path.read_text())
        print(f"demo: bridge stream as a headset sees it: {_stats_line(stats)}")
    if not args.no_record:
        _evaluate(out)
    print(f"demo: wrote {', '.join(sorted(p.name for p in out.iterdir()))} in {out}")
    return 0


def _evaluate(out: Path) -> None:
    """Report of the recorded run (``xai-eval``); its failure is reported, not fatal."""
    run = subprocess.run(
        [str(BIN / "xai-eval"), str(out / "run"), "--out", str(out / "report"), "--no-progress"],
        capture_output=True,
        text=True,
    )
    if run.returncode == 0:
        print(f"demo: recorded the run to {out / 'run'}; report: {out / 'report' / 'index.html'}")
    else:
        print(f"demo: xai-eval failed: {run.stderr.strip()}", file=sys.stderr)


def _stats_line(stats: dict) -> str:
    keys = ("frames", "rate_hz", "points_per_frame", "bytes_per_point", "latency_ms_p50")
    return ", ".join(f"{k}={stats[k]:.4g}" for k in keys if k in stats)


if __name__ == "__main__":
    sys.exit(main())
