"""training/train_sam.py and eval_sam.py at tiny sizes: the stages chain, each variant trains
exactly the parameters the issue names, runs resume, export writes a manifest, and the evaluation
writes the research's table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "training"))

import eval_sam  # noqa: E402
import train_sam  # noqa: E402

from xai_core.sam.checkpoint import load_sam  # noqa: E402

TINY = ["--train-images", "6", "--val-images", "2", "--images-per-step", "2",
        "--boxes-per-image", "3", "--eval-every", "2", "--threads", "1"]  # fmt: skip


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    cache = tmp_path_factory.mktemp("cache")
    args = ["--variant", "full", "--data", "shapes", "--steps", "2", "--runs-dir", str(runs),
            "--run-name", "pre", "--data-cache", str(cache), *TINY]  # fmt: skip
    assert train_sam.main(args) == 0
    return runs / "pre" / "best.pt"


@pytest.mark.parametrize(
    ("variant", "extra"),
    [("decoder", 0), ("learned_embedding", 2 * 256), ("prompt_token", 128 + 128 * 256 + 256)],
)
def test_each_variant_trains_the_mask_decoder_plus_its_own_parameters(variant, extra) -> None:
    model = train_sam.build(train_sam.Config(variant=variant))
    trainable = train_sam.set_trainable(model, variant)
    decoder = sum(p.numel() for p in model.mask_decoder.parameters())
    assert trainable == decoder + extra
    assert not any(p.requires_grad for p in model.image_encoder.parameters())
    names = {n for n, p in model.named_parameters() if p.requires_grad and "mask_decoder" not in n}
    if variant == "learned_embedding":
        assert names == {f"prompt_encoder.point_embeddings.{k}.weight" for k in (2, 3)}
    if variant == "prompt_token":  # SAM's learned embeddings stay frozen
        assert names == {"prompt_encoder.tolerance.token", "prompt_encoder.tolerance.proj.weight",
                         "prompt_encoder.tolerance.proj.bias"}  # fmt: skip


def test_finetune_from_pretrained_exports_resumes_and_evaluates(pretrained, tmp_path) -> None:
    runs, cache = tmp_path / "runs", tmp_path / "cache"
    exported = {}
    for variant in ("decoder", "learned_embedding", "prompt_token"):
        export = tmp_path / f"{variant}.pt"
        args = ["--variant", variant, "--init", str(pretrained), "--data", "em", "--steps", "2",
                "--runs-dir", str(runs), "--run-name", variant, "--data-cache", str(cache),
                "--export", str(export), *TINY]  # fmt: skip
        assert train_sam.main(args) == 0
        exported[variant] = export
    manifest = json.loads((tmp_path / "prompt_token.json").read_text())
    assert manifest["task"] == "sam" and manifest["variant"] == "prompt_token"
    assert manifest["steps"] == 2 and manifest["reference"]["iterations"]
    model, _ = load_sam(exported["prompt_token"])
    pre, _ = load_sam(pretrained)
    # The frozen image encoder is the pre-trained one (bit for bit up to float16 storage).
    for key, value in pre.image_encoder.state_dict().items():
        torch.testing.assert_close(model.image_encoder.state_dict()[key], value)
    lines = (runs / "prompt_token" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["step"] == 2
    # Resume: the finished run does not train again (no new validation line).
    args = ["--variant", "prompt_token", "--init", str(pretrained), "--steps", "2", "--runs-dir",
            str(runs), "--run-name", "prompt_token", "--data-cache", str(cache), *TINY]  # fmt: skip
    assert train_sam.main(args) == 0
    assert len((runs / "prompt_token" / "metrics.jsonl").read_text().splitlines()) == 1

    out = tmp_path / "eval" / "sam.json"
    figure = tmp_path / "eval" / "fig.png"
    assert eval_sam.main(["--decoder", str(exported["decoder"]),
                          "--learned-embedding", str(exported["learned_embedding"]),
                          "--prompt-token", str(exported["prompt_token"]), "--images", "2",
                          "--shifts", "0", "0.4", "--out", str(out),
                          "--figure", str(figure)]) == 0  # fmt: skip
    result = json.loads(out.read_text())
    assert set(result["rows"]) == {label for label, _, _ in eval_sam.ROWS}
    one_pass = result["rows"]["+ P"]["40%"]
    iterated = result["rows"]["+ P + K"]["40%"]
    assert one_pass["mean_iterations"] == 1.0 and 1.0 <= iterated["mean_iterations"] <= 5.0
    assert one_pass["instances"] == iterated["instances"] > 0
    assert 0.0 <= iterated["miou"] <= 1.0
    assert "| + P + K |" in out.with_suffix(".md").read_text()
    assert figure.stat().st_size > 10_000


def test_published_em_stacks_train_and_evaluate(pretrained, tmp_path) -> None:
    """ISBI 2012 and Lucchi layouts (written here with tifffile) feed both scripts."""
    import tifffile

    from xai_core.sam.synthetic import em_cells

    scenes = [em_cells(seed, size=96) for seed in range(4)]
    volume = np.stack([s.image for s in scenes])
    labels = np.stack([np.where(s.instances > 0, 255, 0).astype(np.uint8) for s in scenes])
    isbi, lucchi = tmp_path / "isbi", tmp_path / "lucchi"
    isbi.mkdir()
    lucchi.mkdir()
    tifffile.imwrite(isbi / "train-volume.tif", volume, photometric="minisblack")
    tifffile.imwrite(isbi / "train-labels.tif", labels, photometric="minisblack")
    for split in ("training", "testing"):
        tifffile.imwrite(lucchi / f"{split}.tif", volume, photometric="minisblack")
        tifffile.imwrite(lucchi / f"{split}_groundtruth.tif", labels, photometric="minisblack")
    for data, root in (("isbi2012", isbi), ("lucchi", lucchi)):
        export = tmp_path / f"{data}.pt"
        args = ["--variant", "prompt_token", "--init", str(pretrained), "--data", data,
                "--data-root", str(root), "--steps", "1", "--runs-dir", str(tmp_path / "runs"),
                "--run-name", data, "--export", str(export), *TINY]  # fmt: skip
        assert train_sam.main(args) == 0
        manifest = json.loads(export.with_suffix(".json").read_text())
        assert data in manifest["data"]
        out = tmp_path / f"{data}.json"  # the pre-trained SAM stands in for the other rows
        assert eval_sam.main(["--decoder", str(pretrained),
                              "--learned-embedding", str(pretrained),
                              "--prompt-token", str(export), "--data", data, "--data-root",
                              str(root), "--images", "2", "--shifts", "0", "--out",
                              str(out)]) == 0  # fmt: skip
        result = json.loads(out.read_text())
        assert result["rows"]["+ P"]["0%"]["instances"] > 4 and data in result["data"]


def test_bad_arguments_fail_with_one_line(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit, match="needs --data-root"):
        train_sam.main(["--data", "isbi2012", "--runs-dir", str(tmp_path)])
    assert eval_sam.main(["--decoder", str(tmp_path / "missing.pt")]) == 2
    assert "not found" in capsys.readouterr().err
