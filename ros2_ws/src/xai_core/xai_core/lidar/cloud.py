"""LiDAR point clouds from PointCloud2 records: the detector's ``(N, 4)`` input, with reasons.

Pure numpy on the structured array of :func:`xai_core.pointcloud2.cloud_to_array`; the node only
turns a :class:`BadCloud` into a log line, a counter, or a service answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .predictor import check_points


class BadCloud(ValueError):
    """A cloud that cannot be processed; ``counter`` names its counter in the node's summary."""

    def __init__(self, counter: str, reason: str) -> None:
        super().__init__(reason)
        self.counter = counter


def lidar_points(
    cloud: np.ndarray,
    intensity_fields: Sequence[str],
    max_points: int,
    intensity_scale: float = 1.0,
) -> tuple[np.ndarray, int]:
    """``(N, 4)`` float32 x, y, z (m, LiDAR frame), intensity of the finite points.

    Args:
        cloud: structured array with fields x, y, z and one of ``intensity_fields``.
        intensity_fields: names tried in order for the reflectance channel.
        max_points: clouds with more points are refused (absurd sizes).
        intensity_scale: multiplies the intensity (e.g. 1/255 for 0..255 sensors).

    Returns:
        ``(points, dropped)``: the finite points and how many non-finite ones were dropped.

    Raises:
        BadCloud: missing fields, empty, too many points, or no finite point (message says why).
    """
    names = list(cloud.dtype.names or ())
    if missing := [a for a in ("x", "y", "z") if a not in names]:
        raise BadCloud("no_xyz", f"cloud has no {', '.join(missing)} field (fields: {names})")
    field = next((f for f in intensity_fields if f in names), None)
    if field is None:
        raise BadCloud(
            "no_intensity",
            f"cloud has no intensity field (looked for {', '.join(intensity_fields)}; "
            f"fields: {names})",
        )
    cloud = cloud.reshape(-1)
    if len(cloud) == 0:
        raise BadCloud("empty_cloud", "the point cloud is empty (0 points)")
    if len(cloud) > max_points:
        raise BadCloud(
            "too_many_points", f"{len(cloud)} points is more than max_points = {max_points}"
        )
    points = np.empty((len(cloud), 4), dtype=np.float32)
    for i, name in enumerate(("x", "y", "z", field)):
        points[:, i] = cloud[name]
    points[:, 3] *= float(intensity_scale)
    finite = np.isfinite(points).all(axis=1)
    if not finite.any():
        raise BadCloud("all_nan", f"all {len(points)} points have NaN or inf values")
    dropped = int((~finite).sum())
    return check_points(points[finite] if dropped else points), dropped
