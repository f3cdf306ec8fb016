"""Configuration dataclasses of the simulator.

All lengths are metres, angles are degrees in the config (converted to radians where used),
times are environment steps. ``SimConfig.from_dict`` is the only way a YAML/JSON config
enters the simulator: it rejects unknown keys (also nested ones) and invalid values with a
``ValueError`` naming the offending key, so a typo in a parameter file fails loudly instead
of silently falling back to a default.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RobotConfig:
    """Toyota HSR base as a disk that moves in discrete steps.

    Attributes:
        radius_m: footprint radius used for collisions and for inflating the planner grid.
        step_length_m: distance travelled by one ``forward`` action.
        turn_angle_deg: rotation of one ``left``/``right`` action (left = counter-clockwise).
    """

    radius_m: float = 0.22
    step_length_m: float = 0.25
    turn_angle_deg: float = 30.0

    def validate(self, prefix: str = "robot") -> None:
        _positive(f"{prefix}.radius_m", self.radius_m)
        _positive(f"{prefix}.step_length_m", self.step_length_m)
        _positive(f"{prefix}.turn_angle_deg", self.turn_angle_deg)
        if self.turn_angle_deg >= 180.0:
            raise ValueError(f"{prefix}.turn_angle_deg must be < 180, got {self.turn_angle_deg}")

    @property
    def turn_angle_rad(self) -> float:
        return math.radians(self.turn_angle_deg)


@dataclass
class CameraConfig:
    """HSR head RGB-D camera (Asus Xtion PRO LIVE).

    Attributes:
        width, height: native resolution in pixels (used by the ROS node for camera topics).
        hfov_deg, vfov_deg: horizontal / vertical field of view.
        height_m: optical centre height above the floor.
        tilt_deg: head pitch, positive = looking down. 10 deg lets the policy see the floor
            from ~1.6 m in front of the robot instead of ~2.4 m at 0 deg.
        max_range_m: z-depth beyond which the sensor returns no data (depth 0.0).
    """

    width: int = 640
    height: int = 480
    hfov_deg: float = 58.0
    vfov_deg: float = 45.0
    height_m: float = 1.0
    tilt_deg: float = 10.0
    max_range_m: float = 10.0

    def validate(self, prefix: str = "camera") -> None:
        _positive_int(f"{prefix}.width", self.width)
        _positive_int(f"{prefix}.height", self.height)
        for name in ("hfov_deg", "vfov_deg"):
            value = getattr(self, name)
            _positive(f"{prefix}.{name}", value)
            if value >= 170.0:
                raise ValueError(f"{prefix}.{name} must be < 170, got {value}")
        _positive(f"{prefix}.height_m", self.height_m)
        _positive(f"{prefix}.max_range_m", self.max_range_m)
        # The renderer parameterises rays by their horizontal direction, so no ray may point
        # straight up or down.
        if abs(self.tilt_deg) + self.vfov_deg / 2.0 >= 89.0:
            raise ValueError(
                f"{prefix}.tilt_deg: |tilt| + vfov/2 must be < 89 deg, got tilt {self.tilt_deg}"
            )


@dataclass
class EpisodeConfig:
    """Episode structure, success criterion and procedural task sampling.

    Attributes:
        max_steps: truncation horizon (the sketch mode always uses the sketch length, 100).
        subgoal_spacing_m: arc-length spacing of sub-goals along the A* path.
        subgoal_radius_m: a sub-goal counts as reached within this distance.
        goal_radius_m: the final goal counts as reached within this distance.
        max_collisions: success requires ``collisions <= max_collisions`` (the thesis uses
            "collisions at most a fixed count"; 2 tolerates grazing a door frame).
        sketch_success_radius_m: sketch-mode success requires FDE below this.
        min_path_m, max_path_m: geodesic length range of sampled start-goal pairs; 12 m keeps
            the goal reachable within 100 steps (48 forward steps plus turns).
        people_walking: people move in straight lines and bounce off obstacles.
        people_speed_m: distance a walking person covers per step (slow, ~0.4 of the robot).
        planner_resolution_m: A* grid cell size.
        planner_margin_m: extra clearance beyond the robot radius kept by planned paths.
        sketch_pool: sketch mode without a sketch id: ``"eval"`` picks one of the ten packaged
            evaluation sketches, ``"random"`` draws a new random sketch (training) in a named
            layout.
    """

    max_steps: int = 100
    subgoal_spacing_m: float = 1.0
    subgoal_radius_m: float = 0.35
    goal_radius_m: float = 0.3
    max_collisions: int = 2
    sketch_success_radius_m: float = 0.5
    min_path_m: float = 3.0
    max_path_m: float = 12.0
    people_walking: bool = False
    people_speed_m: float = 0.1
    sketch_pool: str = "eval"
    planner_resolution_m: float = 0.1
    planner_margin_m: float = 0.2

    def validate(self, prefix: str = "episode") -> None:
        _positive_int(f"{prefix}.max_steps", self.max_steps)
        for name in (
            "subgoal_spacing_m",
            "subgoal_radius_m",
            "goal_radius_m",
            "sketch_success_radius_m",
            "min_path_m",
            "max_path_m",
            "planner_resolution_m",
        ):
            _positive(f"{prefix}.{name}", getattr(self, name))
        _non_negative(f"{prefix}.people_speed_m", self.people_speed_m)
        _non_negative(f"{prefix}.planner_margin_m", self.planner_margin_m)
        if not isinstance(self.max_collisions, int) or self.max_collisions < 0:
            raise ValueError(
                f"{prefix}.max_collisions must be an integer >= 0, got {self.max_collisions!r}"
            )
        if self.max_path_m < self.min_path_m:
            raise ValueError(
                f"{prefix}.max_path_m ({self.max_path_m}) must be >= "
                f"{prefix}.min_path_m ({self.min_path_m})"
            )
        if self.sketch_pool not in ("eval", "random"):
            raise ValueError(
                f"{prefix}.sketch_pool must be 'eval' or 'random', got {self.sketch_pool!r}"
            )
        if not isinstance(self.people_walking, bool):
            raise ValueError(f"{prefix}.people_walking must be a bool, got {self.people_walking!r}")


@dataclass
class RewardConfig:
    """Goal-mode reward terms (the sketch mode reward is fixed: minus the waypoint distance).

    Attributes:
        progress_scale: multiplies (previous - new) distance to the current sub-goal, per metre.
        subgoal_bonus: added once per reached sub-goal.
        goal_bonus: added when the final goal is reached.
        collision_penalty: added (it is negative) when a forward move is blocked.
        step_penalty: added (negative) every step, to prefer short episodes.
    """

    progress_scale: float = 1.0
    subgoal_bonus: float = 0.5
    goal_bonus: float = 10.0
    collision_penalty: float = -1.0
    step_penalty: float = -0.01

    def validate(self, prefix: str = "reward") -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{prefix}.{f.name} must be a finite number, got {value!r}")
        if self.collision_penalty > 0:
            raise ValueError(
                f"{prefix}.collision_penalty must be <= 0, got {self.collision_penalty}"
            )
        if self.step_penalty > 0:
            raise ValueError(f"{prefix}.step_penalty must be <= 0, got {self.step_penalty}")


@dataclass
class SimConfig:
    """Whole-simulator configuration.

    Attributes:
        robot, camera, episode, reward: nested component configs.
        policy_width, policy_height: resolution of the "semantic"/"depth" observations.
        topdown_size: side of the square "topdown" observation in pixels.
        observe_topdown: render the top-down map every step. None = only in sketch mode (the
            goal-mode policy does not need it and skipping it is the training fast path);
            when off the "topdown" observation is all zeros.
        render_width, render_height: camera resolution of ``env.render()`` panels.
    """

    robot: RobotConfig = field(default_factory=RobotConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    episode: EpisodeConfig = field(default_factory=EpisodeConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    policy_width: int = 84
    policy_height: int = 84
    topdown_size: int = 128
    observe_topdown: bool | None = None
    render_width: int = 320
    render_height: int = 240

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid value."""
        self.robot.validate()
        self.camera.validate()
        self.episode.validate()
        self.reward.validate()
        for name in (
            "policy_width",
            "policy_height",
            "topdown_size",
            "render_width",
            "render_height",
        ):
            _positive_int(name, getattr(self, name))
        if self.observe_topdown is not None and not isinstance(self.observe_topdown, bool):
            raise ValueError(
                f"observe_topdown must be a bool or null, got {self.observe_topdown!r}"
            )

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> SimConfig:
        """Build a validated config from a (YAML-loaded) nested dict; missing keys keep defaults.

        Raises:
            ValueError: unknown key (e.g. ``"camera.tilt"``) or invalid value.
        """
        config = _from_dict(cls, d or {}, prefix="")
        config.validate()
        return config

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict (YAML/JSON serialisable); ``from_dict(to_dict())`` round-trips."""
        return dataclasses.asdict(self)


def _from_dict(cls: type, d: dict[str, Any], prefix: str) -> Any:
    if not isinstance(d, dict):
        raise ValueError(f"{prefix or 'config'} must be a mapping, got {type(d).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(fields))
    if unknown:
        where = f" in '{prefix[:-1]}'" if prefix else ""
        raise ValueError(
            f"unknown config key(s) {', '.join(repr(prefix + k) for k in unknown)}{where}; "
            f"valid keys: {', '.join(sorted(fields))}"
        )
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for name, value in d.items():
        default = getattr(defaults, name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _from_dict(type(default), value, prefix=f"{prefix}{name}.")
            continue
        kwargs[name] = _coerce(f"{prefix}{name}", value, default)
    return cls(**kwargs)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """Check the YAML value has the default's type; ints are accepted where floats are."""
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be a bool, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} must be an integer, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number, got {value!r}")
        return float(value)
    return value


def _positive(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{key} must be > 0, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{key} must be finite, got {value!r}")


def _non_negative(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{key} must be >= 0, got {value!r}")


def _positive_int(key: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{key} must be a positive integer, got {value!r}")
