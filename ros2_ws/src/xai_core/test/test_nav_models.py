"""Navigation Q-networks: shapes, attention normalisation, gradients, registry, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xai_core.nav.build import MODEL_REGISTRY, build_model, get_spec, model_kwargs
from xai_core.nav.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from xai_core.nav.obs import GOAL_DIM, POSE_DIM, PaletteCodec, goal_features
from xai_core.nav.predictor import GoalNavPredictor, SketchNavPredictor

BATCH = 3


def _inputs(name: str) -> tuple:
    spec = get_spec(name)
    size = model_kwargs(name)["image_size"]
    image = torch.rand(BATCH, 3, size, size)
    if spec.task == "goal":
        return image, torch.rand(BATCH, GOAL_DIM)
    steps = model_kwargs(name)["max_steps"]
    return image, torch.rand(BATCH, POSE_DIM), torch.rand(BATCH, steps, 2), torch.tensor([0, 5, 99])


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_output_shapes_and_attention_sums_to_one(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name)
    out = model(*_inputs(name))
    assert out.q.shape == (BATCH, 4)
    assert torch.isfinite(out.q).all()
    if name.startswith("aqt"):
        gh, gw = out.grid
        assert out.cross_attention.shape == (BATCH, 4, gh * gw)
        torch.testing.assert_close(out.cross_attention.sum(-1), torch.ones(BATCH, 4))
        assert out.encoder_attention.shape == (BATCH, gh * gw, gh * gw)
        torch.testing.assert_close(out.encoder_attention.sum(-1), torch.ones(BATCH, gh * gw))
    else:
        assert out.cross_attention is None
    if get_spec(name).task == "sketch":
        assert out.instruction_attention.shape == (BATCH, 100, 100)
        torch.testing.assert_close(out.instruction_attention.sum(-1), torch.ones(BATCH, 100))


def test_goal_aqt_uses_a_12x12_grid_of_7x7_patches() -> None:
    assert build_model("aqt_goal")(*_inputs("aqt_goal")).grid == (12, 12)
    assert build_model("aqt_goal_cnn_tokens")(*_inputs("aqt_goal_cnn_tokens")).grid == (7, 7)


@pytest.mark.parametrize("name", list(MODEL_REGISTRY))
def test_a_gradient_reaches_every_parameter(name: str) -> None:
    torch.manual_seed(0)
    model = build_model(name)
    # Random weights per action: with the dueling split, sum(Q) carries no advantage gradient.
    (model(*_inputs(name), need_weights=False).q * torch.rand(BATCH, 4)).sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not missing, missing


def test_the_query_depends_on_the_goal() -> None:
    torch.manual_seed(0)
    model = build_model("aqt_goal")
    image = torch.rand(1, 3, 84, 84)
    left = model(image, torch.from_numpy(goal_features(2.0, 1.0))[None]).q
    right = model(image, torch.from_numpy(goal_features(2.0, -1.0))[None]).q
    assert not torch.allclose(left, right)


def test_unknown_model_and_argument_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown model 'aqt_huge'"):
        build_model("aqt_huge")
    with pytest.raises(ValueError, match="no argument"):
        build_model("aqt_goal", depth=3)


def test_checkpoint_round_trip_and_predictor(tmp_path) -> None:
    torch.manual_seed(0)
    model = build_model("aqt_goal")
    path = save_checkpoint(tmp_path / "m.pt", model, "aqt_goal", model_kwargs("aqt_goal"), {"x": 1})
    predictor = GoalNavPredictor.from_checkpoint(path)
    semantic = np.zeros((480, 640, 3), np.uint8)  # any size: resized to 84x84
    semantic[240:] = (0, 0, 255)
    decision = predictor.predict(semantic, 1.5, 0.3)
    assert decision.q_values.shape == (4,)
    assert decision.action == int(np.argmax(decision.q_values))
    assert decision.attention.shape == (4, 12, 12)
    np.testing.assert_allclose(decision.attention.sum(axis=(1, 2)), 1.0, rtol=1e-5)
    with torch.no_grad():
        from xai_core.nav.obs import image_to_chw
        from xai_core.nav.predictor import resize_nearest

        direct = (
            model.eval()(
                torch.from_numpy(image_to_chw(resize_nearest(semantic, 84, 84)))[None],
                torch.from_numpy(goal_features(1.5, 0.3))[None],
            )
            .q[0]
            .numpy()
        )
    np.testing.assert_allclose(decision.q_values, direct, rtol=1e-5)


def test_sketch_predictor_needs_a_sketch_first(tmp_path) -> None:
    model = build_model("aqt_sketch")
    path = save_checkpoint(tmp_path / "s.pt", model, "aqt_sketch", model_kwargs("aqt_sketch"))
    predictor = SketchNavPredictor.from_checkpoint(path)
    topdown = np.zeros((128, 128, 3), np.uint8)
    with pytest.raises(RuntimeError, match="set_sketch"):
        predictor.predict(topdown, np.zeros(3), 0)
    predictor.set_sketch(np.cumsum(np.full((100, 2), 0.1), axis=0), np.zeros(3))
    decision = predictor.predict(topdown, np.array([0.1, 0.1, 0.0]), 3)
    assert decision.attention.shape == (4, 8, 8)
    assert decision.instruction_attention.shape == (100, 100)


def test_bad_checkpoints_fail_with_a_readable_message(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(garbage)
    model = build_model("cnn_goal")
    path = save_checkpoint(tmp_path / "c.pt", model, "cnn_goal", model_kwargs("cnn_goal"))
    with pytest.raises(CheckpointError, match="sketch-navigation model is needed"):
        load_checkpoint(path, expected_task="sketch")
    payload = torch.load(path, weights_only=True)
    payload["state_dict"]["head.0.weight"] = torch.zeros(3, 3)
    torch.save(payload, tmp_path / "bad_shape.pt")
    with pytest.raises(CheckpointError, match="has shape"):
        load_checkpoint(tmp_path / "bad_shape.pt")
    payload["model"] = "nope"
    torch.save(payload, tmp_path / "bad_model.pt")
    with pytest.raises(CheckpointError, match="unknown model"):
        load_checkpoint(tmp_path / "bad_model.pt")


def test_palette_codec_round_trip_and_rejects_foreign_colours() -> None:
    palette = np.array([[0, 255, 0], [0, 0, 255], [255, 0, 0], [128, 128, 128]], np.uint8)
    codec = PaletteCodec(palette)
    labels = np.random.default_rng(0).integers(0, 4, (5, 6)).astype(np.uint8)
    np.testing.assert_array_equal(codec.encode(palette[labels]), labels)
    with pytest.raises(ValueError, match=r"colour \[1, 2, 3\]"):
        codec.encode(np.array([[1, 2, 3]], np.uint8))


def test_sketch_query_state_puts_the_waypoint_in_the_robot_frame() -> None:
    from xai_core.nav.obs import sketch_pose_features

    start = np.array([1.0, 2.0, np.pi / 2])  # sketch frame: x along world +y
    pose = np.array([1.0, 3.0, np.pi])  # 1 m along the sketch, facing world -x
    features = sketch_pose_features(pose, start, waypoint_xy=np.array([0.0, 3.0]))
    np.testing.assert_allclose(features[:2], [0.2, 0.0], atol=1e-6)  # (1 m, 0) / 5 m
    np.testing.assert_allclose(features[2:4], [1.0, 0.0], atol=1e-6)  # +90 deg from the start
    np.testing.assert_allclose(features[4:], [1.0, 0.0], atol=1e-6)  # 1 m straight ahead
