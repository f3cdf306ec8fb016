"""Student checkpoints, the numpy-facing classifier, the data sets, and the committed student."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from xai_core.checkpoint_io import CheckpointError
from xai_core.images import to_rgb_uint8
from xai_core.kd.build import build_vit, vit_kwargs
from xai_core.kd.checkpoint import load_kd_checkpoint, save_kd_checkpoint
from xai_core.kd.data import augment, digits_sets, folder_sets
from xai_core.kd.predictor import KDClassifier
from xai_core.paths import checkpoint_dir

torch.set_num_threads(1)
META = {"labels": list("abcdefghij"), "image_size": 16, "mean": 0.5, "std": 0.5}


def _saved(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    kwargs = vit_kwargs("kd_nano")
    return save_kd_checkpoint(tmp_path / "s.pt", build_vit("kd_nano", **kwargs), "kd_nano",
                              kwargs, META)  # fmt: skip


def test_checkpoint_round_trip_and_refusals(tmp_path: Path) -> None:
    path = _saved(tmp_path)
    model, payload = load_kd_checkpoint(path)
    assert payload["meta"]["labels"] == META["labels"] and not model.training
    with pytest.raises(ValueError, match="labels"):
        save_kd_checkpoint(tmp_path / "x.pt", model, "kd_nano", vit_kwargs("kd_nano"),
                           {**META, "labels": ["a"]})  # fmt: skip
    torch.save({"format": "xai-seg-checkpoint", "version": 1}, tmp_path / "seg.pt")
    with pytest.raises(CheckpointError, match="not an xai-kd-checkpoint"):
        load_kd_checkpoint(tmp_path / "seg.pt")
    bad = torch.load(path, weights_only=True)
    bad["state_dict"]["head.weight"] = torch.zeros(3, 16)
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=r"head\.weight"):
        load_kd_checkpoint(tmp_path / "bad.pt")


def test_classifier_any_size_grey_or_rgb(tmp_path: Path) -> None:
    clf = KDClassifier.from_checkpoint(_saved(tmp_path))
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    result = clf.classify(rgb, top_k=3)
    assert len(result.labels) == len(result.class_ids) == len(result.probabilities) == 3
    assert result.probabilities == sorted(result.probabilities, reverse=True)
    assert [META["labels"][i] for i in result.class_ids] == result.labels
    assert result.attention.shape == (37, 53) and result.attention.dtype == np.uint8
    assert result.attention.max() == 255
    grey = clf.classify(rgb[..., 0], top_k=50)
    assert len(grey.labels) == 10 and abs(sum(grey.probabilities) - 1) < 1e-5
    # The same picture as grey and as 3 equal channels gives the same answer.
    same = clf.classify(np.repeat(rgb[..., :1], 3, axis=2), top_k=10)
    assert np.allclose(same.probabilities, grey.probabilities, atol=1e-6)
    for bad, match in ((rgb.astype(np.float32), "uint8"), (rgb[..., :2], "shape"),
                       (np.zeros((0, 4, 3), np.uint8), "no pixels"),
                       ([1, 2], "numpy")):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            clf.classify(bad)
    assert to_rgb_uint8(np.zeros((2, 2, 1), np.uint8)).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="invalid torch device"):
        KDClassifier.from_checkpoint(_saved(tmp_path), device="gpu9")


def test_digits_split_and_augmentation() -> None:
    train, held = digits_sets(32)
    assert len(train) + len(held) == 1797 and len(held) == 540
    assert (
        train.images.shape[1:] == (3, 32, 32) and 0 <= train.images.min() <= train.images.max() <= 1
    )
    assert set(held.labels.tolist()) == set(range(10))
    # Disjoint: no held-out image equals a training image.
    flat_t, flat_h = (
        train.images[:, 0].reshape(len(train), -1),
        held.images[:, 0].reshape(len(held), -1),
    )
    assert torch.cdist(flat_h, flat_t).min() > 0
    images, _ = train.batch(np.arange(8))
    out = augment(images, torch.Generator().manual_seed(0), jitter=0.2)
    assert out.shape == images.shape and out.min() >= 0 and out.max() <= 1
    assert not torch.allclose(out, images)
    again = augment(images, torch.Generator().manual_seed(0), jitter=0.2)
    assert torch.equal(out, again)


def test_image_folder_sets(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)).save(
                tmp_path / cls / f"{i}.png"
            )
    train, held = folder_sets(tmp_path, 16)
    assert len(train) == 7 and len(held) == 3 and train.classes == ["cat", "dog"]
    images, labels = held.batch(np.arange(3))
    assert images.shape == (3, 3, 16, 16) and labels.tolist() == held.labels.tolist()


def test_committed_student_classifies_heldout_digits() -> None:
    path = checkpoint_dir() / "kd_student.pt"
    manifest = json.loads(path.with_suffix(".json").read_text())
    for key in ("checkpoint", "model", "seed", "task", "config", "command", "steps",
                "wall_time_s", "data", "evaluation"):  # fmt: skip
        assert key in manifest, key
    assert path.stat().st_size < 5_000_000
    clf = KDClassifier.from_checkpoint("kd_student")
    assert clf.labels == [str(d) for d in range(10)]
    from sklearn.datasets import load_digits

    digits = load_digits()
    # The predictor sees raw 8x8 uint8 digits (0..16 -> 0..255) and resizes them itself.
    index = _heldout_indices()[:200]
    images = np.round(digits.images[index] * 255 / 16).astype(np.uint8)
    predicted = [int(clf.classify(im, top_k=1).class_ids[0]) for im in images]
    accuracy = float(np.mean(np.array(predicted) == digits.target[index]))
    reported = manifest["evaluation"]["student_top1"]
    assert accuracy >= 0.85 and abs(accuracy - reported) < 0.08, (accuracy, reported)


def _heldout_indices() -> np.ndarray:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    target = load_digits().target
    _, held = train_test_split(np.arange(len(target)), test_size=0.3, random_state=0,
                               stratify=target)  # fmt: skip
    return np.sort(held)
