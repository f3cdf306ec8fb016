"""Velocity safety gate between a policy and the base: stale inputs, imminent collisions.

The gate sits on the command path (policy -> gate -> ``/cmd_vel``) and passes a command through
only while the inputs it was decided from are fresh, and zeroes forward motion when the latest
depth image shows an obstacle inside the robot's footprint corridor closer than the stop distance.
Turning in place stays allowed (the HSR base is omnidirectional and round: a rotation cannot hit
what is in front of it). Frames: depth in the camera optical frame (x right, y down, z forward),
the corridor in ``base_footprint`` (REP-103: x forward, y left, z up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from xai_core.geometry import quaternion_matrix


@dataclass
class SafetyConfig:
    """Parameters of :class:`SafetyGate` (units: s, m, m/s, rad/s).

    Attributes:
        stale_timeout_s: a command older than this after its newest input means stop.
        stop_distance_m: obstacle distance ahead of the footprint edge that stops forward motion.
        robot_radius_m: footprint radius (the HSR base: 0.22 m); the corridor is this + margin.
        lateral_margin_m: extra half-width of the corridor.
        min_obstacle_height_m, max_obstacle_height_m: points between these heights (base frame)
            are obstacles; the floor and things above the robot are not.
        camera_translation: camera optical frame origin in ``base_footprint`` (m).
        camera_rotation: its orientation ``(x, y, z, w)`` in ``base_footprint``.
        pixel_stride: use every n-th depth pixel in both directions (speed).
        min_points: at least this many points in the stop zone before stopping (noise).
    """

    stale_timeout_s: float = 0.5
    stop_distance_m: float = 0.35
    robot_radius_m: float = 0.22
    lateral_margin_m: float = 0.05
    min_obstacle_height_m: float = 0.05
    max_obstacle_height_m: float = 1.4
    camera_translation: list[float] = field(default_factory=lambda: [0.0, 0.0, 1.0])
    camera_rotation: list[float] = field(default_factory=lambda: [-0.5, 0.5, -0.5, 0.5])
    pixel_stride: int = 4
    min_points: int = 20

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid value."""
        for name in ("stale_timeout_s", "stop_distance_m", "robot_radius_m"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if len(self.camera_translation) != 3 or len(self.camera_rotation) != 4:
            raise ValueError("camera_translation needs 3 values and camera_rotation 4 (x, y, z, w)")
        if self.pixel_stride < 1 or self.min_points < 1:
            raise ValueError("pixel_stride and min_points must be >= 1")


@dataclass
class GateDecision:
    """What the gate let through: ``linear_x`` (m/s), ``angular_z`` (rad/s), and why."""

    linear_x: float
    angular_z: float
    reason: str  # "ok", "stale", "obstacle <d> m", "no depth"


class SafetyGate:
    """Stateful gate: feed it depth and input times, ask it to filter each command."""

    def __init__(self, config: SafetyConfig | None = None) -> None:
        self.config = config or SafetyConfig()
        self.config.validate()
        self._rotation = quaternion_matrix(self.config.camera_rotation)
        self._translation = np.asarray(self.config.camera_translation, dtype=np.float64)
        self._rays: tuple[tuple, np.ndarray, np.ndarray] | None = None
        self.obstacle_distance_m: float = math.inf
        self.depth_time_s: float | None = None
        self.input_time_s: float | None = None

    def input_seen(self, now_s: float) -> None:
        """A fresh input (image / decision) the commands depend on arrived at ``now_s``."""
        self.input_time_s = now_s

    def update_depth(self, depth_m: np.ndarray, K: np.ndarray, now_s: float) -> float:
        """Measure the nearest obstacle ahead of the footprint from a z-depth image (m).

        Args:
            depth_m: (H, W) float z-depth in metres; 0 / NaN / inf = no return.
            K: (3, 3) camera matrix.

        Returns:
            Distance (m) from the footprint's front edge to the nearest obstacle point inside the
            corridor (``inf`` if none).
        """
        c = self.config
        depth = np.asarray(depth_m, dtype=np.float32)[:: c.pixel_stride, :: c.pixel_stride]
        key = (depth.shape, tuple(np.asarray(K, dtype=np.float64).ravel()), c.pixel_stride)
        if self._rays is None or self._rays[0] != key:
            rows, cols = np.mgrid[0 : depth.shape[0], 0 : depth.shape[1]] * c.pixel_stride
            self._rays = (key, (cols - K[0, 2]) / K[0, 0], (rows - K[1, 2]) / K[1, 1])
        _, x_over_z, y_over_z = self._rays
        valid = np.isfinite(depth) & (depth > 0)
        z = depth[valid].astype(np.float64)
        optical = np.stack([x_over_z[valid] * z, y_over_z[valid] * z, z], axis=1)
        base = optical @ self._rotation.T + self._translation
        ahead = base[:, 0] - c.robot_radius_m
        in_zone = (
            (np.abs(base[:, 1]) <= c.robot_radius_m + c.lateral_margin_m)
            & (base[:, 2] >= c.min_obstacle_height_m)
            & (base[:, 2] <= c.max_obstacle_height_m)
            & (ahead > -c.robot_radius_m)
        )
        distances = np.sort(ahead[in_zone])
        self.obstacle_distance_m = (
            float(max(distances[c.min_points - 1], 0.0))
            if len(distances) >= c.min_points
            else math.inf
        )
        self.depth_time_s = now_s
        return self.obstacle_distance_m

    def filter(self, linear_x: float, angular_z: float, now_s: float) -> GateDecision:
        """The command to send at ``now_s`` for a requested ``(linear_x, angular_z)``."""
        c = self.config
        if self.input_time_s is None or now_s - self.input_time_s > c.stale_timeout_s:
            return GateDecision(0.0, 0.0, "stale")
        if linear_x > 0.0:
            if self.depth_time_s is None or now_s - self.depth_time_s > c.stale_timeout_s:
                return GateDecision(0.0, angular_z, "no depth")
            if self.obstacle_distance_m < c.stop_distance_m:
                return GateDecision(0.0, angular_z, f"obstacle {self.obstacle_distance_m:.2f} m")
        return GateDecision(linear_x, angular_z, "ok")

    def is_stale(self, now_s: float) -> bool:
        """True when no input arrived within the stale timeout."""
        return self.input_time_s is None or now_s - self.input_time_s > self.config.stale_timeout_s
