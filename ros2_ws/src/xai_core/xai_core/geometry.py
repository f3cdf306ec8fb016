"""Small geometry helpers (REP-103: x forward, y left, z up; yaw counter-clockwise, radians)."""

from __future__ import annotations

import math


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion ``(x, y, z, w)`` of a rotation by ``yaw`` radians about +z."""
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


def quaternion_to_yaw(x: float, y: float, z: float, w: float) -> float:
    """Yaw (radians, in [-pi, pi]) of quaternion ``(x, y, z, w)``; roll and pitch are ignored."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
