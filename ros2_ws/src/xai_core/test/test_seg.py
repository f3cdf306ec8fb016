"""Segmentation: model shapes, registry, checkpoints, predictor (incl. the committed checkpoint on
held-out renders), metrics on hand-made confusions, rendered data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from xai_core.seg.build import SEG_REGISTRY, build_seg_model, seg_model_kwargs
from xai_core.seg.checkpoint import CheckpointError, load_seg_checkpoint, save_seg_checkpoint
from xai_core.seg.data import named_worlds, procedural_worlds, render_set
from xai_core.seg.metrics import (
    confusion_matrix,
    grouped_scores,
    mean_iou,
    per_class_iou,
    pixel_accuracy,
)
from xai_core.seg.predictor import SegmentationPredictor, validate_rgb
from xai_sim import LABEL_COLORS, LABEL_NAMES

REPO = Path(__file__).resolve().parents[4]
COMMITTED = REPO / "training" / "checkpoints" / "segmentation.pt"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def nano_checkpoint(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    kwargs = seg_model_kwargs("unet_nano")
    path = tmp_path_factory.mktemp("seg") / "nano.pt"
    return save_seg_checkpoint(path, build_seg_model("unet_nano"), "unet_nano", kwargs, {"x": 1})


@pytest.mark.parametrize("name", list(SEG_REGISTRY))
@pytest.mark.parametrize("size", [(120, 160), (37, 53)])
def test_model_maps_rgb_to_per_pixel_logits_at_any_size(name: str, size) -> None:
    model = build_seg_model(name).eval()
    assert sum(p.numel() for p in model.parameters()) < 600_000
    with torch.no_grad():
        logits = model(torch.rand(2, 3, *size))
    assert logits.shape == (2, len(LABEL_NAMES), *size) and torch.isfinite(logits).all()
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        model(torch.rand(2, 1, *size))


def test_registry_rejects_unknown_names_and_arguments() -> None:
    with pytest.raises(ValueError, match="registered: unet_tiny"):
        build_seg_model("segformer_xxl")
    with pytest.raises(ValueError, match="no argument"):
        build_seg_model("unet_tiny", depth=9)


def test_checkpoint_round_trip_and_clear_errors(nano_checkpoint: Path, tmp_path: Path) -> None:
    model, payload = load_seg_checkpoint(nano_checkpoint)
    assert payload["model"] == "unet_nano" and payload["meta"] == {"x": 1}
    fresh = build_seg_model("unet_nano").eval()
    fresh.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 24, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(x), fresh(x))

    with pytest.raises(CheckpointError, match="does not exist"):
        load_seg_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_seg_checkpoint(tmp_path / "junk.pt")
    nav = REPO / "training" / "checkpoints" / "aqt_goal.pt"
    with pytest.raises(CheckpointError, match="xai-nav-checkpoint"):
        load_seg_checkpoint(nav)  # a navigation checkpoint is refused by format
    wider = save_seg_checkpoint(tmp_path / "wider.pt", build_seg_model("unet_tiny"), "unet_nano",
                                seg_model_kwargs("unet_nano"))  # fmt: skip
    with pytest.raises(CheckpointError, match="unet_nano needs"):
        load_seg_checkpoint(wider)


def test_predictor_answers_at_the_input_size_and_colours_like_the_policy(
    nano_checkpoint: Path,
) -> None:
    predictor = SegmentationPredictor.from_checkpoint(nano_checkpoint)
    assert predictor.input_size == (120, 160) and predictor.meta == {"x": 1}
    rng = np.random.default_rng(0)
    for shape in [(120, 160, 3), (480, 640, 3), (7, 300, 3), (1, 1, 3)]:
        labels = predictor.predict(rng.integers(0, 256, size=shape, dtype=np.uint8))
        assert labels.shape == shape[:2] and labels.dtype == np.uint8 and labels.max() < 4
    labels = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    np.testing.assert_array_equal(predictor.colorize(labels), LABEL_COLORS[labels])
    with pytest.raises(ValueError, match=r"labels must be in 0\.\.3"):
        predictor.colorize(np.array([[4]], dtype=np.uint8))
    with pytest.raises(ValueError, match="integer labels"):
        predictor.colorize(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="invalid torch device 'gpu0'"):
        SegmentationPredictor.from_checkpoint(nano_checkpoint, device="gpu0")


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((10, 10, 3), dtype=np.float32), "uint8"),
        (np.zeros((10, 10), dtype=np.uint8), r"\(H, W, 3\)"),
        (np.zeros((10, 10, 4), dtype=np.uint8), r"\(H, W, 3\)"),
        (np.zeros((0, 10, 3), dtype=np.uint8), "no pixels"),
        ([[0, 0, 0]], "numpy"),
    ],
)
def test_bad_images_raise_value_errors_that_say_why(nano_checkpoint: Path, image, message) -> None:
    with pytest.raises(ValueError, match=message):
        validate_rgb(image)
    with pytest.raises(ValueError, match=message):
        SegmentationPredictor.from_checkpoint(nano_checkpoint).predict(image)


def test_committed_checkpoint_segments_held_out_renders() -> None:
    manifest = json.loads(COMMITTED.with_suffix(".json").read_text())
    assert COMMITTED.stat().st_size < 2 * 2**20
    assert manifest["evaluation"]["heldout"]["miou"] >= 0.85
    predictor = SegmentationPredictor.from_checkpoint()  # the default is the committed one
    assert predictor.path == COMMITTED and predictor.name == manifest["model"]
    with pytest.raises(FileNotFoundError, match="not found"):
        SegmentationPredictor.from_checkpoint("no_such_segmenter")
    # Native camera size, a named layout no training world uses, held-out seed.
    data = render_set(named_worlds(["office", "apartment"], 1_000_000), 2, width=640, height=480)
    for rgb, truth in zip(data.rgb, data.labels, strict=True):
        assert (predictor.predict(rgb) == truth).mean() > 0.9
    # The stored reference render gives (up to float noise at class borders) the same labels.
    reference = manifest["reference"]
    stored = np.load(COMMITTED.with_name(reference["observation"]))
    counts = np.bincount(predictor.predict(stored["rgb"]).ravel(), minlength=4)
    np.testing.assert_allclose(counts, reference["label_counts"], atol=0.002 * stored["rgb"].size)


def test_metrics_on_a_hand_made_example() -> None:
    target = np.array([[0, 0, 1], [1, 2, 2]])
    prediction = np.array([[0, 1, 1], [1, 2, 0]])
    confusion = confusion_matrix(target, prediction, 4)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[0, 0], expected[0, 1], expected[1, 1], expected[2, 2], expected[2, 0] = 1, 1, 2, 1, 1
    np.testing.assert_array_equal(confusion, expected)
    # IoU: class 0: 1 / (1 + 1 + 1); class 1: 2 / (2 + 1); class 2: 1 / 2; class 3 absent -> NaN.
    iou = per_class_iou(confusion)
    np.testing.assert_allclose(iou[:3], [1 / 3, 2 / 3, 1 / 2])
    assert np.isnan(iou[3])
    assert mean_iou(confusion) == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert pixel_accuracy(confusion) == pytest.approx(4 / 6)
    scores = grouped_scores([confusion, confusion], ["a", "b"], LABEL_NAMES)
    assert scores["images"] == 2 and scores["pixels"] == 12
    assert scores["iou"]["person"] is None and set(scores["groups"]) == {"a", "b"}
    assert scores["groups"]["a"]["miou"] == pytest.approx(scores["miou"], abs=1e-4)
    with pytest.raises(ValueError, match="differ"):
        confusion_matrix(target, prediction[:1], 4)
    with pytest.raises(ValueError, match=r"0\.\.3"):
        confusion_matrix(target, prediction + 2, 4)


def test_rendered_sets_are_deterministic_and_labelled() -> None:
    worlds = procedural_worlds(7, 2) + named_worlds(["corridor"], 3)
    first = render_set(worlds, 2, width=32, height=24)
    again = render_set(worlds, 2, width=32, height=24)
    assert first.rgb.shape == (6, 24, 32, 3) and first.labels.shape == (6, 24, 32)
    np.testing.assert_array_equal(first.rgb, again.rgb)
    assert first.sources == ["procedural:7"] * 2 + ["procedural:8"] * 2 + ["corridor:3"] * 2
    assert first.labels.max() < 4 and first.class_frequencies().sum() == pytest.approx(1.0)
