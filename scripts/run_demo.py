#!/usr/bin/env python3
"""The main demo (``make demo``): the simulated HSR drives itself and explains every decision.

Starts, as separate processes over real (localhost) DDS, with the xai_bringup YAML files:

    sim_node -> segmentation_node -> policy_node -> /cmd_vel -> sim_node   (closed loop)
    depth + decision -> attention_cloud_node -> hololens_bridge_node -> ZeroMQ (CURVE)
    ZeroMQ -> xai-bridge-gateway (web viewer at a printed URL) and xai-bridge-listen (stats)
    demo_recorder_node -> <out>/episode.gif, attention_cloud.png, summary.json / summary.txt

runs ``--episodes`` episodes, prints per-episode success, collisions and mean decision latency,
and writes the bridge's stream statistics to ``<out>/bridge_stats.json``.

    python scripts/run_demo.py --out out/demo --episodes 3 --layout office --seed 1
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import sys
import time
from pathlib import Path

from xai_bridge.keys import create_keypair
from xai_core.dds import localhost_dds_env
from xai_core.process_graph import NodeProcess, start_node, start_process

CONFIG = Path(sys.prefix) / "share" / "xai_bringup" / "config"
BIN = Path(sys.prefix) / "bin"


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
    parser.add_argument("--cloud-stride", type=int, default=2, help="attention cloud pixel stride")
    parser.add_argument("--web-port", type=int, default=8765, help="web viewer port (0 = any)")
    parser.add_argument(
        "--ground-truth-segmentation",
        action="store_true",
        help="feed the policy the simulator's labels instead of the segmentation model's",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (s)")
    args = parser.parse_args()

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("episode.gif", "attention_cloud.png", "summary.txt", "summary.json"):
        (out / stale).unlink(missing_ok=True)
    env = localhost_dds_env(domain_id=random.randint(10, 100))
    logs = out / "logs"

    # CURVE keys: the bridge's pair, and one client pair (viewer + listener) on its allow-list.
    keys = out / "keys"
    shutil.rmtree(keys, ignore_errors=True)
    server_public, server_secret = create_keypair(keys, "bridge")
    _, client_secret = create_keypair(keys, "viewer", allow_dir=keys / "allowed")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    web_port = args.web_port or free_port()
    curve_client = ["--server-public-key", str(server_public), "--client-secret-key"]

    def node(executable: str, parameters: dict | None = None, **kwargs) -> NodeProcess:
        return start_node(
            "xai_nodes",
            executable,
            env,
            params_files=[CONFIG / f"{executable}.yaml"],
            parameters=parameters,
            log_dir=logs,
            **kwargs,
        )

    # Consumers first, the simulator last: every node has joined the graph before step 0.
    recorder = node("demo_recorder_node", {"output_dir": str(out), "episodes": args.episodes})
    nodes = [
        node(
            "hololens_bridge_node",
            {
                "endpoint": endpoint,
                "server_secret_key": str(server_secret),
                "allowed_clients_dir": str(keys / "allowed"),
            },
        ),
        # Every 2nd pixel (77k points per frame): this 2-core machine also runs everything else.
        node("attention_cloud_node", {"stride": args.cloud_stride}),
        node("policy_node"),
        node("segmentation_node", {"use_ground_truth": args.ground_truth_segmentation}),
        start_process(
            [
                *(str(BIN / "xai-bridge-gateway"), "--bridge", endpoint),
                *("--port", str(web_port), *curve_client, str(client_secret)),
            ],
            "xai-bridge-gateway",
            env,
            logs,
        ),
        start_process(
            [
                *(str(BIN / "xai-bridge-listen"), "--endpoint", endpoint, "--quiet"),
                *("--server-key", str(server_public), "--client-key", str(client_secret)),
                *("--json", str(out / "bridge_stats.json")),
            ],
            "xai-bridge-listen",
            env,
            logs,
        ),
    ]
    time.sleep(3.0)
    nodes.append(
        node(
            "sim_node",
            {
                "layout": args.layout,
                "seed": args.seed,
                "control_rate_hz": args.rate,
                "reset_delay_s": 1.0,
            },
        )
    )
    print(
        f"demo: closed loop running ({args.episodes} episodes, layout "
        f"{args.layout or 'procedural'}, seed {args.seed}); logs in {logs}\n"
        f"demo: web viewer at http://127.0.0.1:{web_port}/  (bridge {endpoint}, CURVE)"
    )
    start = time.monotonic()
    listener = nodes[-2]
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
        for n in nodes:
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
    print(f"demo: wrote {', '.join(sorted(p.name for p in out.iterdir() if p.is_file()))} to {out}")
    return 0


def _stats_line(stats: dict) -> str:
    total = stats.get("total", stats)
    keys = ("frames", "rate_hz", "points_per_frame", "bytes_per_point", "latency_ms_p50")
    return ", ".join(f"{k}={total.get(k)}" for k in keys if k in total)


if __name__ == "__main__":
    sys.exit(main())
