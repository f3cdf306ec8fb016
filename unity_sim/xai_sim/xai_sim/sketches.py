"""Sketch instructions: loading, generation and the ADE / FDE metrics.

A sketch is a hand-drawn path turned into one top-down waypoint per environment step (100),
in the world frame of the layout it was drawn for. ``data/sketches.json`` holds the ten
evaluation sketches of the thesis setup: four equal-interval (straight / L-shaped), two
unequal-interval (the drawing speed changes along the path) and four curved (arcs, S-curve).
The JSON is the committed output of ``generate_sketches`` (a test regenerates and compares).

Waypoint ``k`` (0-based) is where the robot should be after action ``k + 1``; the first is one
interval ahead of the start pose. Intervals never exceed 0.13 m, about half the 0.25 m step,
so a robot that also has to spend steps turning can keep up.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .planner import resample_polyline

SKETCH_KINDS: tuple[str, ...] = ("equal", "unequal", "curve")
SKETCH_LENGTH = 100


@dataclass(frozen=True)
class Sketch:
    """One sketch instruction.

    Attributes:
        id: unique name, e.g. ``"equal_straight_hall"``.
        kind: ``"equal"``, ``"unequal"`` or ``"curve"``.
        layout: name of the layout (``make_layout``) it is drawn in.
        start_pose: (3,) float64 robot start (x, y, yaw) in the world frame.
        waypoints: (100, 2) float64 world (x, y) per step, metres.
    """

    id: str
    kind: str
    layout: str
    start_pose: np.ndarray
    waypoints: np.ndarray

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "layout": self.layout,
            "start_pose": [round(float(v), 4) for v in self.start_pose],
            "waypoints": [[round(float(x), 4), round(float(y), 4)] for x, y in self.waypoints],
        }

    @staticmethod
    def from_dict(d: dict) -> Sketch:
        waypoints = np.asarray(d["waypoints"], dtype=np.float64)
        if waypoints.ndim != 2 or waypoints.shape[1] != 2:
            raise ValueError(f"sketch {d.get('id')!r}: waypoints must be (N, 2)")
        if d["kind"] not in SKETCH_KINDS:
            raise ValueError(f"sketch {d.get('id')!r}: kind must be one of {SKETCH_KINDS}")
        return Sketch(
            id=str(d["id"]),
            kind=str(d["kind"]),
            layout=str(d["layout"]),
            start_pose=np.asarray(d["start_pose"], dtype=np.float64).reshape(3),
            waypoints=waypoints,
        )


def ade_fde(trajectory_xy: np.ndarray, waypoints_xy: np.ndarray) -> tuple[float, float]:
    """Average and final displacement error.

    Args:
        trajectory_xy: (T, 2) robot positions after each step, metres.
        waypoints_xy: (T, 2) the waypoint of each step.

    Returns:
        (ADE, FDE): mean over steps of the Euclidean distance, and the distance at the last
        step, in metres.
    """
    traj = np.asarray(trajectory_xy, dtype=np.float64).reshape(-1, 2)
    wps = np.asarray(waypoints_xy, dtype=np.float64).reshape(-1, 2)
    if len(traj) != len(wps) or len(traj) == 0:
        raise ValueError(f"need equally long, non-empty sequences, got {len(traj)} and {len(wps)}")
    dist = np.linalg.norm(traj - wps, axis=1)
    return float(dist.mean()), float(dist[-1])


# --------------------------------------------------------------------------------------------
# Generation of the committed evaluation set
# --------------------------------------------------------------------------------------------


def _arc(cx: float, cy: float, r: float, a0: float, a1: float, n: int = 400) -> np.ndarray:
    a = np.linspace(a0, a1, n)
    return np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)


def _make(
    sketch_id: str, kind: str, layout: str, path: np.ndarray, intervals: np.ndarray
) -> Sketch:
    """Waypoints at cumulative ``intervals`` of arc length; start pose = path start, heading
    along the first segment."""
    assert len(intervals) == SKETCH_LENGTH
    waypoints = resample_polyline(path, np.cumsum(intervals))
    d = path[1] - path[0]
    start = np.array([path[0, 0], path[0, 1], math.atan2(d[1], d[0])])
    sketch = Sketch(sketch_id, kind, layout, start, waypoints)
    return Sketch.from_dict(sketch.to_dict())  # round exactly like the JSON


def _equal(length: float) -> np.ndarray:
    return np.full(SKETCH_LENGTH, length / SKETCH_LENGTH)


def _line(*pts: tuple[float, float]) -> np.ndarray:
    """Densely sampled polyline through the points (dense so resampling is exact)."""
    out = [np.array(pts[0], dtype=np.float64)[None]]
    for a, b in zip(pts[:-1], pts[1:], strict=False):
        t = np.linspace(0.0, 1.0, 200)[1:, None]
        out.append(np.array(a) + t * (np.array(b) - np.array(a)))
    return np.concatenate(out)


def generate_sketches() -> list[Sketch]:
    """Build the ten evaluation sketches (deterministic; ``data/sketches.json`` is the output)."""
    s = []
    # Equal interval: straight lines and L-shapes.
    s.append(
        _make(
            "equal_straight_hall", "equal", "open_hall", _line((1.0, 7.0), (10.0, 7.0)), _equal(9.0)
        )
    )
    s.append(
        _make(
            "equal_l_hall",
            "equal",
            "open_hall",
            _line((1.0, 1.0), (8.0, 1.0), (8.0, 4.5)),
            _equal(10.5),
        )
    )
    s.append(
        _make(
            "equal_straight_corridor",
            "equal",
            "corridor",
            _line((1.0, 1.2), (14.0, 1.2)),
            _equal(13.0),
        )
    )
    s.append(
        _make(
            "equal_l_office",
            "equal",
            "office",
            _line((1.0, 5.3), (10.5, 5.3), (10.5, 7.8)),
            _equal(12.0),
        )
    )
    # Unequal interval: the same kind of path drawn with changing speed.
    slow_fast = np.concatenate([np.full(40, 0.05), np.full(60, 0.12)])
    s.append(
        _make(
            "unequal_slow_fast_hall",
            "unequal",
            "open_hall",
            _line((1.0, 3.0), (10.2, 3.0)),
            slow_fast,
        )
    )
    fast_slow_fast = np.concatenate([np.full(30, 0.1), np.full(40, 0.04), np.full(30, 2.2 / 30)])
    s.append(
        _make(
            "unequal_fast_slow_apartment",
            "unequal",
            "apartment",
            _line((1.5, 2.5), (8.3, 2.5)),
            fast_slow_fast,
        )
    )
    # Curves: arcs and an S-curve.
    arc = _arc(6.0, 5.0, 3.0, -math.pi / 2, math.pi / 2)
    s.append(_make("curve_half_circle_hall", "curve", "open_hall", arc, _equal(3.0 * math.pi)))
    xs = np.linspace(1.0, 10.0, 600)
    s_curve = np.stack([xs, 3.0 + 1.2 * np.sin(2.0 * math.pi * (xs - 1.0) / 9.0)], axis=1)
    s_len = float(np.linalg.norm(np.diff(s_curve, axis=0), axis=1).sum())
    s.append(_make("curve_s_hall", "curve", "open_hall", s_curve, _equal(s_len)))
    circle = _arc(3.7, 2.7, 1.4, 0.0, 2.0 * math.pi)
    s.append(_make("curve_circle_apartment", "curve", "apartment", circle, _equal(2.8 * math.pi)))
    turn = np.concatenate(
        [
            _line((1.0, 5.3), (4.7, 5.3)),
            _arc(4.7, 3.0, 2.3, math.pi / 2, 0.0)[1:],
            _line((7.0, 3.0), (7.0, 2.0))[1:],
        ]
    )
    t_len = float(np.linalg.norm(np.diff(turn, axis=0), axis=1).sum())
    s.append(_make("curve_turn_into_office", "curve", "office", turn, _equal(t_len)))
    return s


def sketches_to_json(sketches: list[Sketch]) -> str:
    """Serialise sketches as the committed JSON text (stable formatting, one waypoint a line)."""
    return (
        json.dumps({"version": 1, "sketches": [sk.to_dict() for sk in sketches]}, indent=1) + "\n"
    )


def _data_path() -> Path:
    return Path(str(resources.files("xai_sim") / "data" / "sketches.json"))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Sketch, ...]:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return tuple(Sketch.from_dict(d) for d in doc["sketches"])


def load_sketches(path: str | Path | None = None) -> list[Sketch]:
    """Load sketches from JSON (default: the packaged ``data/sketches.json``)."""
    return list(_load(str(path) if path is not None else str(_data_path())))


def sketch_ids() -> tuple[str, ...]:
    """Ids of the packaged sketches, in file order."""
    return tuple(sk.id for sk in load_sketches())


def get_sketch(sketch_id: str) -> Sketch:
    """Packaged sketch by id.

    Raises:
        ValueError: unknown id (the message lists the valid ones).
    """
    for sk in load_sketches():
        if sk.id == sketch_id:
            return sk
    raise ValueError(f"unknown sketch {sketch_id!r}; choose one of: {', '.join(sketch_ids())}")


def write_sketches(path: str | Path | None = None) -> Path:
    """Regenerate the JSON file (default: the packaged one) and return its path."""
    out = Path(path) if path is not None else _data_path()
    out.write_text(sketches_to_json(generate_sketches()), encoding="utf-8")
    _load.cache_clear()
    return out


# --------------------------------------------------------------------------------------------
# Random training sketches
# --------------------------------------------------------------------------------------------


def random_sketch(
    rng: np.random.Generator, world, layout: str, clearance_m: float = 0.4, max_tries: int = 200
) -> Sketch:
    """A random drivable sketch in ``world`` for training (the ten evaluation sketches stay
    held out).

    The path is a chain of 1-3 constant-curvature pieces (straight with probability 0.4,
    otherwise a curvature of 0.25..0.7 1/m either way) from a random free start; the drawing
    speed is constant (``equal``) or changes once or twice (``unequal``), with intervals of
    0.04..0.12 m per step, so the robot (0.25 m per forward step) can keep up. Every
    waypoint keeps ``clearance_m`` from obstacles and stays inside the world.

    Raises:
        RuntimeError: no drivable sketch found in ``max_tries`` attempts.
    """
    for _ in range(max_tries):
        if rng.random() < 0.5:
            intervals = np.full(SKETCH_LENGTH, rng.uniform(0.05, 0.12))
            kind = "equal"
        else:
            cuts = np.sort(
                rng.choice(np.arange(20, 81), size=int(rng.integers(1, 3)), replace=False)
            )
            speeds = rng.uniform(0.04, 0.12, size=len(cuts) + 1)
            intervals = np.repeat(speeds, np.diff(np.concatenate([[0], cuts, [SKETCH_LENGTH]])))
            kind = "unequal"
        length = float(intervals.sum())
        start = world.free_space_sample(rng, clearance_m)
        # Half the sketches start along a wall direction, as people draw in rooms and corridors.
        heading = rng.uniform(-math.pi, math.pi)
        if rng.random() < 0.5:
            heading = round(heading / (math.pi / 2)) * (math.pi / 2)
        pieces = int(rng.integers(1, 4))
        bounds = np.sort(rng.uniform(0, length, size=pieces - 1))
        curvatures = np.where(
            rng.random(pieces) < 0.4,
            0.0,
            rng.uniform(0.25, 0.7, pieces) * rng.choice([-1, 1], pieces),
        )
        ds = 0.02
        s = np.arange(0.0, length + ds, ds)
        kappa = curvatures[np.searchsorted(bounds, s)]
        theta = heading + np.concatenate([[0.0], np.cumsum(kappa[:-1] * ds)])
        path = start + np.stack(
            [
                np.concatenate([[0.0], np.cumsum(np.cos(theta[:-1]) * ds)]),
                np.concatenate([[0.0], np.cumsum(np.sin(theta[:-1]) * ds)]),
            ],
            axis=1,
        )
        inside = np.all(
            (path >= world.bounds[:2] + clearance_m) & (path <= world.bounds[2:] - clearance_m)
        )
        if not inside or world.obstacle_distance(path).min() < clearance_m:
            continue
        if np.any(curvatures != 0) and kind == "equal":
            kind = "curve"
        waypoints = resample_polyline(path, np.cumsum(intervals))
        start_pose = np.array([start[0], start[1], heading])
        return Sketch(f"random_{kind}", kind, layout, start_pose, waypoints)
    raise RuntimeError(f"no drivable random sketch found in layout {layout!r}")
