"""Parity vectors: what ``IndoorNavEnv.step`` decided, step by step, for the Unity C# rules.

The Unity project keeps the reward, sub-goal, success and episode rules in a plain C# class
(``unity_sim/UnityProject/Assets/HSRNav/Rules/NavRules.cs``) that compiles with mono. This
module runs the Python simulator through a fixed set of scenarios (goal and sketch mode,
scripted / random / collision-seeking drivers, several reward and episode configs, walking
people) and writes, for every step, the inputs the C# rules take and the outputs the simulator
produced, so ``unity_sim/UnityProject/build_tests.sh`` can replay them.

Every input is read from outside the environment (nothing in ``env.py`` is patched):

* before the step: ``env.pose``, ``env.subgoal_xy`` and the sub-goal index of the last
  ``info`` -> ``d_before``, the distance the progress term starts from;
* after the step: ``info["collision"]`` (the only geometric fact the rules cannot compute),
  ``env.pose`` and ``env.subgoals`` -> the distances from the new position to the sub-goals
  the rules may look at (``d_after``, starting at the sub-goal index before the step),
  ``info["distance_to_goal"]`` (``d_goal``) and, in sketch mode, the distance to this step's
  waypoint (``d_wp``);
* outputs: the reward, ``terminated``, ``truncated``, ``info`` (success, sub-goal index,
  collisions, step), ``env.episode_status().reason`` and, at the end of a sketch episode,
  ``info["ade"]`` / ``info["fde"]``; the observation's ``goal`` and ``waypoint`` vectors.

Poses and distances are written with 12 significant digits, rewards with 10 and observations
(float32) with 7, which keeps the committed file small; the C# check compares rewards within
1e-5. Keys are short; the document's ``legend`` says what each means.

    python -m xai_sim.parity [PATH]     # default: unity_sim/UnityProject/Tests/parity_vectors.json
    python -m xai_sim.parity --unity-assets [DIR]   # layouts.json + sketches.json for Unity
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .config import EpisodeConfig, RewardConfig, SimConfig
from .driver import ScriptedDriver
from .env import FORWARD, LEFT, IndoorNavEnv
from .sketches import load_sketches, sketch_ids
from .world import LABEL_COLORS, LABEL_NAMES, layout_names, make_layout

FORMAT_VERSION = 1
INPUT_DIGITS = 12
"""Significant digits of poses and distances: the C# rules see them within ~1e-12 relative."""
REWARD_DIGITS = 10

LEGEND = {
    "a": "action index (0 stop, 1 forward, 2 left, 3 right)",
    "p": "pose after the step [x, y, yaw] (world frame, m, rad)",
    "c": "1: the forward move was blocked (info['collision']); absent: 0",
    "db": "goal mode: distance before the step to the sub-goal current before the step",
    "df": "goal mode: sub-goal index before the step (da[0] is the distance to that one)",
    "da": "goal mode: distances after the step to sub-goals df, df+1, ... (as far as read)",
    "dg": "goal mode: distance after the step to the final goal (info['distance_to_goal'])",
    "dw": "sketch mode: distance after the step to this step's waypoint",
    "r": "reward (10 significant digits)",
    "t": "1: terminated; absent: 0",
    "u": "1: truncated; absent: 0",
    "s": "1: info['success']; absent: 0",
    "i": "sub-goal index after the step (info['subgoal_index'])",
    "n": "collisions so far (info['collisions'])",
    "why": "episode_status().reason once it is not 'running'",
    "og": "observation 'goal' after the step (float32, 7 significant digits)",
    "ow": "sketch mode: observation 'waypoint' after the step (robot frame, float32)",
}

DEFAULT_PATH = (
    Path(__file__).resolve().parents[2] / "UnityProject" / "Tests" / "parity_vectors.json"
)
"""The committed vectors (``unity_sim/UnityProject/Tests/parity_vectors.json``)."""

DEFAULT_ASSETS = (
    Path(__file__).resolve().parents[2] / "UnityProject" / "Assets" / "StreamingAssets" / "HSRNav"
)
"""Where the Unity project reads the exported layouts and sketches."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One kind of episode.

    Attributes:
        mode: ``"goal"`` or ``"sketch"``.
        layout: named layout, ``None`` = procedural (goal mode), ``"sketch"`` = the
            sketch's own layout (sketch mode).
        driver: ``"scripted"`` (turn-then-drive to the current sub-goal / waypoint),
            ``"noisy"`` (scripted, a quarter of the actions random), ``"random"``
            (forward-biased random actions) or ``"bump"`` (drives into obstacles until it
            has collided ``bumps`` times, then scripted).
        overrides: ``SimConfig.from_dict`` overrides (reward / episode values).
        sketch: ``"eval"`` (the packaged sketches in turn) or ``"random"`` (a training
            sketch drawn by the simulator).
        bumps: collisions the ``"bump"`` driver seeks.
    """

    mode: str
    layout: str | None
    driver: str
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    sketch: str = "eval"
    bumps: int = 3


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("goal", None, "scripted"),
    Scenario("goal", "office", "random"),
    Scenario("sketch", "sketch", "scripted"),
    # Exactly max_collisions (2) collisions before the goal: success on the boundary.
    Scenario("goal", "apartment", "bump", bumps=2),
    # A wide sub-goal radius: several sub-goals are passed in one step.
    Scenario("goal", None, "noisy", {"episode": {"subgoal_radius_m": 1.1}}),
    # Collisions allowed: the sketch fails on its final displacement alone.
    Scenario("sketch", "sketch", "random", {"episode": {"max_collisions": 50}}, sketch="random"),
    # Every reward term changed, a wide goal radius (the goal is reached while sub-goals are
    # still ahead) and no collision allowed.
    Scenario(
        "goal",
        "corridor",
        "bump",
        {
            "episode": {"goal_radius_m": 1.6, "max_collisions": 0},
            "reward": {
                "progress_scale": 2.0,
                "subgoal_bonus": 0.25,
                "goal_bonus": 5.0,
                "collision_penalty": -0.5,
                "step_penalty": -0.02,
            },
        },
    ),
    # A short horizon, walking people.
    Scenario("goal", None, "noisy", {"episode": {"max_steps": 40, "people_walking": True}}),
    # Three collisions, then catching up: the sketch fails on its collisions alone.
    Scenario("sketch", "sketch", "bump", {"episode": {"sketch_success_radius_m": 1.0}}),
    Scenario("goal", "open_hall", "scripted", {"episode": {"people_walking": True}}),
)


def _config_dicts(config: SimConfig) -> dict[str, Any]:
    """The parts of the config the C# rules mirror (``RewardConfig``, ``EpisodeConfig``)."""
    return {
        "reward": dataclasses.asdict(config.reward),
        "episode": dataclasses.asdict(config.episode),
    }


def _dist(xy: np.ndarray, x: float, y: float) -> float:
    # The same expression as IndoorNavEnv._distance (math.hypot of float differences).
    return math.hypot(float(xy[0]) - x, float(xy[1]) - y)


def _g(*values: Any, digits: int = INPUT_DIGITS) -> list[float]:
    """Floats rounded to ``digits`` significant digits (keeps the file small)."""
    return [float(f"{float(v):.{digits}g}") for v in values]


def _f32(values: np.ndarray) -> list[float]:
    """A float32 observation vector, 7 significant digits."""
    return _g(*np.asarray(values, dtype=np.float32).reshape(-1), digits=7)


class _Driver:
    """Chooses actions for a scenario; deterministic given its generator."""

    def __init__(
        self, kind: str, env: IndoorNavEnv, rng: np.random.Generator, bumps: int = 3
    ) -> None:
        self.kind = kind
        self.wanted = bumps
        self.env = env
        self.rng = rng
        self.scripted = ScriptedDriver(env.config.robot.turn_angle_rad)
        self.bumps = 0
        self.straight = 0

    def act(self, info: dict[str, Any]) -> int:
        env = self.env
        scripted = self.scripted.act(env.pose, env.subgoal_xy)
        if self.kind == "scripted":
            return scripted
        if self.kind == "noisy":
            return int(self.rng.integers(4)) if self.rng.random() < 0.25 else scripted
        if self.kind == "random":
            return int(self.rng.choice(4, p=[0.1, 0.5, 0.2, 0.2]))
        # bump: forward until blocked (a left turn every 12 blocked-free steps), `wanted` times.
        if info.get("collision"):
            self.bumps += 1
            self.straight = 0
        if self.bumps >= self.wanted:
            return scripted
        self.straight += 1
        if self.straight % 12 == 0:
            return LEFT
        return FORWARD


def _episode(
    index: int, scenario: Scenario, episode_seed: int, sketch_id: str | None
) -> dict[str, Any]:
    config = SimConfig.from_dict(scenario.overrides)
    layout = scenario.layout if scenario.mode == "goal" else None
    env = IndoorNavEnv(config, mode=scenario.mode, layout=layout)
    options = {"sketch": sketch_id} if scenario.mode == "sketch" else None
    obs, info = env.reset(seed=episode_seed, options=options)
    rng = np.random.default_rng(episode_seed + 7919)
    driver = _Driver(scenario.driver, env, rng, scenario.bumps)
    x0, y0, yaw0 = env.pose
    record: dict[str, Any] = {
        "index": index,
        "mode": scenario.mode,
        "driver": scenario.driver,
        "layout": env.layout_name,
        "seed": episode_seed,
        "sketch_id": env.sketch.id if env.sketch is not None else None,
        "config": _config_dicts(config),
        "max_steps": env.max_steps,
        "start": _g(x0, y0, yaw0),
        "subgoals": [_g(*p) for p in env.subgoals],
        "initial": {"i": int(info["subgoal_index"]), "og": _f32(obs["goal"])},
        "steps": [],
    }
    subgoals = env.subgoals
    last = len(subgoals) - 1
    done = False
    while not done:
        action = driver.act(info)
        # Inputs observed before the step.
        bx, by, _ = env.pose
        index_before = int(info["subgoal_index"])
        d_before = _dist(env.subgoal_xy, bx, by)
        obs, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        status = env.episode_status()
        x, y, yaw = env.pose
        step: dict[str, Any] = {"a": int(action), "p": _g(x, y, yaw)}
        if info["collision"]:
            step["c"] = 1
        if scenario.mode == "goal":
            # Distances the rules may read: from the sub-goal index before the step up to
            # one past the index after it (the first one not reached), and the goal.
            stop = min(int(info["subgoal_index"]) + 1, last)
            step["db"] = _g(d_before)[0]
            step["df"] = index_before
            step["da"] = _g(*(_dist(subgoals[j], x, y) for j in range(index_before, stop + 1)))
            step["dg"] = _g(info["distance_to_goal"])[0]
        else:
            step["dw"] = _g(_dist(subgoals[int(info["step"]) - 1], x, y))[0]
        step["r"] = _g(reward, digits=REWARD_DIGITS)[0]
        for key, flag in (("t", terminated), ("u", truncated), ("s", info["success"])):
            if flag:
                step[key] = 1
        step["i"] = int(info["subgoal_index"])
        step["n"] = int(info["collisions"])
        if status.reason != "running":
            step["why"] = status.reason
        step["og"] = _f32(obs["goal"])
        if scenario.mode == "sketch":
            step["ow"] = _f32(obs["waypoint"])
        if int(info["step"]) != len(record["steps"]) + 1:
            raise AssertionError(f"episode {index}: info['step'] is {info['step']}")
        record["steps"].append(step)
    status = env.episode_status()
    record["final"] = {
        "step": status.step,
        "collisions": status.collisions,
        "success": status.success,
        "reason": status.reason,
        "subgoal_index": status.subgoal_index,
        "num_subgoals": status.num_subgoals,
        "ade": float(info["ade"]) if "ade" in info else None,
        "fde": float(info["fde"]) if "fde" in info else None,
    }
    return record


def generate_parity_vectors(episodes: int = 20, seed: int = 0) -> dict[str, Any]:
    """Run ``episodes`` episodes (``SCENARIOS`` in turn) and return the vectors document."""
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    rng = np.random.default_rng(seed)
    ids = sketch_ids()
    eval_sketches = 0
    out = []
    for i in range(episodes):
        scenario = SCENARIOS[i % len(SCENARIOS)]
        episode_seed = int(rng.integers(2**31 - 1))
        sketch_id = None
        if scenario.mode == "sketch":
            if scenario.sketch == "random":
                sketch_id = "random"
            else:
                sketch_id = ids[eval_sketches % len(ids)]
                eval_sketches += 1
        out.append(_episode(i, scenario, episode_seed, sketch_id))
    return {
        "version": FORMAT_VERSION,
        "generator": "xai_sim.parity.write_parity_vectors",
        "seed": seed,
        "legend": LEGEND,
        "defaults": {
            "reward": dataclasses.asdict(RewardConfig()),
            "episode": dataclasses.asdict(EpisodeConfig()),
        },
        "episodes": out,
    }


def dumps(doc: dict[str, Any]) -> str:
    """Compact, stable JSON: one episode header and one step per line."""
    lines = ["{"]
    head = {k: v for k, v in doc.items() if k != "episodes"}
    for key, value in head.items():
        lines.append(f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))},")
    lines.append('"episodes":[')
    for e, episode in enumerate(doc["episodes"]):
        header = {k: v for k, v in episode.items() if k != "steps"}
        lines.append(json.dumps(header, separators=(",", ":"))[:-1] + ',"steps":[')
        steps = episode["steps"]
        for s, step in enumerate(steps):
            comma = "," if s < len(steps) - 1 else ""
            lines.append(json.dumps(step, separators=(",", ":")) + comma)
        lines.append("]}" + ("," if e < len(doc["episodes"]) - 1 else ""))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def write_parity_vectors(path: Path, episodes: int = 20, seed: int = 0) -> Path:
    """Generate the parity vectors and write them to ``path`` (JSON); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(generate_parity_vectors(episodes, seed)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Unity assets: the named layouts and the evaluation sketches, in a shape UnityEngine.JsonUtility
# reads (arrays of objects, no nested arrays).
# --------------------------------------------------------------------------------------------


def unity_layouts() -> dict[str, Any]:
    """The named layouts (``make_layout``) as ``{"version", "label_colors", "layouts": [...]}``
    (``label_colors``: ``LABEL_COLORS``, which the C# tests compare with ``SemanticColors``)."""
    layouts = []
    for name in layout_names():
        world = make_layout(name)
        boxes = [
            {
                "xmin": float(b[0]),
                "ymin": float(b[1]),
                "xmax": float(b[2]),
                "ymax": float(b[3]),
                "height": float(h),
                "label": int(label),
            }
            for b, h, label in zip(world.boxes, world.box_heights, world.box_labels, strict=True)
        ]
        people = [{"x": float(x), "y": float(y)} for x, y in world.people_xy]
        layouts.append(
            {"name": name, "bounds": _floats(world.bounds), "boxes": boxes, "people": people}
        )
    colors = [
        {"label": i, "name": name, "r": int(c[0]), "g": int(c[1]), "b": int(c[2])}
        for i, (name, c) in enumerate(zip(LABEL_NAMES, LABEL_COLORS, strict=True))
    ]
    return {"version": 1, "label_colors": colors, "layouts": layouts}


def unity_sketches() -> dict[str, Any]:
    """The packaged sketches with flat ``waypoints_xy`` ([x0, y0, x1, y1, ...])."""
    sketches = [
        {
            "id": sk.id,
            "kind": sk.kind,
            "layout": sk.layout,
            "start_pose": _floats(sk.start_pose),
            "waypoints_xy": _floats(sk.waypoints),
        }
        for sk in load_sketches()
    ]
    return {"version": 1, "sketches": sketches}


def _floats(values: Any) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def write_unity_assets(directory: Path = DEFAULT_ASSETS) -> list[Path]:
    """Write ``layouts.json`` and ``sketches.json`` for the Unity project; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for name, doc in (("layouts.json", unity_layouts()), ("sketches.json", unity_sketches())):
        path = directory / name
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m xai_sim.parity [PATH]`` writes the vectors; ``--unity-assets [DIR]`` the
    layouts and sketches of the Unity project."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--unity-assets":
        for path in write_unity_assets(Path(argv[1]) if len(argv) > 1 else DEFAULT_ASSETS):
            print(f"wrote {path}")
        return 0
    path = Path(argv[0]) if argv else DEFAULT_PATH
    write_parity_vectors(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    steps = sum(len(e["steps"]) for e in doc["episodes"])
    print(f"wrote {path}: {len(doc['episodes'])} episodes, {steps} steps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
