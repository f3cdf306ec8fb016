"""Smoke run of the PointPillars training script (few synthetic scans, few steps), resume,
export with manifest, and the LiDAR explanation evaluation on the exported checkpoint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_train_resume_export_and_explain(tmp_path: Path) -> None:
    runs, export = tmp_path / "runs", tmp_path / "ckpt" / "pointpillars_small.pt"
    common = [str(REPO / "training" / "train_pointpillars.py"),
              "--data-dir", str(tmp_path / "data"), "--train-scenes", "4", "--val-scenes", "2",
              "--batch-size", "2", "--eval-every", "2", "--warmup-steps", "1",
              "--runs-dir", str(runs), "--run-name", "smoke"]  # fmt: skip
    _run([*common, "--steps", "2"])
    assert (runs / "smoke" / "train_state.pt").exists()
    assert (tmp_path / "data" / "ImageSets" / "val.txt").read_text().split() == ["000004", "000005"]
    second = _run([*common, "--steps", "4", "--export", str(export)])
    assert "resumed from" in second.stdout
    assert "writing" not in second.stdout  # the synthetic tree is reused
    rows = [json.loads(x) for x in (runs / "smoke" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    manifest = json.loads(export.with_suffix(".json").read_text())
    assert manifest["model"] == "pointpillars_small" and manifest["seed"] == 1
    for key in ("command", "steps", "wall_time_s", "data", "evaluation"):
        assert key in manifest, key
    validation = manifest["evaluation"]["validation"]
    assert set(validation["ap_bev_r40"]) == {"Car", "Pedestrian", "Cyclist"}
    assert set(validation["ap_3d_r40"]) == {"Car", "Pedestrian", "Cyclist"}
    assert export.with_suffix(".metrics.jsonl").exists()

    out = tmp_path / "odam.json"
    _run([str(REPO / "training" / "eval_lidar_odam.py"), "--checkpoint", str(export),
          "--max-scenes", "1", "--score-threshold", "0.0", "--out", str(out)])  # fmt: skip
    result = json.loads(out.read_text())
    assert set(result["mapb"]) == {"ODAM", "Guided Grad-CAM", "Guided ODAM"}
    for row in result["mapb"].values():
        assert set(row) == {"Car", "Pedestrian", "Cyclist"}
    assert "| ODAM |" in result["table_markdown"]
