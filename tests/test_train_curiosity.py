"""Smoke runs of ``training/train_ppo_curiosity.py`` (each method, multi-room and Atari, resume)
and of ``training/eval_curiosity.py`` on their outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "training"))
import eval_curiosity  # noqa: E402
import train_ppo_curiosity  # noqa: E402

TRAIN = "train"  # the scripts run in-process (their main(argv)) to keep this file fast
TINY = [
    "--num-envs", "2", "--num-steps", "32", "--num-minibatches", "2", "--update-epochs", "1",
    "--obs-norm-init-steps", "8", "--hidden", "32", "--checkpoint-every", "2", "--no-progress",
    "--max-episode-steps", "40",
]  # fmt: skip


def _run(args: list[str]) -> dict:
    """Run ``train_ppo_curiosity.main`` (``args[0] == TRAIN``) or ``eval_curiosity.main``."""
    script, argv = args[0], args[1:]
    if script == TRAIN:
        return train_ppo_curiosity.main(argv)
    return eval_curiosity.main(argv)


def _records(run_dir: Path) -> list[dict]:
    return [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("curiosity")
    for method in ("ppo", "rnd", "seq_rnd"):
        _run([TRAIN, "--method", method, "--env", "multiroom", "--total-steps", "256", *TINY,
              "--runs-dir", str(root)])  # fmt: skip
    _run([TRAIN, "--method", "seq_rnd", "--env", "ALE/MontezumaRevenge-v5", "--total-steps", "64",
          "--atari-max-episode-steps", "50", *TINY[:-2], "--num-steps", "16",
          "--runs-dir", str(root)])  # fmt: skip
    return root


@pytest.mark.parametrize("method", ["ppo", "rnd", "seq_rnd"])
def test_each_method_trains_and_logs(runs: Path, method: str) -> None:
    run_dir = runs / "multiroom" / f"{method}_s1"
    cfg = json.loads((run_dir / "config.json").read_text())
    assert cfg["seq_len"] == {"ppo": 5, "rnd": 1, "seq_rnd": 5}[method]
    recs = _records(run_dir)
    its = [r for r in recs if r["type"] == "iteration"]
    eps = [r for r in recs if r["type"] == "episode"]
    assert [r["iteration"] for r in its] == [1, 2, 3, 4] and its[-1]["step"] == 256
    assert eps and all(r["length"] <= 40 for r in eps)  # 40-step episode limit
    assert its[-1]["rooms_visited"] >= 1 and 0 in its[-1]["rooms"]
    if method == "ppo":
        assert all(r["int_reward_raw_mean"] == 0.0 for r in its)
    else:
        assert all(r["int_reward_raw_mean"] > 0.0 for r in its)
        assert "rnd_loss" in its[-1]
    assert (run_dir / "final.pt").exists() and list((run_dir / "tb").iterdir())
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["global_step"] == 256


def test_resume_continues_without_duplicates(tmp_path: Path) -> None:
    common = [
        TRAIN,
        "--method",
        "seq_rnd",
        "--env",
        "multiroom",
        *TINY,
        "--runs-dir",
        str(tmp_path),
    ]
    _run([*common, "--total-steps", "128"])
    run_dir = tmp_path / "multiroom" / "seq_rnd_s1"
    assert [r["iteration"] for r in _records(run_dir) if r["type"] == "iteration"] == [1, 2]
    _run([*common, "--total-steps", "256", "--resume"])
    its = [r for r in _records(run_dir) if r["type"] == "iteration"]
    assert [r["iteration"] for r in its] == [1, 2, 3, 4]
    assert [r["step"] for r in its] == [64, 128, 192, 256]
    import torch

    state = torch.load(run_dir / "checkpoint.pt", weights_only=False)
    assert state["iteration"] == 4 and state["global_step"] == 256
    assert state["obs_rms"]["count"] > 256  # statistics carried over, not restarted
    _run([*common, "--total-steps", "256", "--resume"])  # already finished: nothing to add
    assert len([r for r in _records(run_dir) if r["type"] == "iteration"]) == 4
    assert json.loads((run_dir / "summary.json").read_text())["global_step"] == 256


def test_atari_smoke_run(runs: Path) -> None:
    run_dir = runs / "MontezumaRevenge" / "seq_rnd_s1"
    its = [r for r in _records(run_dir) if r["type"] == "iteration"]
    assert its[-1]["step"] == 64 and its[-1]["rooms"] == [1]  # Montezuma starts in room 1
    assert its[-1]["int_reward_raw_mean"] > 0


def test_eval_script_on_smoke_runs(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    _run(["eval", "--runs-dir", str(runs), "--out-dir", str(out), "--episodes", "4",
          "--atari-episodes", "1", "--num-envs", "2", "--trace-episodes", "2"])  # fmt: skip
    res = json.loads((out / "curiosity_results.json").read_text())
    mr = res["envs"]["multiroom"]
    assert set(mr["scores"]) == {"random", "ppo", "rnd", "seq_rnd"}
    assert mr["scores"]["random"]["n"] == 4 and mr["scores"]["random"]["mean"] == 0.0
    assert mr["rooms"]["ppo"]["seeds"] == 1
    trace = mr["intrinsic_trace"]
    assert len(trace["rnd"]["trace"]) == len(trace["seq_rnd"]["trace"]) == len(trace["rooms"])
    assert set(res["envs"]["MontezumaRevenge"]["scores"]) == {"random", "seq_rnd"}
    for name in ("returns_multiroom", "rooms_multiroom", "intrinsic_trace_multiroom",
                 "returns_MontezumaRevenge"):  # fmt: skip
        assert (out / f"curiosity_{name}.png").stat().st_size > 1000
    assert "PPO+Ours" in (out / "curiosity_results.md").read_text()
