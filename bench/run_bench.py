#!/usr/bin/env python3
"""``make bench``: speed of the pieces the robot loop depends on, against targets or peers.

Each benchmark is measured in this run next to what it is compared with (a target from the
issues, or a peer implementation timed in the same process), printed as a table and written to
``bench/results.json``. Timings on shared machines are noisy: each value is the best of
``--repeats`` runs.

    python bench/run_bench.py --out bench/results.json [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import struct
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from xai_core.pointcloud2 import array_to_cloud_buffer, cloud_to_array, pack_rgb, xyz_rgb_dtype
from xai_sim.bench import measure_steps_per_second


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_simulator(repeats: int, n_steps: int) -> list[dict]:
    """Simulator steps/s, single thread, random actions with auto-reset."""
    results = []
    cases = [
        # (width, height, textured RGB too, target steps/s, what the target stands for)
        (84, 84, False, 3000.0, "issue #2 target"),
        (640, 480, False, None, ""),
        (640, 480, True, 10.0, "sim_node at 10 Hz"),
    ]
    for width, height, with_rgb, target, why in cases:
        steps = n_steps if width * height < 10_000 else max(n_steps // 20, 30)
        channels = ["semantic", "depth", *(["RGB"] if with_rgb else [])]
        rate = max(
            measure_steps_per_second(width, height, with_rgb=with_rgb, n_steps=steps, seed=i)
            for i in range(repeats)
        )
        results.append(
            {
                "name": f"sim steps/s {width}x{height} ({'+'.join(channels)})",
                "value": round(rate, 1),
                "unit": "steps/s",
                "compared_with": f">= {target:.0f} steps/s ({why})" if target else "-",
                "ok": None if target is None else bool(rate >= target),
            }
        )
    return results


class _Field:
    def __init__(self, name: str, offset: int, datatype: int, count: int = 1) -> None:
        self.name, self.offset, self.datatype, self.count = name, offset, datatype, count


class _Cloud:
    """A PointCloud2 stand-in (same attributes) so the benchmark needs no ROS install."""


def bench_pointcloud2(repeats: int) -> list[dict]:
    """640x480 attention cloud: our structured-array codec vs. a struct.iter_unpack peer."""
    n = 640 * 480
    points = np.zeros(n, dtype=xyz_rgb_dtype(("attention",)))
    rng = np.random.default_rng(0)
    points["x"], points["y"], points["z"] = rng.random((3, n), dtype=np.float32)
    points["rgb"] = pack_rgb(rng.integers(0, 255, (n, 3), dtype=np.uint8))
    buffer = array_to_cloud_buffer(points)
    msg = _Cloud()
    msg.height, msg.width = buffer.height, buffer.width
    msg.fields = [_Field(f.name, f.offset, f.datatype, f.count) for f in buffer.fields]
    msg.is_bigendian, msg.point_step, msg.row_step = False, buffer.point_step, buffer.row_step
    msg.data = buffer.data

    pack_s = best_time(lambda: array_to_cloud_buffer(points), repeats)
    read_s = best_time(lambda: np.asarray(cloud_to_array(msg)["z"]).sum(), repeats)
    peer_s = best_time(lambda: sum(p[2] for p in struct.iter_unpack("<5f", msg.data)), 1)
    return [
        {
            "name": "PointCloud2 pack 640x480 x,y,z,rgb,attention",
            "value": round(pack_s * 1e3, 2),
            "unit": "ms",
            "compared_with": "< 33 ms (one 30 Hz frame)",
            "ok": bool(pack_s < 0.033),
        },
        {
            "name": "PointCloud2 read 640x480 + sum z",
            "value": round(read_s * 1e3, 3),
            "unit": "ms",
            "compared_with": f"struct.iter_unpack peer: {peer_s * 1e3:.0f} ms",
            "ok": bool(read_s < peer_s),
        },
    ]


def bench_policies(repeats: int, quick: bool) -> list[dict]:
    """Decision latency at batch 1, one thread, attention included; DQN updates per second."""
    import torch

    from xai_core.nav.build import build_model

    torch.set_num_threads(1)
    results = []
    n = 20 if quick else 200
    for name, target_ms in [("aqt_goal", 3.0), ("cnn_goal", None)]:
        model = build_model(name).eval()
        image, goal = torch.rand(1, 3, 84, 84), torch.rand(1, 3)
        with torch.no_grad():
            for _ in range(5):
                model(image, goal)
            latencies = []
            for _ in range(n):
                start = time.perf_counter()
                model(image, goal, need_weights=True)
                latencies.append(time.perf_counter() - start)
        p50 = float(np.median(latencies)) * 1e3
        results.append(
            {
                "name": f"{name} decision latency p50 (batch 1, 1 thread, attention)",
                "value": round(p50, 3),
                "unit": "ms",
                "compared_with": f"<= {target_ms} ms (issue #3 target)" if target_ms else "-",
                "ok": None if target_ms is None else bool(p50 <= target_ms),
            }
        )
    for name in ("aqt_goal", "cnn_goal"):
        rate = _updates_per_second(name, repeats, steps=3 if quick else 20)
        results.append(
            {
                "name": f"{name} DQN updates/s (batch 32, double-Q, 1 thread)",
                "value": round(rate, 1),
                "unit": "updates/s",
                "compared_with": "-",
                "ok": None,
            }
        )
    return results


def _updates_per_second(name: str, repeats: int, steps: int) -> float:
    """Double-Q DQN updates per second of model ``name`` at batch 32."""
    import torch

    from xai_core.nav.build import build_model
    from xai_core.rl.dqn import double_q_loss

    online, target = build_model(name), build_model(name)
    optimizer = torch.optim.Adam(online.parameters(), lr=1e-4)
    batch = (torch.rand(32, 3, 84, 84), torch.rand(32, 3))
    actions, rewards, dones = torch.randint(0, 4, (32,)), torch.rand(32), torch.zeros(32)

    def update() -> None:
        loss, _ = double_q_loss(online, target, batch, batch, actions, rewards, dones, 0.99)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    update()
    return steps / best_time(lambda: [update() for _ in range(steps)], repeats)


def bench_attention_cloud(quick: bool) -> list[dict]:
    """640x480 depth + 12x12 grid -> PointCloud2 bytes: ours vs Open3D vs a Python loop."""
    from attention_cloud_bench import run

    # The test suite's --quick smoke run works without Open3D; make bench installs and needs it.
    return run(repeats=5 if quick else 50, require_open3d=not quick)["results"]


def bench_bridge(quick: bool) -> list[dict]:
    """250k-point clouds at 30 Hz for 60 s over loopback (CURVE) to a subscriber process."""
    from xai_bridge.bench import stream_bench

    points, duration = (20_000, 3.0) if quick else (250_000, 60.0)
    r = stream_bench(points=points, rate_hz=30.0, duration_s=duration, curve=True)
    what = f"bridge {points // 1000}k pts @30 Hz {duration:.0f} s CURVE"
    scale = "peers: rosbridge+CBOR 250k pts @60 fps; ROS# 30 Hz clouds seen at 2 Hz"
    return [
        {
            "name": f"{what}: sustained rate at the subscriber",
            "value": round(r["rate_hz"], 2),
            "unit": "Hz",
            "compared_with": f">= 29 Hz; {scale}",
            "ok": bool(r["rate_hz"] >= 29.0),
        },
        {
            "name": f"{what}: bytes per point on the wire",
            "value": round(r["bytes_per_point"], 3),
            "unit": "B",
            "compared_with": "<= 7 B + header (issue #4); float32 x,y,z,rgb,attention = 20 B",
            "ok": bool(r["bytes_per_point"] <= 7.05),
        },
        {
            "name": f"{what}: latency p50 stamp -> decoded",
            "value": round(r["latency_ms_p50"], 1),
            "unit": "ms",
            "compared_with": "-",
            "ok": None,
        },
        {
            "name": f"{what}: latency p99 stamp -> decoded",
            "value": round(r["latency_ms_p99"], 1),
            "unit": "ms",
            "compared_with": "<= 50 ms (issue #4 target)",
            "ok": bool(r["latency_ms_p99"] <= 50.0),
        },
        {
            "name": f"{what}: publisher queue, max pending frames",
            "value": r["max_pending"],
            "unit": "frames",
            "compared_with": f"<= {r['topics']} (one per topic: no growth); "
            f"{r['replaced']} replaced, {r['gaps']} gaps",
            "ok": bool(r["max_pending"] <= r["topics"]),
        },
    ]


def bench_policy_node(quick: bool) -> list[dict]:
    """policy_node over DDS: image stamp -> /xai/decision received (640x480 semantic image)."""
    from policy_latency_bench import run

    r = run(duration_s=3.0 if quick else 20.0, rate_hz=10.0)
    return [
        {
            "name": f"policy_node decision latency p{p} (DDS round trip, AQT, 1 thread)",
            "value": round(r[f"p{p}_ms"], 1),
            "unit": "ms",
            "compared_with": f"< 100 ms (a 10 Hz tick); {r['decisions']}/{r['sent']} decided",
            "ok": bool(r[f"p{p}_ms"] < 100.0),
        }
        for p in (50, 99)
    ]


def bench_bag(quick: bool) -> list[dict]:
    """rosbag2 record / read MB/s (MCAP, sqlite3) next to the same bytes to a plain file."""
    from bag_bench import run

    return run(total_mb=20 if quick else 200, quick=quick)["results"]


def bench_unity(quick: bool) -> list[dict]:
    """UnityNavEnv over the Python player (ML-Agents gRPC) vs the simulator called directly."""
    from unity_bench import run

    return run(steps=200 if quick else 1000)["results"]


def bench_section(module: str, quick: bool) -> list[dict]:
    """Results of ``bench/<module>.py``'s ``run(quick)``: lidar_bench (PointPillars Hz and
    explanation time per box), sam_bench (K SAM iterations over one pass), kd_bench (distilled
    student vs teachers: latency and size)."""
    import importlib

    return importlib.import_module(module).run(quick=quick)["results"]


SECTIONS = {"sim", "pointcloud2", "policies", "attention_cloud", "bridge", "policy_node", "bag",
            "unity", "lidar", "sam", "kd"}  # fmt: skip


def print_table(results: list[dict]) -> None:
    """Print results as a fixed-width table."""
    rows = [("benchmark", "value", "compared with", "ok")]
    for r in results:
        ok = "-" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        rows.append((r["name"], f"{r['value']} {r['unit']}", r["compared_with"], ok))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main() -> int:
    parser = argparse.ArgumentParser(description="run the project's benchmarks")
    parser.add_argument("--out", default="bench/results.json")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer steps (smoke run)")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(SECTIONS),
        help="run these sections and replace their rows in an existing --out file",
    )
    args = parser.parse_args()
    n_steps = 300 if args.quick else 3000
    sections = {
        "sim": lambda: bench_simulator(args.repeats, n_steps),
        "pointcloud2": lambda: bench_pointcloud2(args.repeats),
        "policies": lambda: bench_policies(args.repeats, args.quick),
        "attention_cloud": lambda: bench_attention_cloud(args.quick),
        "bridge": lambda: bench_bridge(args.quick),
        "policy_node": lambda: bench_policy_node(args.quick),
        "bag": lambda: bench_bag(args.quick),
        "unity": lambda: bench_unity(args.quick),
        **{name: (lambda m=module: bench_section(m, args.quick)) for name, module in
           (("lidar", "lidar_bench"), ("sam", "sam_bench"), ("kd", "kd_bench"))},
    }  # fmt: skip
    assert set(sections) == SECTIONS
    results = [row for name in sections if not args.only or name in args.only
               for row in sections[name]()]  # fmt: skip
    if args.only and Path(args.out).exists():  # keep the other sections' rows, in order
        fresh = {row["name"] for row in results}
        kept = [
            r for r in json.loads(Path(args.out).read_text())["results"] if r["name"] not in fresh
        ]
        results = kept + results
    print_table(results)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
