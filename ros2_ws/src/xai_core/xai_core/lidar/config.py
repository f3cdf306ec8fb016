"""PointPillars configuration (sizes live in :mod:`xai_core.lidar.build`, not here).

Units: metres and radians; frame: LiDAR (x forward, y left, z up). The BEV grid has
``nx = (x_max - x_min) / voxel_x`` columns (x) and ``ny = (y_max - y_min) / voxel_y`` rows (y).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np


@dataclass(frozen=True)
class PointPillarsConfig:
    """Every size of a PointPillars detector.

    Attributes:
        point_cloud_range: (x_min, y_min, z_min, x_max, y_max, z_max) m; points outside are
            dropped.
        voxel_size: (vx, vy, vz) m; pillars are vx x vy columns, vz = the full z range.
        max_points_per_pillar: N, extra points of a pillar are not encoded (they still map to
            the pillar in ``point_to_pillar``).
        max_pillars: P per scan; the fullest pillars are kept.
        pillar_channels: C of the PillarFeatureNet (the pseudo-image channels).
        layer_nums / layer_strides / num_filters: the three backbone blocks (convs after the
            strided conv, stride, channels).
        upsample_strides / num_upsample_filters: deconvolution of each block back to the
            stride of block 1.
        class_names: detected classes, index = label.
        anchor_sizes: per class (l, w, h) m. anchor_bottom_heights: per class, z of the anchor's
            bottom (m, LiDAR frame). anchor_rotations: yaw of the anchors at each location.
        matched_thresholds / unmatched_thresholds: per class BEV IoU for positive / negative
            anchors (between: ignored).
        dir_offset: direction-classifier bin offset (rad). nms_iou_threshold: BEV IoU of the
            enclosing axis-aligned rectangles above which a lower-scored box is suppressed.
        score_threshold / nms_pre / max_detections: post-processing limits.
        loss weights: cls_weight, loc_weight, dir_weight; focal_alpha, focal_gamma.
    """

    point_cloud_range: tuple[float, ...] = (0.0, -39.68, -3.0, 69.12, 39.68, 1.0)
    voxel_size: tuple[float, ...] = (0.16, 0.16, 4.0)
    max_points_per_pillar: int = 32
    max_pillars: int = 16000
    pillar_channels: int = 64
    layer_nums: tuple[int, ...] = (3, 5, 5)
    layer_strides: tuple[int, ...] = (2, 2, 2)
    num_filters: tuple[int, ...] = (64, 128, 256)
    upsample_strides: tuple[int, ...] = (1, 2, 4)
    num_upsample_filters: tuple[int, ...] = (128, 128, 128)
    class_names: tuple[str, ...] = ("Car", "Pedestrian", "Cyclist")
    anchor_sizes: tuple[tuple[float, float, float], ...] = (
        (3.9, 1.6, 1.56), (0.8, 0.6, 1.73), (1.76, 0.6, 1.73),
    )  # fmt: skip
    anchor_bottom_heights: tuple[float, ...] = (-1.78, -0.6, -0.6)
    anchor_rotations: tuple[float, ...] = (0.0, float(np.pi / 2))
    matched_thresholds: tuple[float, ...] = (0.6, 0.5, 0.5)
    unmatched_thresholds: tuple[float, ...] = (0.45, 0.35, 0.35)
    dir_offset: float = 0.78539
    nms_iou_threshold: float = 0.2
    score_threshold: float = 0.1
    nms_pre: int = 1000
    max_detections: int = 100
    cls_weight: float = 1.0
    loc_weight: float = 2.0
    dir_weight: float = 0.2
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0

    def __post_init__(self) -> None:
        # JSON / checkpoint round trips give lists: store tuples so the config stays hashable.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
                object.__setattr__(self, f.name, value)
        n = len(self.class_names)
        for name in ("anchor_sizes", "anchor_bottom_heights", "matched_thresholds",
                     "unmatched_thresholds"):  # fmt: skip
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} needs one entry per class ({n})")
        if len(self.point_cloud_range) != 6 or len(self.voxel_size) != 3:
            raise ValueError("point_cloud_range needs 6 values and voxel_size 3")
        nx, ny = self.grid_size
        stride = int(np.prod(self.layer_strides))
        if nx % stride or ny % stride:
            raise ValueError(f"grid {nx}x{ny} is not divisible by the backbone stride {stride}")
        if (
            not len(self.layer_nums)
            == len(self.layer_strides)
            == len(self.num_filters)
            == len(self.upsample_strides)
            == len(self.num_upsample_filters)
        ):
            raise ValueError("backbone lists must have the same length")

    @property
    def grid_size(self) -> tuple[int, int]:
        """(nx, ny): pseudo-image width (x cells) and height (y cells)."""
        r, v = self.point_cloud_range, self.voxel_size
        return round((r[3] - r[0]) / v[0]), round((r[4] - r[1]) / v[1])

    @property
    def feature_stride(self) -> int:
        """Pseudo-image cells per head cell (stride of block 1 / upsample 1)."""
        return int(self.layer_strides[0] // self.upsample_strides[0])

    @property
    def num_anchors_per_location(self) -> int:
        return len(self.class_names) * len(self.anchor_rotations)

    def to_dict(self) -> dict[str, Any]:
        """Plain-type dict (lists) for checkpoints; ``PointPillarsConfig(**d)`` rebuilds it."""
        return {k: _plain(v) for k, v in asdict(self).items()}


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple | list) else value
