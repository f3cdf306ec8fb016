"""The two top-level jobs run end to end: the demo over real DDS, and the benchmark script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.ros
def test_demo_drives_one_episode_and_writes_gif_and_summary(tmp_path) -> None:
    out = tmp_path / "demo"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "run_demo.py"),
            "--out",
            str(out),
            "--layout",
            "office",
            "--seed",
            "1",
            "--rate",
            "20",
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] > 0 and summary["layout"] == "office"
    assert summary["reason"] in {"goal_reached", "max_steps"}
    assert summary["success"], summary  # the scripted driver reaches the goal on this layout
    # Lockstep over DDS runs exactly the episode the simulator runs in-process with the driver.
    from xai_sim import IndoorNavEnv, ScriptedDriver

    env = IndoorNavEnv(mode="goal")
    env.reset(seed=1, options={"layout": "office"})
    driver = ScriptedDriver(env.config.robot.turn_angle_rad)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(driver.act(env.pose, env.subgoal_xy))
        done = terminated or truncated
    assert summary["steps"] == info["step"] and summary["collisions"] == info["collisions"]
    line = (out / "summary.txt").read_text()
    assert line.startswith(f"steps={summary['steps']} collisions={summary['collisions']}")
    with Image.open(out / "episode.gif") as gif:
        # One frame per state the recorder received. Images are best effort (sensor QoS), so
        # a loaded machine may drop a few; most states must be there.
        assert 0.9 * (summary["steps"] + 1) <= gif.n_frames <= summary["steps"] + 1
        assert gif.size[0] > gif.size[1]  # three panels side by side


def test_bench_writes_results_json(tmp_path) -> None:
    out = tmp_path / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run_bench.py"),
            "--out",
            str(out),
            "--quick",
            "--repeats",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text())
    names = [r["name"] for r in report["results"]]
    assert any("84x84" in n for n in names) and any("640x480" in n for n in names)
    assert all(r["value"] > 0 for r in report["results"])
    assert "benchmark" in run.stdout  # the printed table
