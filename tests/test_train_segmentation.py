"""Smoke run of the segmentation training script (a few steps on a few renders), resume, export
with manifest and figure, and the evaluation script on the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = [
    "--model", "unet_nano", "--train-worlds", "3", "--train-views", "2", "--val-worlds", "1",
    "--val-views", "2", "--heldout-worlds", "1", "--heldout-views", "1",
    "--heldout-layout-views", "1", "--batch-size", "2", "--eval-every", "2", "--warmup-steps", "1",
]  # fmt: skip


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_train_resume_export_and_evaluate(tmp_path: Path) -> None:
    runs, export = tmp_path / "runs", tmp_path / "ckpt" / "segmentation.pt"
    common = [str(REPO / "training" / "train_segmentation.py"), *TINY,
              "--runs-dir", str(runs), "--run-name", "smoke"]  # fmt: skip
    _run([*common, "--steps", "2"])
    assert (runs / "smoke" / "train_state.pt").exists()
    # Running again with a larger budget resumes instead of starting over.
    figure = tmp_path / "examples.png"
    second = _run([*common, "--steps", "4", "--export", str(export), "--figure", str(figure)])
    assert "resumed from" in second.stdout
    rows = [json.loads(x) for x in (runs / "smoke" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [2, 4]
    manifest = json.loads(export.with_suffix(".json").read_text())
    assert manifest["model"] == "unet_nano" and manifest["seed"] == 1
    for key in ("command", "steps", "wall_time_s", "data", "evaluation"):
        assert key in manifest, key
    heldout = manifest["evaluation"]["heldout"]
    assert heldout["images"] == 5
    assert set(heldout["iou"]) == {"wall", "floor", "furniture", "person"}
    assert {"procedural", "office", "apartment", "corridor", "open_hall"} == set(heldout["groups"])
    assert export.with_suffix(".obs.npz").exists() and figure.stat().st_size > 1000

    out = tmp_path / "eval.json"
    evaluate = [str(REPO / "training" / "eval_segmentation.py"), "--checkpoint", str(export)]
    _run(
        [*evaluate, "--width", "80", "--height", "60", "--latency-repeats", "2", "--out", str(out)]
    )
    result = json.loads(out.read_text())
    assert result["heldout"]["images"] == 5 and result["render_size"] == [60, 80]
    assert result["latency_ms"]["median"] > 0
    # A file that is not a segmentation checkpoint is refused with one readable line.
    bad = subprocess.run(
        [sys.executable, str(REPO / "training" / "eval_segmentation.py"), "--checkpoint",
         str(tmp_path / "missing.pt")], capture_output=True, text=True, timeout=60, cwd=REPO,
    )  # fmt: skip
    assert bad.returncode == 1 and "not found" in bad.stderr
