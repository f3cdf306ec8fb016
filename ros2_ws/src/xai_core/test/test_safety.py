"""SafetyGate: stale inputs stop the robot; an obstacle in the corridor stops forward motion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xai_core.geometry import quaternion_matrix
from xai_core.safety import SafetyConfig, SafetyGate

W, H = 160, 120
K = np.array([[120.0, 0, (W - 1) / 2], [0, 120.0, (H - 1) / 2], [0, 0, 1]])


def _wall(distance_m: float) -> np.ndarray:
    """Depth of a camera 1 m up, level, facing a wall ``distance_m`` ahead of the base centre."""
    return np.full((H, W), distance_m, np.float32)


def test_quaternion_matrix_of_the_optical_frame() -> None:
    r = quaternion_matrix([-0.5, 0.5, -0.5, 0.5])
    np.testing.assert_allclose(r @ [0, 0, 1], [1, 0, 0], atol=1e-12)  # optical z = base x
    np.testing.assert_allclose(r @ [1, 0, 0], [0, -1, 0], atol=1e-12)  # optical x = base -y
    with pytest.raises(ValueError, match="zero norm"):
        quaternion_matrix([0, 0, 0, 0])


def test_forward_is_stopped_by_a_near_wall_but_turning_is_not() -> None:
    gate = SafetyGate(SafetyConfig(stop_distance_m=0.35, robot_radius_m=0.22))
    gate.input_seen(0.0)
    distance = gate.update_depth(_wall(0.5), K, 0.0)
    assert distance == pytest.approx(0.5 - 0.22, abs=1e-6)  # from the footprint's edge
    stopped = gate.filter(0.25, 0.0, 0.1)
    assert (stopped.linear_x, stopped.reason) == (0.0, "obstacle 0.28 m")
    assert gate.filter(0.0, 0.5, 0.1).angular_z == 0.5  # rotating in place stays allowed
    gate.update_depth(_wall(2.0), K, 0.2)
    gate.input_seen(0.2)
    assert gate.filter(0.25, 0.0, 0.3).linear_x == 0.25


def test_floor_and_points_beside_the_corridor_are_not_obstacles() -> None:
    gate = SafetyGate()
    gate.input_seen(0.0)
    # A level camera 1 m up sees the floor below the horizon: y (down) / z = 1 m / z.
    rows = np.arange(H)[:, None] - K[1, 2]
    depth = np.where(rows > 0, K[1, 1] * 1.0 / np.maximum(rows, 1e-6), 0.0).astype(np.float32)
    depth = np.broadcast_to(depth, (H, W)).copy()
    assert math.isinf(gate.update_depth(depth, K, 0.0))
    # A wall only far to the side (x = 0.5 m ahead, but |y| > corridor) is ignored too.
    side = np.zeros((H, W), np.float32)
    side[:, :10] = 0.5  # leftmost columns: y = -(u - cx) / f * z, far outside 0.27 m
    assert math.isinf(gate.update_depth(side, K, 0.0))


def test_stale_inputs_and_missing_depth_stop() -> None:
    gate = SafetyGate(SafetyConfig(stale_timeout_s=0.5))
    assert gate.filter(0.25, 0.0, 0.0).reason == "stale"  # nothing seen yet
    gate.input_seen(1.0)
    assert gate.filter(0.25, 0.0, 1.2).reason == "no depth"
    assert gate.filter(0.0, 0.5, 1.2).reason == "ok"
    assert gate.filter(0.0, 0.5, 1.6).reason == "stale" and gate.is_stale(1.6)


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ValueError, match="stop_distance_m"):
        SafetyGate(SafetyConfig(stop_distance_m=0.0))
    with pytest.raises(ValueError, match="camera_rotation"):
        SafetyGate(SafetyConfig(camera_rotation=[0.0, 1.0]))
