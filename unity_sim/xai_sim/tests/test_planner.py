"""Occupancy grid, A*, path smoothing and sub-goal placement."""

from __future__ import annotations

import numpy as np

from xai_sim import (
    astar,
    build_occupancy_grid,
    make_layout,
    path_length,
    smooth_path,
    subgoals_along,
)


def test_subgoals_along_straight_line():
    path = np.array([[0.0, 0.0], [4.3, 0.0]])
    sg = subgoals_along(path, 1.0)
    np.testing.assert_allclose(sg[:, 0], [1.0, 2.0, 3.0, 4.3])
    assert (sg[-1] == path[-1]).all()
    # A leftover shorter than half the spacing is merged into the final leg.
    np.testing.assert_allclose(
        subgoals_along(np.array([[0.0, 0.0], [2.2, 0.0]]), 1.0)[:, 0], [1.0, 2.2]
    )


def test_astar_path_subgoals_in_free_space():
    world = make_layout("office")
    grid = build_occupancy_grid(world, 0.1, 0.42)
    start, goal = np.array([1.0, 1.5]), np.array([12.0, 8.0])
    raw = astar(grid, start, goal)
    assert raw is not None
    path = smooth_path(grid, raw)
    assert len(path) < len(raw)
    assert (path[0] == start).all() and (path[-1] == goal).all()
    assert path_length(path) <= path_length(raw) + 1e-9
    sg = subgoals_along(path, 1.0, keep_corners=True)
    assert (sg[-1] == goal).all()
    gaps = np.linalg.norm(np.diff(np.vstack([start, sg]), axis=0), axis=1)
    assert gaps.max() <= 1.0 + 1e-9 and np.median(gaps) > 0.6
    # Every sub-goal and every straight leg between them keeps the robot disk clear.
    legs = np.vstack([start, sg])
    t = np.linspace(0, 1, 50)[:, None, None]
    samples = (legs[:-1] + t * (legs[1:] - legs[:-1])).reshape(-1, 2)
    assert (world.obstacle_distance(samples) > 0.22).all()


def test_astar_unreachable_returns_none():
    world = make_layout("apartment")
    grid = build_occupancy_grid(world, 0.1, 0.42)
    inside_wardrobe = np.array([4.2, 8.4])
    assert astar(grid, np.array([3.0, 2.0]), inside_wardrobe) is None
