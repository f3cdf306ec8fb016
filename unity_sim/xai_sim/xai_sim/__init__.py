"""xai_sim: pure-Python indoor navigation simulator standing in for the HSR Unity ML-Agents
environment (same observation / action / reward contract).

Public API: ``IndoorNavEnv`` (gymnasium), ``SimConfig`` and its parts, ``World`` with
``generate_floor_plan`` / ``make_layout``, the renderers, the planner, sketches and the
``ScriptedDriver``. See README.md.
"""

from __future__ import annotations

import gymnasium as _gym

from .config import CameraConfig, EpisodeConfig, RewardConfig, RobotConfig, SimConfig
from .driver import ScriptedDriver
from .env import ACTION_NAMES, EpisodeStatus, IndoorNavEnv, wrap_angle
from .planner import (
    OccupancyGrid,
    astar,
    build_occupancy_grid,
    path_length,
    resample_polyline,
    smooth_path,
    subgoals_along,
)
from .render import (
    TOPDOWN_COLORS,
    CameraFrame,
    colorize_depth,
    compose_panel,
    compose_panel_arrays,
    intrinsics,
    render_camera,
    render_topdown,
    world_to_topdown_px,
)
from .scheduler import TickPlan, TickScheduler
from .sketches import (
    SKETCH_KINDS,
    Sketch,
    ade_fde,
    generate_sketches,
    get_sketch,
    load_sketches,
    sketch_ids,
)
from .world import (
    LABEL_COLORS,
    LABEL_NAMES,
    LAYOUTS,
    World,
    generate_floor_plan,
    layout_names,
    make_layout,
)

__version__ = "0.1.0"


def __getattr__(name: str):
    # Imported lazily so `python -m xai_sim.bench` does not import the module twice.
    if name == "measure_steps_per_second":
        from .bench import measure_steps_per_second

        return measure_steps_per_second
    raise AttributeError(f"module 'xai_sim' has no attribute {name!r}")


ENV_ID = "xai_sim/IndoorNav-v0"
if ENV_ID not in _gym.registry:
    _gym.register(id=ENV_ID, entry_point="xai_sim.env:IndoorNavEnv")

__all__ = [
    "ACTION_NAMES",
    "ENV_ID",
    "LABEL_COLORS",
    "LABEL_NAMES",
    "LAYOUTS",
    "SKETCH_KINDS",
    "TOPDOWN_COLORS",
    "CameraConfig",
    "CameraFrame",
    "EpisodeConfig",
    "EpisodeStatus",
    "IndoorNavEnv",
    "OccupancyGrid",
    "RewardConfig",
    "RobotConfig",
    "ScriptedDriver",
    "SimConfig",
    "Sketch",
    "TickPlan",
    "TickScheduler",
    "World",
    "ade_fde",
    "astar",
    "build_occupancy_grid",
    "colorize_depth",
    "compose_panel",
    "compose_panel_arrays",
    "generate_floor_plan",
    "generate_sketches",
    "get_sketch",
    "intrinsics",
    "layout_names",
    "load_sketches",
    "make_layout",
    "measure_steps_per_second",
    "path_length",
    "render_camera",
    "render_topdown",
    "resample_polyline",
    "sketch_ids",
    "smooth_path",
    "subgoals_along",
    "world_to_topdown_px",
    "wrap_angle",
]
