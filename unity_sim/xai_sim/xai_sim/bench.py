"""Steps-per-second benchmark of ``IndoorNavEnv`` (single thread, random actions, auto-reset).

Run ``python -m xai_sim.bench`` to print the standard table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from .config import SimConfig
from .env import IndoorNavEnv


def measure_steps_per_second(
    width: int,
    height: int,
    with_rgb: bool = False,
    n_steps: int = 2000,
    seed: int = 0,
    mode: str = "goal",
    layout: str | None = None,
) -> float:
    """Environment steps per second, resets included.

    Args:
        width, height: policy (observation) resolution in pixels.
        with_rgb: additionally render the photo-like RGB camera image every step at the same
            resolution (what the ROS sim node publishes).
        n_steps: number of timed ``env.step`` calls.
        seed: seeds the env and the random actions.
        mode, layout: passed to ``IndoorNavEnv`` (layout None = procedural plan per reset).

    Returns:
        steps per second (wall clock).
    """
    env = IndoorNavEnv(
        SimConfig(policy_width=width, policy_height=height), mode=mode, layout=layout
    )
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, 4, size=n_steps)
    env.reset(seed=seed)
    env.step(0)  # warm the per-resolution ray tables outside the timed loop
    env.reset(seed=seed)
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if with_rgb:
            env.render_camera(width, height, with_rgb=True)
        if terminated or truncated:
            env.reset()
    return n_steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3000, help="steps per 84x84 measurement")
    args = parser.parse_args(argv)
    n = args.steps
    rows = [
        ("84x84 goal, procedural plan per reset", dict(width=84, height=84, n_steps=n)),
        ("84x84 goal, layout office", dict(width=84, height=84, n_steps=n, layout="office")),
        ("84x84 sketch (+ top-down map)", dict(width=84, height=84, n_steps=n, mode="sketch")),
        ("640x480 goal, depth + labels", dict(width=640, height=480, n_steps=max(n // 20, 50))),
        (
            "640x480 goal, + photo RGB",
            dict(width=640, height=480, n_steps=max(n // 40, 30), with_rgb=True),
        ),
    ]
    for name, kwargs in rows:
        print(f"{name:42s} {measure_steps_per_second(**kwargs):9.1f} steps/s", flush=True)


if __name__ == "__main__":
    main()
