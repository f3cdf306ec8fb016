"""Attention grids -> images: upsampling to image resolution and a jet-style colour map.

Shared by the attention figures of the evaluation scripts and (issue #4) the attention-cloud node.
"""

from __future__ import annotations

import numpy as np

# Jet anchors: low attention blue -> cyan -> green -> yellow -> red.
_JET = np.array(
    [[0, 0, 128], [0, 0, 255], [0, 255, 255], [0, 255, 0], [255, 255, 0], [255, 0, 0], [128, 0, 0]],
    dtype=np.float32,
)


def upsample_grid(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling of a ``(Gh, Gw)`` attention grid to ``(height, width)`` float32.

    Cell centres of the grid sit at the centres of the image regions they cover (the patch
    layout of the tokeniser), so each patch's value lands on its own pixels.
    """
    grid = np.asarray(grid, dtype=np.float32)
    gh, gw = grid.shape
    ys = np.clip((np.arange(height) + 0.5) * gh / height - 0.5, 0, gh - 1)
    xs = np.clip((np.arange(width) + 0.5) * gw / width - 0.5, 0, gw - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, gh - 1), np.minimum(x0 + 1, gw - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x1] * fx
    bottom = grid[y1][:, x0] * (1 - fx) + grid[y1][:, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def normalize(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] by the min and max (a constant array maps to zeros)."""
    values = np.asarray(values, dtype=np.float32)
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high <= low else (values - low) / (high - low)


def jet(values01: np.ndarray) -> np.ndarray:
    """``(...)`` values in [0, 1] -> ``(..., 3)`` uint8 jet colours (0 blue, 1 red)."""
    x = np.clip(np.asarray(values01, dtype=np.float32), 0, 1) * (len(_JET) - 1)
    i = np.minimum(x.astype(np.int64), len(_JET) - 2)
    f = (x - i)[..., None]
    return (_JET[i] * (1 - f) + _JET[i + 1] * f).astype(np.uint8)


def overlay(
    image_rgb: np.ndarray, grid: np.ndarray, alpha: float = 0.5, vmax: float | None = None
) -> np.ndarray:
    """Jet-coloured, upsampled ``grid`` blended over a grey version of ``image_rgb`` (H, W, 3).

    Args:
        vmax: attention mapped to red; default: the grid's own maximum. Pass one value for
            several grids to compare them on one scale.
    """
    upsampled = upsample_grid(grid, *image_rgb.shape[:2])
    top = float(upsampled.max()) if vmax is None else vmax
    heat = jet(upsampled / top if top > 0 else np.zeros_like(upsampled))
    grey = image_rgb.astype(np.float32).mean(axis=-1, keepdims=True)
    return (grey * (1 - alpha) + heat * alpha).astype(np.uint8)
