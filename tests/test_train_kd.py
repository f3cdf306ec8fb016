"""Smoke runs of the distillation scripts (tiny models, a few steps): SSL pre-training in both
official layouts, teacher adaptation, every distillation mode on a generated image folder with
a teacher / student patch-grid mismatch, export, figure and report. The scripts' ``main`` runs
in this process (one torch import for all)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from xai_core.kd.predictor import KDClassifier

REPO = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(f"kd_{name}", REPO / "training" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def teachers(tmp_path_factory) -> dict[str, Path]:
    """Tiny DINO- and MAE-style teachers pre-trained for 2 steps on digits, exported."""
    root = tmp_path_factory.mktemp("teachers")
    pretrain = _script("pretrain_kd_teacher")
    out = {}
    for method in ("dino", "mae"):
        export = root / "ckpt" / f"kd_teacher_{method}.pt"
        args = ["--method", method, "--model", "kd_nano", "--image-size", "16", "--steps", "2",
                "--batch-size", "8", "--eval-every", "1", "--warmup-steps", "1",
                "--out-dim", "16", "--decoder-dim", "12", "--runs-dir", str(root / "runs"),
                "--export", str(export)]  # fmt: skip
        if method == "dino":  # the committed recipe: BatchNorm head, 8 px local crops, warm-up
            args += ["--head-bn", "true", "--local-crops", "2", "--local-size", "8",
                     "--teacher-temp-start", "0.02", "--teacher-temp-warmup-steps", "2",
                     "--freeze-last-layer-steps", "1"]  # fmt: skip
        assert pretrain.main(args) == 0
        out[method] = export
    return out


def test_pretraining_exports_official_layouts(teachers) -> None:
    dino = torch.load(teachers["dino"], weights_only=True)
    assert "cls_token" in dino and "blocks.0.attn.qkv.weight" in dino and "model" not in dino
    mae = torch.load(teachers["mae"], weights_only=True)
    assert set(mae) == {"model"} and "decoder_pred.weight" in mae["model"]
    for method, path in teachers.items():
        manifest = json.loads(path.with_suffix(".json").read_text())
        for key in ("checkpoint", "model", "seed", "task", "config", "command", "steps",
                    "wall_time_s", "data", "evaluation"):  # fmt: skip
            assert key in manifest, key
        assert manifest["task"] == f"kd_teacher_{method}" and manifest["steps"] == 2
        curve = path.with_suffix(".metrics.jsonl").read_text().splitlines()
        assert [json.loads(r)["step"] for r in curve] == [1, 2]
        assert 0 <= manifest["evaluation"]["heldout_knn_top1"] <= 1


def test_adaptation_table(teachers, tmp_path: Path) -> None:
    args = ["--teacher-model", "kd_nano", "--image-size", "16", "--steps", "2", "--batch-size",
            "8", "--warmup-steps", "1", "--teacher-cl", str(teachers["dino"]), "--teacher-mim",
            str(teachers["mae"]), "--runs-dir", str(tmp_path), "--run-name", "adapt"]  # fmt: skip
    assert _script("adapt_kd_teachers").main(args) == 0
    rows = json.loads((tmp_path / "adapt" / "results.json").read_text())["rows"]
    assert [(r["teacher"], r["mode"]) for r in rows] == [
        (t, m) for t in ("dino", "mae") for m in ("linear", "partial1", "full")
    ]
    counts = [r["trainable_parameters"] for r in rows[:3]]
    assert counts[0] < counts[1] < counts[2] == rows[0]["total_parameters"]
    with pytest.raises(SystemExit):
        _script("adapt_kd_teachers").main([*args, "--modes", "linear,partial9"])
    # one teacher only (rows are seeded per row, so they match the full table's)
    one = [*args, "--teachers", "cl", "--modes", "linear", "--run-name", "adapt_cl"]
    assert _script("adapt_kd_teachers").main(one) == 0
    only = json.loads((tmp_path / "adapt_cl" / "results.json").read_text())["rows"]
    assert [(r["teacher"], r["mode"]) for r in only] == [("dino", "linear")]
    assert only[0]["top1"] == rows[0]["top1"]
    with pytest.raises(SystemExit):
        _script("adapt_kd_teachers").main([*args, "--teachers", "cl,vit"])
    # the report merges adaptation runs; a later run's rows replace an earlier one's
    out = tmp_path / "report"
    report = _script("report_kd")
    assert report.main(["--runs-dir", str(tmp_path), "--adapt-run", "adapt,adapt_cl",
                        "--out", str(out)]) == 0  # fmt: skip
    table = {r["mode"]: r for r in json.loads(out.with_suffix(".json").read_text())
             ["teacher_adaptation"]}  # fmt: skip
    assert set(table) == {"linear", "partial1", "full"}
    assert table["linear"]["runs"] == {"cl": "adapt_cl", "mim": "adapt"}
    assert table["full"]["runs"] == {"cl": "adapt", "mim": "adapt"}


def _folder(root: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, name in enumerate(("circle", "square", "stripe")):
        (root / name).mkdir(parents=True)
        for i in range(6):
            image = rng.integers(0, 60, (20, 24, 3), dtype=np.uint8)
            image[4 + k * 4 : 10 + k * 4] = 250
            Image.fromarray(image).save(root / name / f"{i}.png")
    return root


def test_every_mode_on_an_image_folder_then_report_and_figure(teachers, tmp_path: Path) -> None:
    data = _folder(tmp_path / "images")
    runs, export = tmp_path / "runs", tmp_path / "ckpt" / "kd_student.pt"
    train_kd = _script("train_kd")
    common = ["--data", str(data), "--student", "kd_student", "--teacher-model", "kd_nano",
              "--image-size", "16", "--steps", "3", "--batch-size", "6", "--eval-every", "2",
              "--warmup-steps", "1", "--teacher-cl", str(teachers["dino"]), "--teacher-mim",
              str(teachers["mae"]), "--runs-dir", str(runs)]  # fmt: skip
    for mode in ("baseline", "kd_cl", "kd_mim", "ours"):
        extra = ["--export", str(export)] if mode == "ours" else []
        assert train_kd.main([*common, "--mode", mode, *extra]) == 0
        result = json.loads((runs / f"kd_{mode}__1" / "results.json").read_text())
        teachers_used = {"baseline": set(), "kd_cl": {"cl"}, "kd_mim": {"mim"}}
        assert set(result["teachers"]) == teachers_used.get(mode, {"cl", "mim"})
        assert 0 <= result["student_top1"] <= 1 and result["heldout_images"] == 5
        rows = (runs / f"kd_{mode}__1" / "metrics.jsonl").read_text().splitlines()
        assert [json.loads(r)["step"] for r in rows] == [2, 3]
    ours = json.loads((runs / "kd_ours__1" / "results.json").read_text())
    # Teacher grid 4x4 (patch 4) vs student grid 2x2 (patch 8): the MIM head was distilled.
    assert ours["attention_heads"].keys() == {"mim_head"} and ours["lambda1"] == 0.5
    assert ours["teachers"]["mim"]["trainable_parameters"] < 8000
    manifest = json.loads(export.with_suffix(".json").read_text())
    assert manifest["task"] == "kd_student" and manifest["labels"] == ["circle", "square", "stripe"]
    for key in ("checkpoint", "model", "seed", "config", "command", "steps", "wall_time_s",
                "data", "evaluation"):  # fmt: skip
        assert key in manifest, key
    classifier = KDClassifier.from_checkpoint(export)
    result = classifier.classify(np.zeros((30, 20), np.uint8), top_k=2)
    assert len(result.labels) == 2 and result.attention.shape == (30, 20)
    with pytest.raises(SystemExit):
        train_kd.main([*common, "--mode", "teacherless"])

    out = tmp_path / "report" / "kd_results"
    assert _script("report_kd").main(["--runs-dir", str(runs), "--out", str(out)]) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert [r["mode"] for r in report["distillation"]] == ["baseline", "kd_cl", "kd_mim", "ours"]
    assert report["distillation"][3]["top1_mean"] == round(100 * ours["student_top1"], 2)
    assert report["distillation"][3]["top1_std"] == 0  # one seed
    assert "| Ours |" in out.with_suffix(".md").read_text()

    figure = tmp_path / "fig" / "kd_attention_distance.png"
    args = ["--teacher-cl", str(teachers["dino"]), "--teacher-mim", str(teachers["mae"]),
            "--teacher-model", "kd_nano", "--image-size", "16", "--images", "8",
            "--figure", str(figure)]  # fmt: skip
    assert _script("plot_kd_attention_distance").main(args) == 0
    numbers = json.loads(figure.with_suffix(".json").read_text())
    assert figure.stat().st_size > 5000
    for teacher in numbers["teachers"].values():
        assert len(teacher["blocks"]) == 2 and all(b["mean_px"] > 0 for b in teacher["blocks"])
