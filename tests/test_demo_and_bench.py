"""The two top-level jobs run end to end: the demo over real DDS, and the benchmark script."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.ros
def test_demo_closes_the_loop_and_writes_every_output(tmp_path) -> None:
    out = tmp_path / "demo"
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "run_demo.py"),
            *("--out", str(out), "--episodes", "1", "--layout", "office", "--seed", "1"),
            *("--rate", "20", "--web-port", "0", "--timeout", "240"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"web viewer at http://127\.0\.0\.1:\d+/", run.stdout)
    summary = json.loads((out / "summary.json").read_text())
    (episode,) = summary["episodes"]
    # The learned policy, on the segmentation model's labels, over DDS, reaches the goal.
    assert episode["layout"] == "office" and episode["reason"] == "goal_reached", episode
    assert episode["decisions"] >= 0.9 * episode["steps"] > 0
    assert 0 < episode["decision_latency_ms_mean"] < 5000
    assert "mean decision latency" in run.stdout and "success=True" in run.stdout
    with Image.open(out / "episode.gif") as gif:
        # One frame per decided state; images are best effort, so a few may be missing.
        assert 0.8 * episode["steps"] <= gif.n_frames <= episode["steps"] + 1
        assert gif.size[0] > 3 * gif.size[1]  # camera+attention | labels | depth | top-down
    # The point-cloud snapshot has jet-coloured points (not just a background).
    snapshot = np.asarray(Image.open(out / "attention_cloud.png").convert("RGB")).astype(int)
    coloured = (snapshot.max(axis=-1) - snapshot.min(axis=-1)) > 80
    assert coloured.mean() > 0.05
    # The CURVE listener saw the attention clouds at <= 7 bytes per point.
    stats = json.loads((out / "bridge_stats.json").read_text())
    assert stats["frames"] > 0 and stats["curve"] is True
    assert stats["bytes_per_point"] <= 7.05
    # The run is a rosbag2 MCAP bag, and xai-eval's report recomputes the same decisions.
    assert list((out / "run").glob("*.mcap")) and (out / "run" / "metadata.yaml").exists()
    report = json.loads((out / "report" / "report.json").read_text())["runs"][0]
    # (The bag also holds the first decisions of the next episode, started before the stop.)
    assert report["decisions"]["count"] >= episode["decisions"]
    assert report["agreement"]["agreement"] == 1.0 and report["agreement"]["pairs"] > 0
    assert (out / "report" / "index.html").exists()


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
    assert any(n.startswith("attention cloud") for n in names)
    assert any(n.startswith("bridge") for n in names)
    assert any(n.startswith("policy_node decision latency") for n in names)
    assert any(
        "bag" in n and "MB/s" in r["unit"] for n, r in zip(names, report["results"], strict=True)
    )
    assert all(r["value"] > 0 or "not installed" in r["compared_with"] for r in report["results"])
    assert "benchmark" in run.stdout  # the printed table
