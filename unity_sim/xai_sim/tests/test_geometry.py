"""Ray / prism intersection and world collision queries."""

from __future__ import annotations

import math

import numpy as np

from xai_sim.render import _prism_hits
from xai_sim.world import WALL, box_world


def test_ray_box_entry_and_exit_distances():
    world = box_world([[2.0, -1.0, 3.0, 1.0]], [1.0], [WALL])
    a = np.array([0.0, math.atan2(0.5, 2.0), math.pi])
    d_in, d_out, _, _, _ = _prism_hits(world, 0.0, 0.0, np.cos(a), np.sin(a))
    assert d_in[0, 0] == 2.0 and d_out[0, 0] == 3.0
    assert math.isclose(d_in[1, 0], math.hypot(2.0, 0.5))
    assert d_in[2, 0] == np.inf  # the box is behind this ray


def test_ray_cylinder_entry_and_exit_distances():
    world = box_world([], [], [], people=[[4.0, 0.0]])
    a = np.array([0.0, math.asin(0.1 / 4.0), math.pi / 2])
    d_in, d_out, heights, labels, _ = _prism_hits(world, 0.0, 0.0, np.cos(a), np.sin(a))
    assert math.isclose(d_in[0, 0], 4.0 - world.people_radius_m)
    assert math.isclose(d_out[0, 0], 4.0 + world.people_radius_m)
    # tangent-ish ray at 0.1 m offset: chord half length sqrt(r^2 - 0.1^2)
    half = math.sqrt(world.people_radius_m**2 - 0.1**2)
    assert math.isclose(d_out[1, 0] - d_in[1, 0], 2 * half, rel_tol=1e-9)
    assert d_in[2, 0] == np.inf
    assert heights[0] == world.people_height_m and labels[0] == 3


def test_collides_and_obstacle_distance():
    world = box_world([[1.0, -1.0, 2.0, 1.0]], [1.0], [WALL], people=[[0.0, 3.0]])
    assert world.collides(0.85, 0.0, 0.2)
    assert not world.collides(0.75, 0.0, 0.2)
    assert world.collides(0.0, 2.6, 0.2)  # person radius 0.25 + 0.2 > 0.4
    assert not world.collides(0.0, 2.5, 0.2)
    assert world.collides(19.9, 0.0, 0.2)  # leaving the bounds counts
    d = world.obstacle_distance(
        np.array([[0.0, 0.0], [1.5, 0.0], [3.0, 2.0]]), include_people=False
    )
    np.testing.assert_allclose(d, [1.0, 0.0, math.hypot(1.0, 1.0)])


def test_free_space_sample_respects_clearance():
    world = box_world([[1.0, -1.0, 2.0, 1.0]], [1.0], [WALL], bounds=(-3, -3, 3, 3))
    rng = np.random.default_rng(0)
    pts = np.array([world.free_space_sample(rng, 0.5) for _ in range(50)])
    assert (world.obstacle_distance(pts) >= 0.5).all()
    assert (np.abs(pts) <= 2.5).all()


def test_wrap_angle() -> None:
    import math

    import pytest

    from xai_sim import wrap_angle

    assert wrap_angle(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert wrap_angle(-7.0) == pytest.approx(-7.0 + 2 * math.pi)
