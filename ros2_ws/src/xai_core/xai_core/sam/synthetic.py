"""Synthetic images with instance masks for SAM on this machine (no data set downloads).

* :func:`em_cells`: electron-microscopy-like tissue: a tessellation of membrane-bounded cells of
  varied shapes and sizes (a power diagram with warped coordinates), dark membranes, textured
  interiors with organelles, blur and noise; the cells' interiors are the instances.
* :func:`shapes_scene`: generic scenes (ellipses, star-shaped blobs, rectangles, textured mosaics)
  on textured backgrounds, used to pre-train the small SAM before the EM fine-tuning, the way
  the official SAM is pre-trained on SA-1B before anyone fine-tunes it.

Both return a :class:`InstanceImage` with a grey ``uint8`` image; seeds make them reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .boxes import boxes_from_instances


@dataclass
class InstanceImage:
    """One grey image with its instances.

    Attributes:
        image: ``(H, W)`` uint8 grey.
        instances: ``(H, W)`` int32, 0 = background / membrane, 1..K = instances.
        ids: ``(K,)`` int32 instance ids with a box.
        boxes: ``(K, 4)`` float32 XYXY pixel bounding rectangles (:mod:`.boxes` convention).
    """

    image: np.ndarray
    instances: np.ndarray
    ids: np.ndarray
    boxes: np.ndarray


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """``(size, size)`` float32 smooth noise in about [-1, 1] (bicubic zoom of a coarse grid)."""
    coarse = rng.standard_normal((cells + 3, cells + 3)).astype(np.float32)
    fine = ndimage.zoom(coarse, size / cells, order=3)
    offset = (fine.shape[0] - size) // 2
    return fine[offset : offset + size, offset : offset + size] / 1.5


def _finish(
    rng: np.random.Generator, image: np.ndarray, instances: np.ndarray, min_area: int
) -> InstanceImage:
    """Drop instances smaller than ``min_area``, relabel 1..K and compute boxes."""
    counts = np.bincount(instances.ravel())
    keep = counts >= min_area
    keep[0] = False
    relabel = np.zeros(len(counts), dtype=np.int32)
    relabel[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
    instances = relabel[instances]
    ids, boxes = boxes_from_instances(instances)
    del rng
    return InstanceImage(np.clip(image, 0, 255).astype(np.uint8), instances, ids, boxes)


def em_cells(seed: int, size: int = 256, min_area: int = 40) -> InstanceImage:
    """An EM-like tissue image: 8-40 membrane-bounded cells of varied size and shape.

    Cells are the regions of a power diagram (nearest seed by ``|p - c|^2 - w``, random weights
    vary the sizes) computed on coordinates warped by smooth noise (curved, non-convex borders).
    Membranes 2-4 px thick separate them; interiors get a grey level, smooth texture, speckle
    and a few dark organelles; then blur and Gaussian noise.
    """
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 41))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    warp = 0.04 * size * float(rng.uniform(0.3, 1.0))
    wx = xx + warp * _smooth_noise(rng, size, 4)
    wy = yy + warp * _smooth_noise(rng, size, 4)
    centres = rng.uniform(-0.05 * size, 1.05 * size, size=(n, 2)).astype(np.float32)
    spacing = size / np.sqrt(n)
    weights = rng.uniform(0.0, 0.6, size=n).astype(np.float32) * spacing**2
    d = (wx[..., None] - centres[:, 0]) ** 2 + (wy[..., None] - centres[:, 1]) ** 2 - weights
    label = np.argmin(d, axis=-1).astype(np.int32)
    thickness = int(rng.integers(1, 3))
    edge = np.zeros((size, size), dtype=bool)
    edge[:, 1:] |= label[:, 1:] != label[:, :-1]
    edge[1:, :] |= label[1:, :] != label[:-1, :]
    membrane = ndimage.binary_dilation(edge, iterations=thickness)
    instances = np.where(membrane, 0, label + 1).astype(np.int32)
    # Interiors: per-cell grey level and texture, organelles, then membranes and noise.
    level = rng.uniform(120, 200, size=n + 1).astype(np.float32)
    image = level[instances] + 14.0 * _smooth_noise(rng, size, 24)
    image += rng.normal(0, 6, size=(size, size)).astype(np.float32) * rng.uniform(0.5, 1.5)
    for _ in range(int(rng.integers(n // 2, 2 * n))):  # organelles: dark ellipses
        cy, cx = rng.uniform(0, size, 2)
        ry, rx = rng.uniform(2, 0.12 * spacing + 3, 2)
        angle = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(angle) + (yy - cy) * np.sin(angle)
        v = -(xx - cx) * np.sin(angle) + (yy - cy) * np.cos(angle)
        organelle = ((u / rx) ** 2 + (v / ry) ** 2 <= 1) & ~membrane
        image[organelle] -= rng.uniform(30, 70)
    image[membrane] = rng.uniform(25, 70) + 10 * rng.standard_normal(int(membrane.sum()))
    image = ndimage.gaussian_filter(image, sigma=float(rng.uniform(0.6, 1.3)))
    image += rng.normal(0, rng.uniform(4, 12), size=(size, size)).astype(np.float32)
    return _finish(rng, image, instances, min_area)


def shapes_scene(seed: int, size: int = 256, min_area: int = 40) -> InstanceImage:
    """A generic scene: 3-14 textured shapes (some overlapping) on a textured background.

    Shapes are ellipses, star-shaped blobs and rotated rectangles, each with its own grey level
    and texture; later shapes occlude earlier ones. With probability 0.3 the scene is instead a
    mosaic (tessellation without membranes, each tile its own texture).
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    image = rng.uniform(40, 215) + 30.0 * _smooth_noise(rng, size, int(rng.integers(3, 12)))
    instances = np.zeros((size, size), dtype=np.int32)
    if rng.random() < 0.3:
        n = int(rng.integers(4, 16))
        centres = rng.uniform(0, size, size=(n, 2)).astype(np.float32)
        d = (xx[..., None] - centres[:, 0]) ** 2 + (yy[..., None] - centres[:, 1]) ** 2
        instances = np.argmin(d, axis=-1).astype(np.int32) + 1
        level = rng.uniform(20, 235, size=n + 1).astype(np.float32)
        image = level[instances] + 20.0 * _smooth_noise(rng, size, 16)
    else:
        for k in range(1, int(rng.integers(3, 15)) + 1):
            cy, cx = rng.uniform(0.05 * size, 0.95 * size, 2)
            r = rng.uniform(0.04, 0.22) * size
            u, v = xx - cx, yy - cy
            kind = rng.integers(3)
            if kind == 0:  # ellipse
                a = rng.uniform(0, np.pi)
                p = u * np.cos(a) + v * np.sin(a)
                q = -u * np.sin(a) + v * np.cos(a)
                shape = (p / r) ** 2 + (q / (r * rng.uniform(0.4, 1.0))) ** 2 <= 1
            elif kind == 1:  # star-shaped blob: radius modulated by a few harmonics
                theta = np.arctan2(v, u)
                radius = r * (
                    1
                    + sum(
                        rng.uniform(-0.25, 0.25) * np.cos(h * theta + rng.uniform(0, 6))
                        for h in (2, 3, 5)
                    )
                )
                shape = np.hypot(u, v) <= radius
            else:  # rotated rectangle
                a = rng.uniform(0, np.pi)
                p = u * np.cos(a) + v * np.sin(a)
                q = -u * np.sin(a) + v * np.cos(a)
                shape = (np.abs(p) <= r) & (np.abs(q) <= r * rng.uniform(0.3, 1.0))
            instances[shape] = k
            image[shape] = rng.uniform(20, 235) + 25.0 * _smooth_noise(rng, size, 12)[shape]
    image = ndimage.gaussian_filter(image, sigma=float(rng.uniform(0.5, 1.2)))
    image += rng.normal(0, rng.uniform(3, 10), size=(size, size)).astype(np.float32)
    return _finish(rng, image, instances, min_area)
