"""Gymnasium environment: the HSR navigating an indoor world with discrete actions.

Modes
-----
``"goal"``: reach a final goal sampled in free space (geodesic distance ``min_path_m`` ..
``max_path_m``) by following sub-goals placed every ~1 m along the A* path. Terminates at the
goal, truncates after ``max_steps``.

``"sketch"``: follow a sketch instruction (one waypoint per step, 100 steps) in its layout;
the reward of a step is minus the distance to that step's waypoint; ADE / FDE are in ``info``
at the end. The episode ends (``terminated``) when the sketch is over.

Frames: poses are (x, y, yaw) in the world frame ("map" in ROS), REP-103; left = CCW.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .config import SimConfig
from .planner import astar, build_occupancy_grid, path_length, smooth_path, subgoals_along
from .render import CameraFrame, compose_panel, render_camera, render_topdown
from .sketches import Sketch, get_sketch, load_sketches, random_sketch
from .world import World, generate_floor_plan, layout_names, make_layout

ACTION_NAMES: tuple[str, ...] = ("stop", "forward", "left", "right")
"""Discrete actions 0..3: stop = no motion, forward = one step, left/right = turn in place."""

STOP, FORWARD, LEFT, RIGHT = 0, 1, 2, 3
MODES = ("goal", "sketch")

_LAYOUT_CACHE: dict[str, World] = {}


def _layout(name: str) -> World:
    """Named layout, built once per process so its occupancy / map caches are reused."""
    if name not in _LAYOUT_CACHE:
        _LAYOUT_CACHE[name] = make_layout(name)
    return _LAYOUT_CACHE[name].copy()


def wrap_angle(a: float) -> float:
    """Wrap radians to [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@dataclass
class EpisodeStatus:
    """Snapshot of the running episode (the ROS node publishes it as status).

    ``ade`` / ``fde`` are metres in sketch mode once the episode is over, else nan.
    ``reason`` is ``"running"``, ``"goal_reached"``, ``"max_steps"`` or ``"sketch_done"``.
    """

    step: int
    collisions: int
    subgoal_index: int
    num_subgoals: int
    done: bool
    success: bool
    reason: str
    distance_to_goal: float
    ade: float
    fde: float


class IndoorNavEnv(gym.Env):
    """Indoor navigation environment (see module docstring).

    Observation (``spaces.Dict``):
        semantic: (H, W, 3) uint8 label colours at the policy resolution.
        depth: (H, W) float32 z-depth in metres, 0 = no return (beyond ``max_range_m``).
        goal: (4,) float32 [sub-goal distance m, sub-goal angle rad, final-goal distance m,
            final-goal angle rad]; angles relative to the heading, CCW positive, [-pi, pi].
        pose: (3,) float32 [x, y, yaw] in the world frame.
        topdown: (S, S, 3) uint8 top-down map (``render_topdown``); zeros when disabled.
        waypoint: (2,) float32 current sketch waypoint in the robot frame (x forward,
            y left), metres; zeros in goal mode.

    Args:
        config: simulator configuration (default ``SimConfig()``).
        mode: ``"goal"`` or ``"sketch"``.
        layout: named layout, or None for a new procedural floor plan every reset (goal mode).
        render_mode: None or ``"rgb_array"`` (``compose_panel`` of the current view).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        config: SimConfig | None = None,
        mode: str = "goal",
        layout: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        self.config = config if config is not None else SimConfig()
        self.config.validate()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
        if layout is not None:
            make_layout(layout)  # fail now, with the list of names, not at reset
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unsupported render_mode {render_mode!r}; use None or 'rgb_array'")
        self.mode = mode
        self.layout = layout
        self.render_mode = render_mode
        self.observe_topdown = (
            self.config.observe_topdown
            if self.config.observe_topdown is not None
            else mode == "sketch"
        )
        cfg = self.config
        h, w, s = cfg.policy_height, cfg.policy_width, cfg.topdown_size
        # Finite bounds (1 km) instead of inf: nothing here is that far, and check_env warns
        # on infinite Box bounds.
        inf = np.float32(1.0e3)
        pi = np.float32(np.pi)
        self.action_space = spaces.Discrete(len(ACTION_NAMES))
        self.observation_space = spaces.Dict(
            {
                "semantic": spaces.Box(0, 255, (h, w, 3), np.uint8),
                "depth": spaces.Box(0.0, np.float32(cfg.camera.max_range_m), (h, w), np.float32),
                "goal": spaces.Box(
                    np.array([0.0, -pi, 0.0, -pi], np.float32),
                    np.array([inf, pi, inf, pi], np.float32),
                    dtype=np.float32,
                ),
                "pose": spaces.Box(-inf, inf, (3,), np.float32),
                "topdown": spaces.Box(0, 255, (s, s, 3), np.uint8),
                "waypoint": spaces.Box(-inf, inf, (2,), np.float32),
            }
        )
        self._turn = cfg.robot.turn_angle_rad
        self._render_rng = np.random.default_rng(0)
        self.world: World | None = None
        self.sketch: Sketch | None = None
        self._pose = np.zeros(3)
        self.path_xy = np.zeros((0, 2))
        self.subgoals = np.zeros((0, 2))
        self._reset_counters()

    # ------------------------------------------------------------------ public accessors

    @property
    def pose(self) -> tuple[float, float, float]:
        """Robot base (x, y, yaw) in the world frame (metres, radians)."""
        return float(self._pose[0]), float(self._pose[1]), float(self._pose[2])

    @property
    def goal_xy(self) -> np.ndarray:
        """(2,) final goal (last sketch waypoint in sketch mode), world frame."""
        return self.subgoals[-1].copy()

    @property
    def subgoal_xy(self) -> np.ndarray:
        """(2,) current sub-goal (current sketch waypoint in sketch mode), world frame."""
        return self.subgoals[self._subgoal_index].copy()

    @property
    def trajectory_xy(self) -> np.ndarray:
        """(T + 1, 2) robot positions since reset (start included)."""
        return np.array(self._trajectory, dtype=np.float64).reshape(-1, 2)

    @property
    def max_steps(self) -> int:
        """Step limit of the current episode (sketch length in sketch mode)."""
        return self._max_steps

    @property
    def layout_name(self) -> str:
        """Name of the current layout, or ``"procedural:<seed>"`` for a generated floor plan."""
        if self.world.name == "procedural":
            return f"procedural:{self._episode_seed}"
        return self.world.name

    def episode_status(self) -> EpisodeStatus:
        ade = fde = float("nan")
        if self.mode == "sketch" and self._done and self._sketch_dists:
            ade, fde = float(np.mean(self._sketch_dists)), float(self._sketch_dists[-1])
        return EpisodeStatus(
            step=self._step,
            collisions=self._collisions,
            subgoal_index=self._subgoal_index,
            num_subgoals=len(self.subgoals),
            done=self._done,
            success=self._success,
            reason=self._reason,
            distance_to_goal=self._distance(self.subgoals[-1]) if len(self.subgoals) else math.nan,
            ade=ade,
            fde=fde,
        )

    def render_camera(self, width: int, height: int, with_rgb: bool = True) -> CameraFrame:
        """Render the head camera at the current pose (e.g. native 640x480 for ROS topics)."""
        self._require_reset()
        return render_camera(
            self.world, self._pose, self.config.camera, width, height, with_rgb, self._render_rng
        )

    def render_topdown(self, size: int | None = None) -> np.ndarray:
        """(S, S, 3) uint8 top-down map with robot, sub-goals / waypoints and trajectory."""
        self._require_reset()
        waypoints = self.sketch.waypoints if self.sketch is not None else self.subgoals
        return render_topdown(
            self.world,
            self._pose,
            size or self.config.topdown_size,
            waypoints=waypoints,
            trajectory=self.trajectory_xy,
        )

    # ------------------------------------------------------------------ gymnasium API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode.

        Args:
            seed: seeds the world, start, goal, people and render noise.
            options: ``{"layout": name}`` (goal mode) and/or ``{"sketch": sketch_id}``
                (sketch mode) override the constructor choice for this episode.
        """
        super().reset(seed=seed)
        self._episode_seed = seed
        options = dict(options or {})
        unknown = sorted(set(options) - {"layout", "sketch"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; valid: 'layout', 'sketch'")
        # Validate names before touching any state, so a refused reset leaves the episode intact.
        if options.get("layout") is not None:
            make_layout(options["layout"])
        if options.get("sketch") not in (None, "random"):
            get_sketch(options["sketch"])
        rng = self.np_random
        cfg = self.config
        self._reset_counters()
        if self.mode == "sketch":
            sketch_id = options.get("sketch")
            if sketch_id is None and cfg.episode.sketch_pool == "random":
                sketch_id = "random"
            if sketch_id == "random":
                self.sketch = self._random_sketch(rng, options.get("layout"))
            elif sketch_id is None:
                sketches = load_sketches()
                self.sketch = sketches[int(rng.integers(len(sketches)))]
            else:
                self.sketch = get_sketch(sketch_id)
            self.world = _layout(self.sketch.layout)
            self._pose = self.sketch.start_pose.astype(np.float64).copy()
            self.path_xy = np.vstack([self._pose[None, :2], self.sketch.waypoints])
            self.subgoals = self.sketch.waypoints.copy()
            self._max_steps = len(self.subgoals)
        else:
            self.sketch = None
            layout = options.get("layout", self.layout)
            self._max_steps = cfg.episode.max_steps
            for _ in range(20):
                self.world = _layout(layout) if layout is not None else generate_floor_plan(rng)
                task = self._sample_task(rng)
                if task is not None:
                    break
            else:
                raise RuntimeError(f"could not sample a reachable goal in layout {layout!r}")
            start, self.path_xy = task
            self._pose = np.array([start[0], start[1], rng.uniform(-math.pi, math.pi)])
            self.subgoals = subgoals_along(
                self.path_xy, cfg.episode.subgoal_spacing_m, keep_corners=True
            )
        n_people = len(self.world.people_xy)
        heading = rng.uniform(-math.pi, math.pi, size=n_people)
        self._people_vel = cfg.episode.people_speed_m * np.stack(
            [np.cos(heading), np.sin(heading)], axis=1
        )
        self._render_rng = np.random.default_rng(int(rng.integers(2**62)))
        self._trajectory = [(float(self._pose[0]), float(self._pose[1]))]
        return self._observe(), self._info(collision=False)

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        self._require_reset()
        if self._done:
            raise RuntimeError("episode is over; call reset() before step()")
        action = int(action)
        if not 0 <= action < len(ACTION_NAMES):
            raise ValueError(f"action must be in 0..{len(ACTION_NAMES) - 1}, got {action}")
        cfg = self.config
        x, y, yaw = self._pose
        target_before = self._distance(self.subgoals[self._subgoal_index])
        collision = False
        if action == FORWARD:
            nx = x + cfg.robot.step_length_m * math.cos(yaw)
            ny = y + cfg.robot.step_length_m * math.sin(yaw)
            if self.world.collides(nx, ny, cfg.robot.radius_m):
                collision = True  # blocked: the robot stays where it was
                self._collisions += 1
            else:
                self._pose[0], self._pose[1] = nx, ny
        elif action == LEFT:
            self._pose[2] = wrap_angle(yaw + self._turn)
        elif action == RIGHT:
            self._pose[2] = wrap_angle(yaw - self._turn)
        if cfg.episode.people_walking and len(self.world.people_xy):
            self._move_people()
        self._step += 1
        self._trajectory.append((float(self._pose[0]), float(self._pose[1])))

        terminated = truncated = False
        if self.mode == "sketch":
            d = self._distance(self.subgoals[self._step - 1])
            self._sketch_dists.append(d)
            reward = -d
            self._subgoal_index = min(self._step, len(self.subgoals) - 1)
            if self._step >= self._max_steps:
                terminated = True
                self._reason = "sketch_done"
                self._success = (
                    d <= cfg.episode.sketch_success_radius_m
                    and self._collisions <= cfg.episode.max_collisions
                )
        else:
            rc = cfg.reward
            reward = rc.step_penalty + rc.progress_scale * (
                target_before - self._distance(self.subgoals[self._subgoal_index])
            )
            if collision:
                reward += rc.collision_penalty
            last = len(self.subgoals) - 1
            while (
                self._subgoal_index < last
                and self._distance(self.subgoals[self._subgoal_index])
                <= cfg.episode.subgoal_radius_m
            ):
                self._subgoal_index += 1
                reward += rc.subgoal_bonus
            if self._distance(self.subgoals[-1]) <= cfg.episode.goal_radius_m:
                reward += rc.goal_bonus
                self._subgoal_index = last
                terminated = True
                self._reason = "goal_reached"
                self._success = self._collisions <= cfg.episode.max_collisions
            elif self._step >= self._max_steps:
                truncated = True
                self._reason = "max_steps"
        self._done = terminated or truncated
        return self._observe(), float(reward), terminated, truncated, self._info(collision)

    def render(self) -> np.ndarray | None:
        """``rgb_array``: semantic | colourised depth | top-down panel, (H, W, 3) uint8."""
        if self.render_mode is None:
            return None
        frame = self.render_camera(
            self.config.render_width, self.config.render_height, with_rgb=False
        )
        return compose_panel(
            frame, self.render_topdown(), max_range_m=self.config.camera.max_range_m
        )

    # ------------------------------------------------------------------ internals

    def _random_sketch(self, rng: np.random.Generator, layout: str | None) -> Sketch:
        """A random training sketch in ``layout`` (or in a random named layout where one fits)."""
        names = [layout] if layout else list(rng.permutation(layout_names()))
        for name in names:
            try:
                return random_sketch(rng, _layout(str(name)), str(name))
            except RuntimeError:
                continue
        raise RuntimeError(f"no random sketch fits in layout(s) {names}")

    def _reset_counters(self) -> None:
        self._step = 0
        self._collisions = 0
        self._subgoal_index = 0
        self._done = False
        self._success = False
        self._reason = "running"
        self._sketch_dists: list[float] = []
        self._trajectory: list[tuple[float, float]] = []
        self._max_steps = self.config.episode.max_steps

    def _require_reset(self) -> None:
        if self.world is None:
            raise RuntimeError("call reset() first")

    def _distance(self, xy: np.ndarray) -> float:
        return math.hypot(float(xy[0]) - self._pose[0], float(xy[1]) - self._pose[1])

    def _sample_task(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
        """Start and A* path to a goal with geodesic length in [min_path_m, max_path_m]."""
        ep, radius = self.config.episode, self.config.robot.radius_m
        inflation = radius + ep.planner_margin_m
        grid = build_occupancy_grid(self.world, ep.planner_resolution_m, inflation)
        clearance = inflation + ep.planner_resolution_m
        for _ in range(30):
            try:
                start = self.world.free_space_sample(rng, clearance)
                goal = self.world.free_space_sample(rng, clearance)
            except RuntimeError:
                return None
            straight = float(np.hypot(*(goal - start)))
            # The geodesic is at least the straight line: reject hopeless pairs before A*.
            if not ep.min_path_m * 0.5 <= straight <= ep.max_path_m:
                continue
            path = astar(grid, start, goal)
            if path is None:
                continue
            path = smooth_path(grid, path)
            if ep.min_path_m <= path_length(path) <= ep.max_path_m:
                return start, path
        return None

    def _move_people(self) -> None:
        """Straight-line walk; a person blocked by a wall, furniture, another person or the
        robot reverses direction (deterministic: no randomness after reset)."""
        world = self.world
        r = world.people_radius_m
        robot_r = self.config.robot.radius_m
        for i in range(len(world.people_xy)):
            old = world.people_xy[i].copy()
            new = old + self._people_vel[i]
            others = np.delete(world.people_xy, i, axis=0)
            blocked = (
                world.collides(new[0], new[1], r, include_people=False)
                or math.hypot(new[0] - self._pose[0], new[1] - self._pose[1]) < r + robot_r
                or (len(others) and bool(np.any(np.hypot(*(others - new).T) < 2 * r)))
            )
            if blocked:
                self._people_vel[i] = -self._people_vel[i]
            else:
                world.people_xy[i] = new

    def _relative(self, xy: np.ndarray) -> tuple[float, float]:
        """(distance, bearing relative to heading wrapped to [-pi, pi))."""
        dx, dy = float(xy[0]) - self._pose[0], float(xy[1]) - self._pose[1]
        return math.hypot(dx, dy), wrap_angle(math.atan2(dy, dx) - self._pose[2])

    def _observe(self) -> dict[str, np.ndarray]:
        cfg = self.config
        frame = render_camera(
            self.world,
            self._pose,
            cfg.camera,
            cfg.policy_width,
            cfg.policy_height,
            with_rgb=False,
        )
        sd, sa = self._relative(self.subgoals[self._subgoal_index])
        gd, ga = self._relative(self.subgoals[-1])
        waypoint = np.zeros(2, dtype=np.float32)
        if self.mode == "sketch":
            wp = self.subgoals[min(self._step, len(self.subgoals) - 1)]
            dx, dy = wp[0] - self._pose[0], wp[1] - self._pose[1]
            c, s = math.cos(self._pose[2]), math.sin(self._pose[2])
            waypoint[:] = (c * dx + s * dy, -s * dx + c * dy)
        if self.observe_topdown:
            topdown = self.render_topdown()
        else:
            topdown = np.zeros((cfg.topdown_size, cfg.topdown_size, 3), dtype=np.uint8)
        return {
            "semantic": frame.semantic_rgb,
            "depth": frame.depth_m,
            "goal": np.array([sd, sa, gd, ga], dtype=np.float32),
            "pose": self._pose.astype(np.float32),
            "topdown": topdown,
            "waypoint": waypoint,
        }

    def _info(self, collision: bool) -> dict[str, Any]:
        info: dict[str, Any] = {
            "collision": collision,
            "collisions": self._collisions,
            "success": self._success,
            "is_success": self._success,
            "subgoal_index": self._subgoal_index,
            "num_subgoals": len(self.subgoals),
            "step": self._step,
            "distance_to_goal": self._distance(self.subgoals[-1]),
        }
        if self.mode == "sketch" and self._done:
            info["ade"] = float(np.mean(self._sketch_dists))
            info["fde"] = float(self._sketch_dists[-1])
        return info
