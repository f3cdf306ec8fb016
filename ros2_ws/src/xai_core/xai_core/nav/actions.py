"""The discrete action contract of the navigation stack and its mapping to/from ``cmd_vel``.

Policies choose one of four actions per control tick (the order is the Q-value order and
matches ``xai_sim.ACTION_NAMES``). On the robot an action becomes a ``geometry_msgs/Twist``;
the simulator maps a Twist back to an action. Both directions live here so they agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ACTION_NAMES: tuple[str, ...] = ("stop", "forward", "left", "right")
STOP, FORWARD, LEFT, RIGHT = range(4)


class InvalidCommand(ValueError):
    """A velocity command that must not be executed (non-finite or beyond the limits)."""


@dataclass(frozen=True)
class TwistMapping:
    """How actions and ``cmd_vel`` relate.

    Attributes:
        linear_speed_mps: forward speed published for ``forward`` (m/s, > 0).
        angular_speed_radps: turn rate published for ``left`` / ``right`` (rad/s, > 0).
        max_linear_mps: commands with ``|linear.x|`` above this are rejected (m/s).
        max_angular_radps: commands with ``|angular.z|`` above this are rejected (rad/s).
        deadband_linear_mps: ``|linear.x|`` at or below this counts as zero.
        deadband_angular_radps: ``|angular.z|`` at or below this counts as zero.
    """

    linear_speed_mps: float = 0.25
    angular_speed_radps: float = 0.5
    max_linear_mps: float = 1.0
    max_angular_radps: float = 2.0
    deadband_linear_mps: float = 0.01
    deadband_angular_radps: float = 0.05

    def __post_init__(self) -> None:
        for name in (
            "linear_speed_mps",
            "angular_speed_radps",
            "max_linear_mps",
            "max_angular_radps",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"TwistMapping.{name} must be a positive number, got {value}")
        for name in ("deadband_linear_mps", "deadband_angular_radps"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"TwistMapping.{name} must be >= 0, got {value}")


def action_to_twist(action: int, mapping: TwistMapping) -> tuple[float, float]:
    """``(linear.x m/s, angular.z rad/s)`` for an action index (left = +z, counter-clockwise)."""
    if action == STOP:
        return 0.0, 0.0
    if action == FORWARD:
        return mapping.linear_speed_mps, 0.0
    if action == LEFT:
        return 0.0, mapping.angular_speed_radps
    if action == RIGHT:
        return 0.0, -mapping.angular_speed_radps
    raise ValueError(f"unknown action {action}; expected 0..{len(ACTION_NAMES) - 1}")


def twist_to_action(
    linear: tuple[float, float, float],
    angular: tuple[float, float, float],
    mapping: TwistMapping,
) -> int:
    """Discrete action for a Twist (the HSR base moves forward or turns, never both here).

    Rotation wins over translation when both are commanded: turning in place is the safe
    interpretation of an ambiguous command. Backward motion maps to ``stop`` (the policies
    never drive backwards and the head camera cannot see behind).

    Raises:
        InvalidCommand: a component is NaN/inf, or ``linear.x`` / ``angular.z`` exceed the limits.
    """
    for label, vector in (("linear", linear), ("angular", angular)):
        for axis, value in zip("xyz", vector, strict=False):
            if not math.isfinite(value):
                raise InvalidCommand(f"{label}.{axis} is {value}; every component must be finite")
    vx, wz = float(linear[0]), float(angular[2])
    if abs(vx) > mapping.max_linear_mps:
        raise InvalidCommand(
            f"linear.x = {vx:g} m/s exceeds the limit of {mapping.max_linear_mps:g} m/s"
        )
    if abs(wz) > mapping.max_angular_radps:
        raise InvalidCommand(
            f"angular.z = {wz:g} rad/s exceeds the limit of {mapping.max_angular_radps:g} rad/s"
        )
    if abs(wz) > mapping.deadband_angular_radps:
        return LEFT if wz > 0 else RIGHT
    if vx > mapping.deadband_linear_mps:
        return FORWARD
    return STOP
