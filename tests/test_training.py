"""Smoke runs of the navigation training scripts (a few hundred steps, both models), resume,
export with manifest, and the evaluation / figure scripts on the result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY = [
    "--num-envs", "4", "--learning-starts", "100", "--train-frequency", "4",
    "--eval-every", "200", "--checkpoint-every", "200", "--buffer-size", "2000",
    "--batch-size", "8", "--target-update-interval", "10",
]  # fmt: skip
GOAL_EVAL = ["--eval-episodes", "2", "--final-eval-episodes", "2"]


def _run(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


@pytest.mark.parametrize("model", ["aqt_goal", "cnn_goal"])
def test_train_resume_export_and_evaluate(tmp_path, model: str) -> None:
    runs = tmp_path / "runs"
    export = tmp_path / "ckpt" / f"{model}.pt"
    common = [
        str(REPO / "training" / "train_dqn_goal.py"),
        "--model",
        model,
        *TINY,
        "--runs-dir",
        str(runs),
        "--run-name",
        "smoke",
    ]
    _run([*common, "--total-steps", "200"])
    state = runs / "smoke" / "train_state.pt"
    assert state.exists() and (runs / "smoke" / "metrics.jsonl").read_text().strip()
    # Running again with a larger budget resumes instead of starting over.
    second = _run([*common, "--total-steps", "400", "--export", str(export)])
    assert "resumed from" in second.stdout
    rows = [
        json.loads(line) for line in (runs / "smoke" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in rows] == [200, 400]
    manifest = json.loads(export.with_suffix(".json").read_text())
    assert manifest["model"] == model and manifest["env_steps"] == 400
    assert manifest["reference"]["action"] in range(4)
    assert "success_rate" in manifest["evaluation"]
    curve = export.with_suffix(".metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in curve] == [200, 400]

    out = tmp_path / "eval"
    _run(
        [
            str(REPO / "training" / "eval_goal.py"),
            "--checkpoints",
            str(export),
            "--episodes",
            "2",
            "--runs",
            str(runs / "smoke"),
            "--out",
            str(out),
        ]
    )
    results = json.loads((out / "results.json").read_text())
    assert results[model]["episodes"] == 2
    assert (out / "learning_curves.png").stat().st_size > 1000
    if model.startswith("aqt"):
        figure = tmp_path / "attention.png"
        _run(
            [
                str(REPO / "training" / "plot_attention_goal.py"),
                "--checkpoint",
                str(export),
                "--out",
                str(figure),
            ]
        )
        assert figure.stat().st_size > 10_000


@pytest.mark.parametrize("model", ["aqt_sketch", "cnn_sketch"])
def test_sketch_training_smoke_and_export(tmp_path, model: str) -> None:
    export = tmp_path / "ckpt" / f"{model}.pt"
    _run(
        [
            str(REPO / "training" / "train_dqn_sketch.py"),
            "--model",
            model,
            *TINY,
            "--total-steps",
            "200",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--export",
            str(export),
        ]
    )
    manifest = json.loads(export.with_suffix(".json").read_text())
    evaluation = manifest["evaluation"]
    assert set(evaluation["per_kind"]) == {"equal", "unequal", "curve"}
    assert len(evaluation["per_sketch"]) == 10 and evaluation["mean_ade"] > 0
    out = tmp_path / "eval"
    _run(
        [
            str(REPO / "training" / "eval_sketch.py"),
            "--checkpoints",
            str(export),
            "--runs",
            str(tmp_path / "runs" / f"dqn_sketch__{model}__1"),
            "--out",
            str(out),
        ]
    )
    table = (out / "results.md").read_text()
    assert all(f"| {kind} |" in table for kind in ("equal", "unequal", "curve", "**mean**"))
    assert (out / "trajectories.png").stat().st_size > 10_000
    assert (out / "learning_curves.png").stat().st_size > 1_000
