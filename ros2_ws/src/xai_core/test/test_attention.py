"""Attention grid upsampling and colouring."""

from __future__ import annotations

import numpy as np

from xai_core.attention import jet, normalize, overlay, upsample_grid


def test_upsampling_keeps_each_patch_on_its_pixels() -> None:
    grid = np.zeros((12, 12), np.float32)
    grid[0, 11] = 1.0  # top-right patch
    image = upsample_grid(grid, 84, 84)
    assert image.shape == (84, 84)
    assert image[3, 80] == 1.0  # centre of that 7x7 patch
    assert image[80, 3] == 0.0
    assert np.unravel_index(image.argmax(), image.shape)[1] >= 77


def test_jet_runs_blue_to_red() -> None:
    colours = jet(np.array([0.0, 0.5, 1.0]))
    assert colours[0, 2] > colours[0, 0]  # blue
    assert colours[2, 0] > colours[2, 2]  # red
    assert np.all(normalize(np.ones(3)) == 0)


def test_overlay_shape() -> None:
    out = overlay(np.zeros((84, 84, 3), np.uint8), np.random.default_rng(0).random((12, 12)))
    assert out.shape == (84, 84, 3) and out.dtype == np.uint8
