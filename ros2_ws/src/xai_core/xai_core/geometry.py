"""Small geometry helpers (REP-103: x forward, y left, z up; yaw counter-clockwise, radians)."""

from __future__ import annotations

import math

import numpy as np


def yaw_to_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """Quaternion ``(x, y, z, w)`` of a rotation by ``yaw`` radians about +z."""
    return (0.0, 0.0, math.sin(yaw / 2.0), math.cos(yaw / 2.0))


def quaternion_to_yaw(x: float, y: float, z: float, w: float) -> float:
    """Yaw (radians, in [-pi, pi]) of quaternion ``(x, y, z, w)``; roll and pitch are ignored."""
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def distance_and_bearing(
    pose_xyyaw: tuple[float, float, float], target_xy: tuple[float, float]
) -> tuple[float, float]:
    """Distance (m) and bearing (rad in [-pi, pi], counter-clockwise from the heading) of a
    target seen from a planar pose ``(x, y, yaw)``; both in the same frame."""
    x, y, yaw = pose_xyyaw
    dx, dy = target_xy[0] - x, target_xy[1] - y
    bearing = math.atan2(dy, dx) - yaw
    return math.hypot(dx, dy), math.atan2(math.sin(bearing), math.cos(bearing))


def compose_planar_with_3d(
    pose_xyyaw: tuple[float, float, float],
    translation: tuple[float, float, float],
    quaternion: tuple[float, float, float, float],
) -> tuple[tuple[float, float, float], tuple[float, float, float, float]]:
    """World pose of a frame given relative to a planar base pose.

    Args:
        pose_xyyaw: base ``(x, y, yaw)`` in the world frame (m, rad).
        translation, quaternion: the frame in the base frame (m; ``(x, y, z, w)``).

    Returns:
        ``(t, q)``: the frame's translation (m) and quaternion ``(x, y, z, w)`` in the world.
    """
    x, y, yaw = pose_xyyaw
    c, s = math.cos(yaw), math.sin(yaw)
    tx, ty, tz = translation
    t = (x + c * tx - s * ty, y + s * tx + c * ty, tz)
    return t, quaternion_multiply(yaw_to_quaternion(yaw), quaternion)


def quaternion_multiply(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """Hamilton product ``a * b`` of ``(x, y, z, w)`` quaternions (apply ``b`` first)."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )


def quaternion_matrix(q: list[float] | tuple[float, ...]) -> np.ndarray:
    """3x3 rotation matrix of a unit quaternion ``(x, y, z, w)``."""
    x, y, z, w = (float(v) for v in q)
    n = math.sqrt(x * x + y * y + z * z + w * w)
    if not n > 0:
        raise ValueError(f"quaternion {q} has zero norm")
    x, y, z, w = x / n, y / n, z / n, w / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
