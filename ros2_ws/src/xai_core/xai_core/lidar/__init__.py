"""LiDAR 3D detection (PointPillars) on KITTI-format data, the groundwork of Guided ODAM.

Modules: :mod:`.kitti` (file I/O, frames), :mod:`.synthetic` (ray-cast scans),
:mod:`.config` / :mod:`.build` (sizes), :mod:`.pointpillars` (model), :mod:`.box_ops`
(anchors, coding, NMS), :mod:`.metrics` (IoU, AP, in-box masks), :mod:`.predictor` (numpy API).
"""

from .build import LIDAR_REGISTRY, build_lidar_model, lidar_config
from .config import PointPillarsConfig
from .pointpillars import PointPillars

__all__ = [
    "LIDAR_REGISTRY",
    "PointPillars",
    "PointPillarsConfig",
    "build_lidar_model",
    "lidar_config",
]
