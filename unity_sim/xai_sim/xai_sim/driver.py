"""Scripted path-following expert.

Turns toward the target while the heading error exceeds ``heading_tolerance`` (default: half
the turn angle, so one turn never overshoots into an error larger than before), otherwise
drives forward; stops inside ``stop_radius`` of the target. Used by the ROS demo and tests,
and as a sanity baseline for learned policies.
"""

from __future__ import annotations

import math

import numpy as np

from .env import FORWARD, LEFT, RIGHT, STOP, wrap_angle


class ScriptedDriver:
    """Greedy turn-then-drive controller over the discrete actions.

    Args:
        turn_angle_rad: the env's turn angle (``RobotConfig.turn_angle_rad``).
        heading_tolerance: heading error (rad) below which the driver goes forward;
            default ``turn_angle_rad / 2``.
        stop_radius: distance (m) to the target at which it answers ``stop``; pass the goal
            radius when the target is the final goal, 0 to never stop.
    """

    def __init__(
        self,
        turn_angle_rad: float,
        heading_tolerance: float | None = None,
        stop_radius: float = 0.0,
    ) -> None:
        if turn_angle_rad <= 0:
            raise ValueError(f"turn_angle_rad must be > 0, got {turn_angle_rad}")
        self.turn_angle_rad = float(turn_angle_rad)
        self.heading_tolerance = (
            float(heading_tolerance) if heading_tolerance is not None else turn_angle_rad / 2.0
        )
        self.stop_radius = float(stop_radius)

    def act(self, pose: tuple[float, float, float] | np.ndarray, target_xy: np.ndarray) -> int:
        """Action index (``ACTION_NAMES``) that moves ``pose`` (x, y, yaw) toward ``target_xy``
        (world frame, metres)."""
        dx, dy = float(target_xy[0]) - float(pose[0]), float(target_xy[1]) - float(pose[1])
        if math.hypot(dx, dy) <= self.stop_radius:
            return STOP
        error = wrap_angle(math.atan2(dy, dx) - float(pose[2]))
        if error > self.heading_tolerance:
            return LEFT
        if error < -self.heading_tolerance:
            return RIGHT
        return FORWARD
