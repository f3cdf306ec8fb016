"""Numpy-facing LiDAR detector: one ``(N, 4)`` scan in, a list of :class:`Detection` out.

The torch model stays inside (like segment-anything's ``SamPredictor``); used by evaluation
scripts and the ROS ``lidar_odam_node``. Everything is in the LiDAR frame (x forward, y left,
z up, metres).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .checkpoint import load_lidar_checkpoint
from .pointpillars import PointPillars

MAX_POINTS = 2_000_000


@dataclass(frozen=True)
class Detection:
    """One detected object: ``cls`` class name, ``score`` in 0..1, ``box`` (7,) float32
    ``x, y, z`` (centre, m), ``l, w, h`` (m), ``yaw`` (rad about +z), LiDAR frame;
    ``anchor_index``: the head-output row it was decoded from."""

    cls: str
    score: float
    box: np.ndarray
    anchor_index: int


def check_points(points: np.ndarray) -> np.ndarray:
    """Validate a scan and return it as contiguous ``(N, 4)`` float32.

    Raises:
        ValueError: not a 2-D array with 4 columns, empty, more than 2,000,000 points, or
            non-finite values (the message says which and how many).
    """
    if not isinstance(points, np.ndarray):
        raise ValueError(f"points must be a numpy array, got {type(points).__name__}")
    if points.ndim != 2 or points.shape[1] != 4:
        raise ValueError(f"points must be (N, 4) [x, y, z, reflectance], got {points.shape}")
    if len(points) == 0:
        raise ValueError("the point cloud is empty")
    if len(points) > MAX_POINTS:
        raise ValueError(f"{len(points)} points is more than the {MAX_POINTS} accepted")
    if not np.issubdtype(points.dtype, np.number):
        raise ValueError(f"points must be numeric, got dtype {points.dtype}")
    pts = np.ascontiguousarray(points, dtype=np.float32)
    bad = ~np.isfinite(pts).all(axis=1)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} of {len(pts)} points contain NaN or inf")
    return pts


class LidarDetector:
    """Run a :class:`PointPillars` on numpy scans."""

    def __init__(self, model: PointPillars, name: str = "pointpillars") -> None:
        self.model = model.eval()
        self.name = name
        self.class_names = model.config.class_names

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> LidarDetector:
        """Load an ``xai-lidar-checkpoint`` file (raises ``CheckpointError``, a ValueError)."""
        model, payload = load_lidar_checkpoint(path)
        return cls(model, payload["model"])

    @torch.no_grad()
    def detect(self, points: np.ndarray) -> list[Detection]:
        """Detections of one scan ``(N, 4)`` float32 x, y, z, reflectance, sorted by score."""
        pts = check_points(points)
        batch = self.model.pillarize(pts)
        if batch.features.shape[0] == 0:
            return []
        result = self.model.post_process(self.model(batch))[0]
        return [
            Detection(self.class_names[int(lab)], float(s), b.numpy().astype(np.float32), int(a))
            for b, s, lab, a in zip(
                result.boxes, result.scores, result.labels, result.anchor_indices, strict=True
            )
        ]
