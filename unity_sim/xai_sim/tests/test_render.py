"""Camera rendering: exact depth / labels on simple scenes, intrinsics, top-down map."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xai_sim import (
    LABEL_COLORS,
    CameraConfig,
    compose_panel,
    intrinsics,
    make_layout,
    render_camera,
    render_topdown,
    world_to_topdown_px,
)
from xai_sim.world import FLOOR, FURNITURE, PERSON, WALL, box_world

LEVEL = CameraConfig(tilt_deg=0.0)


def test_intrinsics_convention():
    K = intrinsics(640, 480, 58.0, 45.0)
    assert K.shape == (3, 3) and K.dtype == np.float64
    assert math.isclose(K[0, 0], 320.0 / math.tan(math.radians(29.0)))
    assert math.isclose(K[1, 1], 240.0 / math.tan(math.radians(22.5)))
    assert (K[0, 2], K[1, 2]) == (319.5, 239.5)
    frame = render_camera(box_world([], [], []), (0, 0, 0), LEVEL, 64, 48, with_rgb=False)
    np.testing.assert_allclose(frame.K, intrinsics(64, 48, 58.0, 45.0))


@pytest.mark.parametrize("size", [(84, 84), (65, 49)])
def test_wall_straight_ahead_depth_and_labels(wall_ahead, size):
    w, h = size
    frame = render_camera(wall_ahead, (0.0, 0.0, 0.0), LEVEL, w, h, with_rgb=False)
    assert frame.depth_m.shape == (h, w) and frame.depth_m.dtype == np.float32
    # z-depth of a plane perpendicular to the optical axis is constant: 3 m everywhere the
    # wall is seen, to far better than 1 cm.
    centre = frame.depth_m[h // 2, w // 2]
    assert abs(centre - 3.0) < 0.01
    wall = frame.labels == WALL
    np.testing.assert_allclose(frame.depth_m[wall], 3.0, atol=1e-4)
    # Level camera at 1 m: the wall (2.5 m) fills the top; floor is seen below the horizon
    # closer than 3 m (rows whose ray hits the floor before the wall).
    assert (frame.labels[: h // 2] == WALL).all()
    fy, cy = frame.K[1, 1], frame.K[1, 2]
    floor_rows = (np.arange(h) - cy) / fy > 1.0 / 3.0  # slope steeper than h / 3 m
    assert (frame.labels[floor_rows] == FLOOR).all()
    assert (frame.labels[~floor_rows] == WALL).all()


def test_wall_ahead_with_yaw_and_offset(wall_ahead):
    """Robot at x=1 facing the wall after a full turn: 2 m; facing away: no wall ahead."""
    frame = render_camera(wall_ahead, (1.0, 0.5, 2 * math.pi), LEVEL, 33, 33, with_rgb=False)
    assert abs(frame.depth_m[16, 16] - 2.0) < 0.01
    back = render_camera(wall_ahead, (1.0, 0.5, math.pi), LEVEL, 33, 33, with_rgb=False)
    assert back.labels[0, 16] == WALL  # the ceiling
    assert back.depth_m[16, 16] == 0.0  # horizon: nothing within range


@pytest.mark.parametrize("tilt", [0.0, 10.0, 25.0])
def test_floor_depth_matches_ray_geometry(tilt):
    cam = CameraConfig(tilt_deg=tilt)
    w, h = 41, 31
    frame = render_camera(box_world([], [], []), (0.0, 0.0, 0.3), cam, w, h, with_rgb=False)
    K = frame.K
    v = h - 1  # bottom row
    u = (w - 1) // 2  # centre column: the ray is in the vertical plane of the optical axis
    angle_below_horizon = math.radians(tilt) + math.atan((v - K[1, 2]) / K[1, 1])
    horizontal = cam.height_m / math.tan(angle_below_horizon)
    # z-depth = horizontal distance / cos(angle between the ray and the optical axis)
    expected = (
        horizontal
        / math.cos(angle_below_horizon)
        * math.cos(angle_below_horizon - math.radians(tilt))
    )
    assert frame.labels[v, u] == FLOOR
    assert abs(frame.depth_m[v, u] - expected) < 1e-3


def test_depth_beyond_range_is_zero(wall_ahead):
    cam = CameraConfig(tilt_deg=0.0, max_range_m=2.5)
    frame = render_camera(wall_ahead, (0.0, 0.0, 0.0), cam, 32, 32, with_rgb=False)
    assert (frame.depth_m[frame.labels == WALL] == 0.0).all()  # wall at 3 m > 2.5 m
    assert (frame.depth_m >= 0).all() and (frame.depth_m <= 2.5).all()
    assert (frame.depth_m > 0).any()  # the near floor still returns


def test_low_furniture_top_and_front_faces(table_ahead):
    cam = CameraConfig(tilt_deg=20.0)
    frame = render_camera(table_ahead, (0.0, 0.0, 0.0), cam, 64, 64, with_rgb=False)
    assert (frame.labels == FURNITURE).any()
    # Looking down on a 0.5 m table: its top is seen, so some furniture pixels are farther
    # (z-depth) than the front face at 2 m.
    d = frame.depth_m[frame.labels == FURNITURE]
    assert d.min() >= 1.9 and d.max() > 2.1


def test_semantic_rgb_and_rgb_image():
    world = make_layout("office")
    frame = render_camera(
        world, (1.5, 5.0, 0.0), CameraConfig(), 80, 60, rng=np.random.default_rng(1)
    )
    np.testing.assert_array_equal(frame.semantic_rgb, LABEL_COLORS[frame.labels])
    assert frame.rgb.shape == (60, 80, 3) and frame.rgb.dtype == np.uint8
    assert set(np.unique(frame.labels)) >= {WALL, FLOOR, PERSON}
    again = render_camera(
        world, (1.5, 5.0, 0.0), CameraConfig(), 80, 60, rng=np.random.default_rng(1)
    )
    np.testing.assert_array_equal(frame.rgb, again.rgb)
    # Texture: pixels of one class are not a flat colour.
    assert frame.rgb[frame.labels == FLOOR].std() > 3.0


def test_topdown_map_frame_and_panel():
    world = make_layout("open_hall")
    img = render_topdown(world, (6.0, 3.0, 0.0), size=128, waypoints=np.array([[2.0, 2.0]]))
    assert img.shape == (128, 128, 3) and img.dtype == np.uint8
    col, row = np.rint(world_to_topdown_px(world, [6.0, 3.0])[0]).astype(int)
    assert (img[row, col] == 255).all()  # robot arrow
    col, row = np.rint(world_to_topdown_px(world, [2.0, 2.0])[0]).astype(int)
    assert (img[row, col] == 0).all()  # waypoint dot
    col, row = np.rint(world_to_topdown_px(world, [3.0, 3.0])[0]).astype(int)
    assert (img[row, col] == LABEL_COLORS[FLOOR]).all()
    col, row = np.rint(world_to_topdown_px(world, world.people_xy[0])[0]).astype(int)
    assert (img[row, col] == LABEL_COLORS[PERSON]).all()
    # +y is up in the image: a point north of another has a smaller row.
    a, b = world_to_topdown_px(world, [[5.0, 2.0], [5.0, 8.0]])
    assert b[1] < a[1] and a[0] == b[0]
    frame = render_camera(world, (6.0, 3.0, 0.0), CameraConfig(), 64, 48)
    panel = compose_panel(frame, img)
    assert panel.shape == (48, 64 * 2 + 48, 3) and panel.dtype == np.uint8
