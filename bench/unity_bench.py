"""ML-Agents protocol overhead: ``UnityNavEnv`` over the Python player vs ``IndoorNavEnv``.

The same random action sequence (goal mode, procedural floor plans, 84x84 observations, a reset
after every episode end) is stepped through ``IndoorNavEnv`` called directly and through
``UnityNavEnv`` -> ``UnityEnvironment`` (gRPC server) -> loopback -> the Python player (gRPC
client, another process) -> ``IndoorNavEnv``. The ratio of the two rates is the cost of the
protocol: serialising the five observations (about 310 kB of float32 per step), two process
hops and ``UnityEnvironment``'s own pipe between its gRPC thread and the caller. The player
sends images uncompressed by default; the PNG row is what a Unity camera sensor would send.

    python bench/unity_bench.py [--steps 500]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import time
from typing import Any

import numpy as np

import xai_sim.unity  # noqa: F401  (installs the protobuf loader before mlagents_envs)
from xai_sim import IndoorNavEnv
from xai_sim.unity import UnityNavEnv

TARGET_STEPS_S = 100.0
"""UnityNavEnv must not be what limits DQN training: 8 envs x 100 steps/s outrun the learner."""

WARMUP = 20


def _actions(steps: int, seed: int) -> list[int]:
    return [int(a) for a in np.random.default_rng(seed).integers(0, 4, WARMUP + steps)]


def _steps_per_second(env: Any, actions: list[int], seed: int) -> float:
    """Step ``env`` through ``actions`` (resetting at episode ends); rate after the warm-up."""
    env.reset(seed=seed)
    start = 0.0
    for i, action in enumerate(actions):
        if i == WARMUP:
            start = time.perf_counter()
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    return (len(actions) - WARMUP) / (time.perf_counter() - start)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _unity_rate(actions: list[int], seed: int, compression: str) -> float:
    """Steps/s of UnityNavEnv against a player subprocess sending ``compression`` images."""
    port = _free_port()
    command = [sys.executable, "-m", "xai_sim.unity.player", "--port", str(port)]
    player = subprocess.Popen(
        [*command, "--compression", compression, "--connect-timeout", "60"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        env = UnityNavEnv(None, base_port=port, timeout_wait=60)
        try:
            rate = _steps_per_second(env, actions, seed)
        finally:
            env.close()
        _, err = player.communicate(timeout=60)
        if player.returncode != 0:
            raise RuntimeError(f"player exited with {player.returncode}: {err[-2000:]}")
        return rate
    finally:
        if player.poll() is None:
            player.kill()
            player.wait()


def run(steps: int = 500, seed: int = 0) -> dict[str, Any]:
    """Measure both rates on the same action sequence.

    Returns:
        ``{"steps", "direct_steps_s", "unity_steps_s", "unity_png_steps_s", "ratio",
        "overhead_ms", "results": [rows for bench/run_bench.py]}``.
    """
    actions = _actions(steps, seed)
    direct = _steps_per_second(IndoorNavEnv(mode="goal"), actions, seed)
    unity = _unity_rate(actions, seed, "none")
    unity_png = _unity_rate(actions, seed, "png")
    ratio = unity / direct
    overhead_ms = (1.0 / unity - 1.0 / direct) * 1e3
    what = "goal mode, 84x84, gRPC loopback to the Python player"
    rows = [
        {
            "name": f"UnityNavEnv steps/s ({what}, float observations)",
            "value": round(unity, 1),
            "unit": "steps/s",
            "compared_with": f"IndoorNavEnv direct {direct:.0f} steps/s; "
            f">= {TARGET_STEPS_S:.0f} steps/s",
            "ok": bool(unity >= TARGET_STEPS_S),
        },
        {
            "name": f"UnityNavEnv steps/s ({what}, PNG semantic + top-down)",
            "value": round(unity_png, 1),
            "unit": "steps/s",
            "compared_with": f"float observations {unity:.0f} steps/s",
            "ok": None,
        },
        {
            "name": "ML-Agents protocol overhead: UnityNavEnv / IndoorNavEnv steps/s",
            "value": round(ratio, 3),
            "unit": "x",
            "compared_with": f"{unity:.0f} / {direct:.0f} steps/s; +{overhead_ms:.2f} ms per step",
            "ok": None,
        },
    ]
    return {
        "steps": steps,
        "direct_steps_s": round(direct, 1),
        "unity_steps_s": round(unity, 1),
        "unity_png_steps_s": round(unity_png, 1),
        "ratio": round(ratio, 4),
        "overhead_ms": round(overhead_ms, 3),
        "results": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(run(args.steps, args.seed), indent=2))


if __name__ == "__main__":
    main()
