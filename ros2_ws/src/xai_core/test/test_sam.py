"""SAM (issue #9): registry, official-checkpoint loading, the prompt token, box rules, the
synthetic EM generator, the predictor's cache / checks / iteration rule, project checkpoints and
the committed fine-tuned checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from xai_core.checkpoint_io import CheckpointError
from xai_core.sam.boxes import (
    TRAIN_SHIFTS,
    boxes_from_instances,
    change_rate,
    mask_iou,
    mask_to_box,
    random_shift_boxes,
    resize_boxes,
)
from xai_core.sam.build import SAM_CONFIGS, build_sam
from xai_core.sam.checkpoint import load_sam, save_sam
from xai_core.sam.model import PromptTunedPromptEncoder
from xai_core.sam.predictor import BadBoxes, BadImage, SamBoxPredictor, as_rgb
from xai_core.sam.synthetic import em_cells, shapes_scene

REPO = Path(__file__).resolve().parents[4]
COMMITTED = REPO / "training" / "checkpoints" / "sam_em_prompt.pt"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def small_sam():
    torch.manual_seed(0)
    return build_sam("sam_small")


def test_registry_has_the_official_sizes_and_the_small_config() -> None:
    assert {"vit_b", "vit_l", "vit_h", "sam_small"} <= set(SAM_CONFIGS)
    assert SAM_CONFIGS["vit_b"].embed_dim == 768 and SAM_CONFIGS["vit_h"].depth == 32
    with pytest.raises(KeyError, match="unknown SAM 'vit_x'"):
        build_sam("vit_x")


def test_small_sam_shapes(small_sam) -> None:
    image = torch.rand(1, 3, 256, 256) * 255
    with torch.no_grad():
        embedding = small_sam.image_encoder(small_sam.preprocess(image))
        assert embedding.shape == (1, 256, 16, 16)
        sparse, dense = small_sam.prompt_encoder(None, torch.tensor([[10.0, 20, 90, 120]]), None)
        assert sparse.shape == (1, 2, 256) and dense.shape == (1, 256, 16, 16)


def test_official_checkpoint_layout_loads_and_mismatches_are_named(tmp_path) -> None:
    torch.manual_seed(1)
    plain = build_sam("sam_small", prompt_token=False)
    path = tmp_path / "sam_small_official.pth"
    torch.save(plain.state_dict(), path)  # the published files: a bare state dict
    loaded = build_sam("sam_small", prompt_token=True, checkpoint=path)
    reference = plain.state_dict()
    for key, value in loaded.state_dict().items():
        base = key.replace("prompt_encoder.base.", "prompt_encoder.")
        if base in reference:
            assert torch.equal(value, reference[base]), key
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"model": plain.state_dict()}, wrapped)
    build_sam("sam_small", prompt_token=False, checkpoint=wrapped)
    broken = dict(plain.state_dict())
    broken.pop("mask_decoder.iou_token.weight")
    torch.save(broken, tmp_path / "missing.pth")
    with pytest.raises(CheckpointError, match=r"1 missing \['mask_decoder.iou_token.weight'\]"):
        build_sam("sam_small", checkpoint=tmp_path / "missing.pth")
    broken["mask_decoder.iou_token.weight"] = torch.zeros(2, 256)  # e.g. another variant
    torch.save(broken, tmp_path / "shape.pth")
    with pytest.raises(
        CheckpointError, match=r"'mask_decoder.iou_token.weight' has shape \(2, 256\)"
    ):
        build_sam("sam_small", checkpoint=tmp_path / "shape.pth")
    with pytest.raises(CheckpointError, match="does not exist"):
        build_sam("sam_small", checkpoint=tmp_path / "nope.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        build_sam("sam_small", checkpoint=tmp_path / "junk.pth")


def test_prompt_token_is_128d_mapped_to_256_and_added_to_sparse_embeddings(small_sam) -> None:
    encoder = small_sam.prompt_encoder
    assert isinstance(encoder, PromptTunedPromptEncoder)
    assert encoder.tolerance.token.shape == (128,)
    assert encoder.tolerance.proj.in_features == 128 and encoder.tolerance.proj.out_features == 256
    boxes = torch.tensor([[10.0, 20, 90, 120], [0, 0, 30, 30]])
    with torch.no_grad():
        sparse, dense = encoder(None, boxes, None)
        base_sparse, base_dense = encoder.base(None, boxes, None)
        added = encoder.tolerance.proj(encoder.tolerance.token)
    torch.testing.assert_close(sparse, base_sparse + added)
    torch.testing.assert_close(dense, base_dense)
    assert encoder.image_embedding_size == (16, 16)  # attributes of the wrapped encoder


def test_box_rules() -> None:
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:9] = True
    box = mask_to_box(mask)
    np.testing.assert_array_equal(box, [3, 2, 9, 5])
    assert mask_to_box(np.zeros((4, 4), bool)) is None
    big = resize_boxes(box, 0.4, 0.4)[0]
    np.testing.assert_allclose(big[2] - big[0], 6 * 1.4, rtol=1e-6)
    np.testing.assert_allclose((big[0] + big[2]) / 2, 6.0)  # centre kept
    small = resize_boxes(box, -0.4, -0.4)[0]
    np.testing.assert_allclose(small[3] - small[1], 3 * 0.6, rtol=1e-6)
    other = mask.copy()
    other[2, 3:9] = False  # 6 pixels changed over an 18-pixel box
    assert change_rate(mask, other, box) == pytest.approx(6 / 18)
    assert mask_iou(mask, other) == pytest.approx(12 / 18)
    instances = np.zeros((6, 6), np.int32)
    instances[0:2, 0:3] = 4
    instances[3:6, 4] = 7
    ids, boxes = boxes_from_instances(instances)
    assert ids.tolist() == [4, 7]
    np.testing.assert_array_equal(boxes, [[0, 0, 3, 2], [4, 3, 5, 6]])


def test_training_box_resize_follows_the_issue_schedule() -> None:
    rng = np.random.default_rng(0)
    boxes = np.tile(np.array([[100.0, 100, 200, 150]], np.float32), (20000, 1))
    shifted = random_shift_boxes(boxes, rng)
    width = (shifted[:, 2] - shifted[:, 0]) / 100 - 1
    height = (shifted[:, 3] - shifted[:, 1]) / 50 - 1
    magnitude = np.round(np.abs(width), 3)
    np.testing.assert_array_equal(magnitude, np.round(np.abs(height), 3))  # one size per box
    for size, probability in TRAIN_SHIFTS:
        assert np.mean(magnitude == size) == pytest.approx(probability, abs=0.015)
    changed = magnitude > 0
    assert np.mean(width[changed] > 0) == pytest.approx(0.5, abs=0.03)  # both signs
    assert np.mean((width[changed] > 0) == (height[changed] > 0)) == pytest.approx(0.5, abs=0.03)


def test_em_generator_is_seeded_with_membrane_bounded_cells_of_varied_size() -> None:
    a, b = em_cells(7), em_cells(7)
    np.testing.assert_array_equal(a.image, b.image)
    assert not np.array_equal(a.image, em_cells(8).image)
    assert a.image.dtype == np.uint8 and a.image.shape == (256, 256)
    inst = a.instances
    # Different cells never touch: a membrane (id 0) lies between them.
    for left, right in ((inst[:, :-1], inst[:, 1:]), (inst[:-1], inst[1:])):
        touching = (left > 0) & (right > 0) & (left != right)
        assert not touching.any()
    areas = np.bincount(inst.ravel())[1:]
    assert len(a.ids) >= 6 and areas.max() > 2.5 * np.median(areas)  # varied sizes
    membrane = inst == 0
    assert a.image[membrane].mean() < a.image[~membrane].mean() - 40  # dark membranes
    ids, boxes = boxes_from_instances(inst)
    np.testing.assert_array_equal(ids, a.ids)
    np.testing.assert_array_equal(boxes, a.boxes)
    scene = shapes_scene(3)
    assert len(scene.ids) >= 1 and scene.image.shape == (256, 256)


def test_predictor_caches_the_embedding_and_checks_inputs(small_sam) -> None:
    predictor = SamBoxPredictor(small_sam)
    scene = em_cells(0)
    with pytest.raises(BadBoxes, match="no image set"):
        predictor.check_boxes(scene.boxes)
    assert predictor.set_image(scene.image) is True
    assert predictor.set_image(scene.image.copy()) is False  # same pixels: no encoder run
    assert predictor.encoder_runs == 1
    assert predictor.set_image(np.repeat(scene.image[..., None], 3, 2)) is False  # same as RGB
    changed = scene.image.copy()
    changed[0, 0] ^= 1  # one pixel differs: encode again
    assert predictor.set_image(changed) is True and predictor.encoder_runs == 2
    with pytest.raises(BadBoxes, match="box 1: degenerate"):
        predictor.check_boxes([[0, 0, 10, 10], [5, 5, 5, 9]])
    with pytest.raises(BadBoxes, match="box 0: entirely outside"):
        predictor.check_boxes([[300, 10, 320, 20]])
    with pytest.raises(BadBoxes, match="finite"):
        predictor.check_boxes([[0, 0, np.nan, 10]])
    with pytest.raises(BadBoxes, match="N x 4"):
        predictor.check_boxes(np.zeros((2, 3)))
    clipped = predictor.check_boxes([[-5, 10, 40, 300], [1, 1, 9, 9]])
    np.testing.assert_array_equal(clipped[0], [0, 10, 40, 256])
    assert predictor.last_clipped == [0]
    with pytest.raises(BadImage, match="uint8"):
        as_rgb(np.zeros((4, 4), np.float32))
    with pytest.raises(BadImage, match=r"\(H, W\) or \(H, W, 3\)"):
        as_rgb(np.zeros((4, 4, 2), np.uint8))


def test_predictor_masks_have_the_callers_size_for_any_image_shape(small_sam) -> None:
    predictor = SamBoxPredictor(small_sam)
    image = np.random.default_rng(0).integers(0, 255, (120, 200, 3), dtype=np.uint8)
    predictor.set_image(image)
    results = predictor.predict_boxes(predictor.check_boxes([[10, 10, 90, 100]]), iterate=False)
    assert len(results) == 1 and results[0].mask.shape == (120, 200)
    assert results[0].iterations == 1 and len(results[0].history) == 1


def test_project_checkpoint_round_trip(tmp_path, small_sam) -> None:
    path = save_sam(tmp_path / "s.pt", small_sam, meta={"note": "test"})
    model, payload = load_sam(path)
    assert isinstance(model.prompt_encoder, PromptTunedPromptEncoder)
    assert payload["meta"]["note"] == "test"
    for key, value in small_sam.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, atol=2e-3, rtol=2e-3)
    torch.save({"format": "xai-seg-checkpoint", "version": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not an xai-sam-checkpoint"):
        load_sam(tmp_path / "other.pt")


@pytest.fixture(scope="module")
def committed() -> SamBoxPredictor:
    return SamBoxPredictor.from_checkpoint(COMMITTED)


def test_committed_checkpoint_reproduces_its_manifest(committed) -> None:
    manifest = json.loads(COMMITTED.with_suffix(".json").read_text())
    for key in ("command", "config", "seed", "steps", "wall_time_s", "evaluation", "data"):
        assert key in manifest, key
    assert manifest["task"] == "sam" and manifest["variant"] == "prompt_token"
    reference = manifest["reference"]
    observation = np.load(COMMITTED.with_name(reference["observation"]))
    committed.set_image(observation["image"])
    results = committed.predict_boxes(np.array(reference["boxes"], np.float32), iterate=True)
    areas = [int(r.mask.sum()) for r in results]
    np.testing.assert_allclose(areas, reference["mask_areas"], rtol=0.02, atol=5)
    assert [r.iterations for r in results] == reference["iterations"]


def _box_iou(box: np.ndarray, target: np.ndarray) -> float:
    """IoU of a box rectangle used as the mask itself."""
    mask = np.zeros_like(target)
    x0, y0, x1, y1 = np.round(box).astype(int)
    mask[y0:y1, x0:x1] = True
    return mask_iou(mask, target)


def test_committed_checkpoint_beats_the_box_itself_on_unseen_cells_and_follows_the_iteration_rule(
    committed,
) -> None:
    scene = em_cells(1_000_123)  # a seed no training or validation scene used
    targets = [scene.instances == i for i in scene.ids]
    committed.set_image(scene.image)
    exact = committed.predict_boxes(scene.boxes, iterate=False)
    assert np.mean([mask_iou(r.mask, t) for r, t in zip(exact, targets, strict=True)]) > 0.5
    model, floor = [], []
    for shift in (0.4, -0.4):  # boxes 40 % too big / too small: the learned prior must help
        boxes = resize_boxes(scene.boxes, shift, shift).clip(0, 256)
        results = committed.predict_boxes(boxes, iterate=False)
        model += [mask_iou(r.mask, t) for r, t in zip(results, targets, strict=True)]
        floor += [_box_iou(b, t) for b, t in zip(boxes, targets, strict=True)]
    assert np.mean(model) > np.mean(floor) + 0.04, (np.mean(model), np.mean(floor))
    threshold, limit = 0.05, 4
    boxes = resize_boxes(scene.boxes, 0.4, 0.4).clip(0, 256)
    for result, box in zip(
        committed.predict_boxes(boxes, True, threshold, limit), boxes, strict=True
    ):
        assert 1 <= result.iterations <= limit and len(result.history) == result.iterations
        if 1 < result.iterations < limit:  # stopped early: the last change was small enough
            assert change_rate(result.history[-2], result.history[-1], result.box) <= threshold
        if result.iterations > 1:  # the last prompt is the previous mask's rectangle
            np.testing.assert_array_equal(result.box, mask_to_box(result.history[-2]))
        else:
            np.testing.assert_array_equal(result.box, box)
