"""The ten evaluation sketches and the ADE / FDE metrics."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

from xai_sim import SimConfig, ade_fde, generate_sketches, get_sketch, load_sketches, make_layout
from xai_sim.sketches import _data_path, sketches_to_json


def test_ade_fde_hand_computed():
    traj = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
    wps = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 3.0]])
    ade, fde = ade_fde(traj, wps)
    assert math.isclose(ade, (1.0 + 0.0 + 3.0) / 3) and fde == 3.0
    with pytest.raises(ValueError):
        ade_fde(traj, wps[:2])


def test_ten_sketches_by_kind():
    sketches = load_sketches()
    assert len(sketches) == 10 and len({s.id for s in sketches}) == 10
    kinds = collections.Counter(s.kind for s in sketches)
    assert kinds == {"equal": 4, "unequal": 2, "curve": 4}


@pytest.mark.parametrize("sketch", load_sketches(), ids=lambda s: s.id)
def test_sketch_is_drivable(sketch):
    cfg = SimConfig()
    assert sketch.waypoints.shape == (100, 2)
    world = make_layout(sketch.layout)
    pts = np.vstack([sketch.start_pose[None, :2], sketch.waypoints])
    assert (world.obstacle_distance(pts) > cfg.robot.radius_m + 0.05).all()
    gaps = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    assert gaps.max() <= cfg.robot.step_length_m
    if sketch.kind == "equal":
        assert np.ptp(gaps[1:]) < 0.03  # evenly spaced (corners shorten a chord slightly)
    if sketch.kind == "unequal":
        assert gaps.max() > 2 * gaps.min()


def test_regenerating_gives_the_committed_json():
    assert sketches_to_json(generate_sketches()) == _data_path().read_text(encoding="utf-8")


def test_unknown_sketch_lists_valid_ids():
    with pytest.raises(ValueError, match="equal_straight_hall"):
        get_sketch("nope")


def test_random_training_sketches_are_drivable_and_seeded() -> None:
    from xai_sim import IndoorNavEnv, SimConfig

    config = SimConfig.from_dict({"episode": {"sketch_pool": "random"}})
    env = IndoorNavEnv(config, mode="sketch")
    kinds = set()
    for seed in range(12):
        env.reset(seed=seed)
        sketch = env.sketch
        kinds.add(sketch.kind)
        assert sketch.id.startswith("random_") and sketch.waypoints.shape == (100, 2)
        steps = np.linalg.norm(np.diff(sketch.waypoints, axis=0), axis=1)
        assert steps.max() <= 0.125  # the robot (0.25 m per forward step) can keep up
        assert env.world.obstacle_distance(sketch.waypoints).min() >= 0.4
    assert kinds == {"equal", "unequal", "curve"}
    env.reset(seed=3)
    first = env.sketch.waypoints.copy()
    env.reset(seed=3)
    np.testing.assert_array_equal(first, env.sketch.waypoints)


def test_unknown_sketch_pool_is_rejected() -> None:
    from xai_sim import SimConfig

    with pytest.raises(ValueError, match="sketch_pool"):
        SimConfig.from_dict({"episode": {"sketch_pool": "mine"}})
