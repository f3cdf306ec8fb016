"""Registry of LiDAR detectors: every size lives here.

``build_lidar_model("pointpillars_small")`` returns a fresh :class:`PointPillars`; checkpoints
store the name and the full config dict so the exact architecture can be rebuilt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .config import PointPillarsConfig
from .pointpillars import PointPillars

LIDAR_REGISTRY: dict[str, PointPillarsConfig] = {
    # CPU-sized: 0.32 m pillars over 46 x 46 m (144 x 144 cells), narrow channels.
    "pointpillars_small": PointPillarsConfig(
        point_cloud_range=(0.0, -23.04, -3.0, 46.08, 23.04, 1.0),
        voxel_size=(0.32, 0.32, 4.0),
        max_points_per_pillar=20,
        max_pillars=8000,
        pillar_channels=32,
        layer_nums=(1, 2, 2),
        num_filters=(32, 64, 128),
        num_upsample_filters=(64, 64, 64),
        nms_pre=500,
        max_detections=50,
    ),
    # The KITTI setting of the paper / OpenPCDet: 0.16 m pillars, 432 x 496 cells.
    "pointpillars_kitti": PointPillarsConfig(),
}


def lidar_model_names() -> tuple[str, ...]:
    """Registered names."""
    return tuple(LIDAR_REGISTRY)


def lidar_config(name: str, **overrides: Any) -> PointPillarsConfig:
    """The config of ``name`` with ``overrides`` (field names of :class:`PointPillarsConfig`).

    Raises:
        ValueError: unknown name (lists the registered ones) or unknown override key.
    """
    if name not in LIDAR_REGISTRY:
        raise ValueError(f"unknown lidar model '{name}'; registered: {', '.join(LIDAR_REGISTRY)}")
    try:
        return replace(LIDAR_REGISTRY[name], **overrides)
    except TypeError as error:
        raise ValueError(f"bad override for {name}: {error}") from None


def build_lidar_model(name: str, **overrides: Any) -> PointPillars:
    """A fresh (train-mode) detector of the registered ``name``."""
    return PointPillars(lidar_config(name, **overrides))
