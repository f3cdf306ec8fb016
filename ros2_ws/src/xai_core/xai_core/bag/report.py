"""Evaluation report of a recorded bag (``xai-eval``): what the policy decided, how fast, why
(attention), whether a checkpoint decides the same on the recorded inputs, where the robot went
and how its episodes ended.

Pure Python (no rclpy): bags are read with :mod:`xai_core.bag.reader`; the numbers are computed
with numpy, the figures drawn with matplotlib (Agg) and written as PNGs next to an ``index.html``
and a ``report.json`` holding every number.

Times: *receipt* times are the bag's ``timestamp_ns`` (ns since the epoch, when the recorder got
the message); *stamps* are header stamps (ns, when the input was produced; a decision carries
its input image's stamp, so receipt - stamp is the end-to-end decision latency). Plots use
seconds since the bag's first message. Positions are metres in the frame of ``/odom`` (the
simulator's world frame), REP-103 (x forward, y left, yaw counter-clockwise).

Robustness: whatever is readable is evaluated. Sections whose topics are missing or of an
unexpected type, and messages that cannot be decoded, are listed with the reason under
``skipped`` / ``problems`` (next to the reader's own ``problems``), never raised.
"""

from __future__ import annotations

import bisect
import html
import json
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from xai_core.bag.reader import BagMessage, BagReader, open_bag
from xai_core.geometry import distance_and_bearing, quaternion_to_yaw
from xai_core.images import image_to_array
from xai_core.nav.actions import ACTION_NAMES

REPORT_VERSION = 1
GAP_FACTOR = 3.0
"""An inter-arrival time above this many median periods counts as a gap."""
TOP_FRACTION = 0.1
"""Attention concentration: share of the attention in the top 10 % of the cells."""
TRAJECTORY_BREAK_M = 1.0
"""Odometry jumps longer than this (a reset teleports the robot) break the plotted path."""
PAIR_CACHE = 64
"""Images / decisions kept while waiting for their partner of the same stamp."""
PAIR_SLACK_NS = 2_000_000_000
"""A paired decision is recomputed once odometry and goal of its stamp arrived, or this long
(bag time) after its receipt, whichever is first."""
DPI = 100


# --------------------------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportTopics:
    """Topic names the report looks for (defaults: what ``sim_node`` / ``policy_node`` publish)."""

    decision: str = "/xai/decision"
    semantic_color: str = "/xai/semantic_color"
    odom: str = "/odom"
    goal: str = "/goal"
    final_goal: str = "/xai/sim/final_goal"
    sketch: str = "/sketch"
    episode_status: str = "/xai/sim/episode_status"

    def with_prefix(self, prefix: str) -> ReportTopics:
        """Every name under namespace ``prefix`` (e.g. ``/hsr`` -> ``/hsr/odom``)."""
        prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        return ReportTopics(**{f.name: prefix + getattr(self, f.name) for f in fields(self)})


EXPECTED_TYPES: dict[str, str] = {
    "decision": "xai_interfaces/msg/ActionDecision",
    "semantic_color": "sensor_msgs/msg/Image",
    "odom": "nav_msgs/msg/Odometry",
    "goal": "geometry_msgs/msg/PoseStamped",
    "final_goal": "geometry_msgs/msg/PoseStamped",
    "sketch": "nav_msgs/msg/Path",
    "episode_status": "xai_interfaces/msg/EpisodeStatus",
}


# --------------------------------------------------------------------------------------------
# Metrics (pure functions, unit-tested directly)
# --------------------------------------------------------------------------------------------


def latency_summary(latencies_s: Sequence[float] | np.ndarray) -> dict[str, float | int | None]:
    """``count``, ``mean_ms``, ``p50_ms``, ``p90_ms``, ``p99_ms``, ``max_ms`` (linear-interpolated
    percentiles, numpy's default) of latencies given in seconds; None when empty."""
    ms = np.asarray(latencies_s, dtype=np.float64) * 1e3
    if ms.size == 0:
        return {"count": 0, **dict.fromkeys(("mean_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms"))}
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return {
        "count": int(ms.size),
        "mean_ms": float(ms.mean()),
        "p50_ms": float(p50),
        "p90_ms": float(p90),
        "p99_ms": float(p99),
        "max_ms": float(ms.max()),
    }


@dataclass(frozen=True)
class AttentionStats:
    """Summary of one attention grid (cells: row 0 = top of the image, column 0 = left).

    Attributes:
        entropy: Shannon entropy divided by log(cells): 0 = all attention on one cell,
            1 = uniform (0 for a one-cell grid).
        com_row, com_col: centre of mass in cell units (0 = centre of the first cell).
        top_fraction: share of the attention in the ``ceil(10 %)`` most attended cells.
    """

    entropy: float
    com_row: float
    com_col: float
    top_fraction: float


def attention_stats(grid: np.ndarray) -> AttentionStats:
    """:class:`AttentionStats` of a non-negative ``(H, W)`` grid (normalised here to sum 1;
    NaNs everywhere for an all-zero or non-finite grid)."""
    g = np.clip(np.asarray(grid, dtype=np.float64), 0.0, None)
    total = float(g.sum())
    if g.ndim != 2 or not math.isfinite(total) or total <= 0.0:
        nan = float("nan")
        return AttentionStats(nan, nan, nan, nan)
    p = g / total
    cells = p.size
    nonzero = p[p > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum() / math.log(cells)) if cells > 1 else 0.0
    rows, cols = np.indices(p.shape)
    top_k = max(1, math.ceil(TOP_FRACTION * cells))
    top = float(np.sort(p, axis=None)[::-1][:top_k].sum())
    return AttentionStats(
        entropy=min(max(entropy, 0.0), 1.0),
        com_row=float((p * rows).sum()),
        com_col=float((p * cols).sum()),
        top_fraction=top,
    )


def topic_timing(timestamps_ns: Sequence[int] | np.ndarray) -> dict[str, float | int | None]:
    """Arrival statistics of one topic from its receipt times (ns).

    Returns:
        ``count``; ``rate_hz`` = (count - 1) / span; ``median_period_s``; ``max_gap_s`` (longest
        inter-arrival time); ``gaps`` = inter-arrival times above ``GAP_FACTOR`` x the median
        period. Rates and periods are None with fewer than two messages.
    """
    t = np.sort(np.asarray(timestamps_ns, dtype=np.int64))
    out: dict[str, float | int | None] = {
        "count": int(t.size),
        "rate_hz": None,
        "median_period_s": None,
        "max_gap_s": None,
        "gaps": 0,
    }
    if t.size < 2:
        return out
    dt = np.diff(t) * 1e-9
    span = float(t[-1] - t[0]) * 1e-9
    median = float(np.median(dt))
    out.update(
        rate_hz=(t.size - 1) / span if span > 0 else None,
        median_period_s=median,
        max_gap_s=float(dt.max()),
        gaps=int((dt > GAP_FACTOR * median).sum()) if median > 0 else 0,
    )
    return out


def resample_by_index(points: np.ndarray, count: int) -> np.ndarray:
    """Linear resampling of a ``(N, D)`` sequence (N >= 1) to ``count`` samples spread evenly
    over its index range (first and last samples kept)."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) == count:
        return points.copy()
    source = np.arange(len(points), dtype=np.float64)
    target = np.linspace(0.0, len(points) - 1.0, count)
    return np.stack([np.interp(target, source, points[:, d]) for d in range(points.shape[1])], 1)


def trajectory_ade_fde(trajectory_xy: np.ndarray, waypoints_xy: np.ndarray) -> tuple[float, float]:
    """ADE / FDE (m) of a trajectory against sketch waypoints: the ``(N, 2)`` trajectory (one
    position per step after the start) resampled by index to the ``(T, 2)`` waypoints' count,
    then the simulator's metric (:func:`xai_sim.ade_fde`): mean and final point distance."""
    from xai_sim import ade_fde

    return ade_fde(resample_by_index(trajectory_xy, len(waypoints_xy)), waypoints_xy)


# --------------------------------------------------------------------------------------------
# Reading one bag
# --------------------------------------------------------------------------------------------


class GoalPredictor(Protocol):
    """What the agreement check needs of :class:`xai_core.nav.predictor.GoalNavPredictor`."""

    image_size: int

    def predict(
        self, semantic_rgb: np.ndarray, subgoal_distance_m: float, subgoal_angle_rad: float
    ) -> Any: ...


def _stamp_ns(header: Any) -> int:
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def _xy(pose: Any) -> tuple[float, float]:
    return float(pose.position.x), float(pose.position.y)


def _xyyaw(pose: Any) -> tuple[float, float, float]:
    q = pose.orientation
    return (*_xy(pose), quaternion_to_yaw(q.x, q.y, q.z, q.w))


def _rgb_pixels(image: Any) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB of an rgb8 / bgr8 Image message (ValueError otherwise)."""
    pixels = image_to_array(image)
    if image.encoding not in ("rgb8", "bgr8") or pixels.ndim != 3:
        raise ValueError(f"need an rgb8 / bgr8 image, got {image.encoding}")
    return pixels[..., ::-1] if image.encoding == "bgr8" else pixels


@dataclass
class _Pending:
    stamp_ns: int
    receipt_ns: int
    action: int
    q_values: np.ndarray
    images: dict[int, np.ndarray] | None = None  # model input size -> resized image


@dataclass
class _AgreementAcc:
    actions: int
    recorded: list[int] = field(default_factory=list)
    recomputed: list[int] = field(default_factory=list)
    q_abs_err: list[float] = field(default_factory=list)

    def result(self, checkpoint: str) -> dict[str, Any]:
        confusion = np.zeros((self.actions, self.actions), dtype=np.int64)
        for r, c in zip(self.recorded, self.recomputed, strict=True):
            if 0 <= r < self.actions and 0 <= c < self.actions:
                confusion[r, c] += 1
        equal = np.equal(self.recorded, self.recomputed)
        return {
            "checkpoint": checkpoint,
            "pairs": len(self.recorded),
            "agreement": float(equal.mean()) if equal.size else None,
            "confusion": confusion.tolist(),
            "q_mae": float(np.mean(self.q_abs_err)) if self.q_abs_err else None,
        }


class _Recomputer:
    """Pairs each recorded decision with the semantic image of its stamp and the odometry and
    sub-goal at or just before that stamp, and recomputes it with every predictor.

    Memory stays bounded: at most ``PAIR_CACHE`` images / decisions wait for their partner,
    images are kept at the models' input size, and pairs are recomputed as soon as their
    odometry and goal are in (see ``PAIR_SLACK_NS``).
    """

    def __init__(self, predictors: dict[str, GoalPredictor], actions: int) -> None:
        self.predictors = predictors
        self.sizes = sorted({int(p.image_size) for p in predictors.values()})
        self.images: OrderedDict[int, dict[int, np.ndarray]] = OrderedDict()
        self.waiting: OrderedDict[int, _Pending] = OrderedDict()
        self.ready: list[_Pending] = []
        self.odom: list[tuple[int, tuple[float, float, float]]] = []
        self.goals: list[tuple[int, tuple[float, float]]] = []
        self.unmatched: Counter[str] = Counter()
        self.acc = {label: _AgreementAcc(actions) for label in predictors}

    def add_image(self, stamp: int, pixels: np.ndarray) -> None:
        from xai_core.nav.predictor import resize_nearest

        resized = {s: np.ascontiguousarray(resize_nearest(pixels, s, s)) for s in self.sizes}
        pending = self.waiting.pop(stamp, None)
        if pending is not None:
            pending.images = resized
            self.ready.append(pending)
            return
        self.images[stamp] = resized
        while len(self.images) > PAIR_CACHE:
            self.images.popitem(last=False)

    def add_decision(self, pending: _Pending) -> None:
        pending.images = self.images.pop(pending.stamp_ns, None)
        if pending.images is not None:
            self.ready.append(pending)
            return
        self.waiting[pending.stamp_ns] = pending
        while len(self.waiting) > PAIR_CACHE:
            self.waiting.popitem(last=False)
            self.unmatched["no semantic image with the decision's stamp"] += 1

    def add_odom(self, stamp: int, pose: tuple[float, float, float]) -> None:
        bisect.insort(self.odom, (stamp, pose), key=lambda item: item[0])

    def add_goal(self, stamp: int, xy: tuple[float, float]) -> None:
        bisect.insort(self.goals, (stamp, xy), key=lambda item: item[0])

    @staticmethod
    def _at_or_before(series: list, stamp: int) -> Any:
        i = bisect.bisect_right(series, stamp, key=lambda item: item[0]) - 1
        return series[i][1] if i >= 0 else None

    def flush(self, now_ns: int, final: bool = False) -> None:
        """Recompute the ready pairs whose odometry and goal have arrived (all when ``final``;
        decisions still waiting for their image then count as unmatched)."""
        if self.ready:
            odom_latest = self.odom[-1][0] if self.odom else -1
            goal_latest = self.goals[-1][0] if self.goals else -1
            keep = []
            for p in self.ready:
                inputs_in = odom_latest >= p.stamp_ns and goal_latest >= p.stamp_ns
                if final or inputs_in or now_ns - p.receipt_ns > PAIR_SLACK_NS:
                    self._recompute(p)
                else:
                    keep.append(p)
            self.ready = keep
        if final and self.waiting:
            self.unmatched["no semantic image with the decision's stamp"] += len(self.waiting)
            self.waiting.clear()

    def _recompute(self, p: _Pending) -> None:
        pose = self._at_or_before(self.odom, p.stamp_ns)
        goal = self._at_or_before(self.goals, p.stamp_ns)
        if pose is None:
            self.unmatched["no odometry at or before the decision's stamp"] += 1
            return
        if goal is None:
            self.unmatched["no goal at or before the decision's stamp"] += 1
            return
        distance, bearing = distance_and_bearing(pose, goal)
        assert p.images is not None
        for label, predictor in self.predictors.items():
            decision = predictor.predict(p.images[int(predictor.image_size)], distance, bearing)
            acc = self.acc[label]
            acc.recorded.append(p.action)
            acc.recomputed.append(int(decision.action))
            q_new = np.asarray(decision.q_values, dtype=np.float64)
            if p.q_values.shape == q_new.shape:
                acc.q_abs_err.append(float(np.abs(p.q_values - q_new).mean()))


@dataclass
class BagAnalysis:
    """Everything the report shows about one bag (series for the figures, numbers for JSON).

    Per-decision arrays share one index (receipt order); attention statistics are NaN for
    decisions without attention.
    """

    label: str
    paths: list[str]
    start_ns: int = 0
    end_ns: int = 0
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    action_names: list[str] = field(default_factory=lambda: list(ACTION_NAMES))
    decision_receipt_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    decision_stamp_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    decision_actions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    attention: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))
    """(N, 4): entropy, centre-of-mass row, column, top-10 % share of the chosen grid."""
    mean_attention: dict[str, np.ndarray] = field(default_factory=dict)
    """Mean chosen-action grid over all decisions (``"all"``) and per chosen action name."""
    odom_stamp_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    odom: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    """(N, 3): x, y (m), yaw (rad) of each odometry message, receipt order (stamps beside)."""
    goals: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    final_goals: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    sketches: list[dict[str, Any]] = field(default_factory=list)
    sketch_waypoints: list[np.ndarray] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)
    agreement: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return max(0, self.end_ns - self.start_ns) * 1e-9

    def decision_times_s(self) -> np.ndarray:
        """Decision receipt times in seconds since the bag's first message."""
        return (self.decision_receipt_ns - self.start_ns) * 1e-9

    def latencies_s(self) -> np.ndarray:
        """Decision receipt time minus decision (= input image) stamp, seconds."""
        return (self.decision_receipt_ns - self.decision_stamp_ns) * 1e-9

    def skip(self, section: str, reason: str) -> None:
        self.skipped.append({"section": section, "reason": reason})

    # -- summaries ------------------------------------------------------------------------

    def decision_summary(self) -> dict[str, Any]:
        times = self.decision_receipt_ns
        span = (int(times.max()) - int(times.min())) * 1e-9 if times.size >= 2 else 0.0
        counts = np.bincount(self.decision_actions, minlength=len(self.action_names))
        return {
            "count": int(times.size),
            "rate_hz": (times.size - 1) / span if span > 0 else None,
            "latency": latency_summary(self.latencies_s()),
            "action_names": list(self.action_names),
            "action_counts": {
                name: int(counts[i]) if i < counts.size else 0
                for i, name in enumerate(self.action_names)
            },
        }

    def attention_summary(self) -> dict[str, Any] | None:
        valid = self.attention[np.isfinite(self.attention[:, 0])]
        if valid.size == 0:
            return None
        names = ("entropy", "com_row", "com_col", "top10_fraction")
        grid = self.mean_attention.get("all")
        return {
            "decisions": len(valid),
            "mean": {n: float(v) for n, v in zip(names, valid.mean(0), strict=True)},
            "std": {n: float(v) for n, v in zip(names, valid.std(0), strict=True)},
            "grid": list(grid.shape) if grid is not None else None,
        }

    def trajectory_summary(self) -> dict[str, Any] | None:
        if len(self.odom) == 0:
            return None
        steps = np.diff(self.odom[:, :2], axis=0)
        lengths = np.linalg.norm(steps, axis=1) if len(steps) else np.zeros(0)
        return {
            "odometry_messages": len(self.odom),
            "path_length_m": float(lengths[lengths <= TRAJECTORY_BREAK_M].sum()),
            "goals": len(self.goals),
            "final_goals": len(self.final_goals),
            "sketches": len(self.sketch_waypoints),
        }

    def sketch_summary(self) -> dict[str, Any] | None:
        scored = [s for s in self.sketches if s.get("ade_m") is not None]
        recorded = [e for e in self.episodes if e.get("ade_m") is not None]
        if not scored and not recorded:
            return None
        return {
            "ade_m": float(np.mean([s["ade_m"] for s in scored])) if scored else None,
            "fde_m": float(np.mean([s["fde_m"] for s in scored])) if scored else None,
            "per_sketch": self.sketches,
            "recorded_ade_m": float(np.mean([e["ade_m"] for e in recorded])) if recorded else None,
            "recorded_fde_m": float(np.mean([e["fde_m"] for e in recorded])) if recorded else None,
        }

    def episode_summary(self) -> dict[str, Any] | None:
        if not self.episodes:
            return None
        finished = [e for e in self.episodes if e["done"]] or self.episodes
        return {
            "episodes": len(self.episodes),
            "finished": sum(e["done"] for e in self.episodes),
            "success_rate": float(np.mean([e["success"] for e in finished])),
            "collisions_total": int(sum(e["collisions"] for e in self.episodes)),
            "mean_collisions": float(np.mean([e["collisions"] for e in finished])),
            "mean_steps": float(np.mean([e["steps"] for e in finished])),
            "per_episode": self.episodes,
        }

    def to_json(self, checkpoint: str | None) -> dict[str, Any]:
        """The JSON record of this bag; ``agreement`` of ``checkpoint`` (a key of
        ``self.agreement``) or None."""
        agreement = self.agreement.get(checkpoint) if checkpoint is not None else None
        times = self.decision_times_s()
        return {
            "label": self.label,
            "bag": self.paths,
            "checkpoint": checkpoint,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "duration_s": self.duration_s,
            "messages": sum(int(t["count"]) for t in self.topics.values()),
            "topics": self.topics,
            "decisions": self.decision_summary() if times.size else None,
            "decision_series": {
                "time_s": times.tolist(),
                "latency_ms": (self.latencies_s() * 1e3).tolist(),
                "action": self.decision_actions.tolist(),
                "attention_entropy": self.attention[:, 0].tolist(),
                "attention_com_row": self.attention[:, 1].tolist(),
                "attention_com_col": self.attention[:, 2].tolist(),
                "attention_top10_fraction": self.attention[:, 3].tolist(),
            },
            "attention": self.attention_summary(),
            "mean_attention": {k: v.tolist() for k, v in self.mean_attention.items()},
            "agreement": agreement,
            "trajectory": self.trajectory_summary(),
            "sketch": self.sketch_summary(),
            "episodes": self.episode_summary(),
            "skipped": self.skipped,
            "problems": self.problems,
        }


class _Collector:
    """One pass over a bag, dispatching each message of an expected topic to its handler."""

    def __init__(
        self,
        reader: BagReader,
        analysis: BagAnalysis,
        topics: ReportTopics,
        predictors: dict[str, GoalPredictor],
    ) -> None:
        self.reader = reader
        self.a = analysis
        self.topics = topics
        self.times: dict[str, list[int]] = {name: [] for name in reader.topics}
        self.present: dict[str, str] = {}  # role -> topic name, for roles whose type matches
        for role, expected in EXPECTED_TYPES.items():
            name = getattr(topics, role)
            info = reader.topics.get(name)
            if info is None:
                continue
            if info.msgtype != expected:
                analysis.problems.append(
                    f"{name} has type {info.msgtype}, expected {expected}: not evaluated"
                )
                continue
            if info.count:
                self.present[role] = name
        self.handlers: dict[str, Callable[[BagMessage, Any], None]] = {
            self.present[role]: handler
            for role, handler in (
                ("decision", self._decision),
                ("semantic_color", self._image),
                ("odom", self._odom),
                ("goal", self._goal),
                ("final_goal", self._final_goal),
                ("sketch", self._sketch),
                ("episode_status", self._status),
            )
            if role in self.present
        }
        self.recompute: _Recomputer | None = None
        needed = ("decision", "semantic_color", "odom", "goal")
        if predictors and all(role in self.present for role in needed):
            self.recompute = _Recomputer(predictors, len(analysis.action_names))
        if self.recompute is None:
            self.handlers.pop(self.present.get("semantic_color", ""), None)  # no need to decode
        self.decode_errors: Counter[str] = Counter()
        self.first_error: dict[str, str] = {}
        self.decisions: list[tuple[int, int, int]] = []  # receipt, stamp, action
        self.attention_rows: list[tuple[float, float, float, float]] = []
        self.grid_sums: dict[str, np.ndarray] = {}
        self.grid_counts: Counter[str] = Counter()
        self.odom_stamps: list[int] = []
        self.odom: list[tuple[float, float, float]] = []
        self.goals: list[tuple[float, float]] = []
        self.final_goals: list[tuple[float, float]] = []
        self.sketches: list[tuple[int, np.ndarray]] = []
        self.status: dict[int, dict[str, Any]] = {}
        self.sketch_mode = False

    # -- pass -----------------------------------------------------------------------------

    def run(self, progress: bool) -> None:
        from tqdm import tqdm

        total = sum(info.count for info in self.reader.topics.values())
        bar = tqdm(
            total=total,
            desc=f"reading {self.a.label}",
            unit="msg",
            disable=None if progress else True,
            leave=False,
        )
        last_ns = 0
        with bar:
            for message in self.reader.messages():
                bar.update(1)
                last_ns = message.timestamp_ns
                self.times.setdefault(message.topic, []).append(message.timestamp_ns)
                handler = self.handlers.get(message.topic)
                if handler is None:
                    continue
                try:
                    decoded = self.reader.decode(message)
                    if decoded is None:  # the reader noted why in its problems
                        raise ValueError(f"{message.msgtype} payload not decodable")
                    handler(message, decoded)
                except Exception as error:  # a corrupt message must not end the evaluation
                    self.decode_errors[message.topic] += 1
                    self.first_error.setdefault(message.topic, f"{type(error).__name__}: {error}")
                if self.recompute is not None:
                    self.recompute.flush(message.timestamp_ns)
        if self.recompute is not None:
            self.recompute.flush(last_ns, final=True)

    # -- handlers -------------------------------------------------------------------------

    def _decision(self, message: BagMessage, msg: Any) -> None:
        names = [str(n) for n in msg.action_names] or list(ACTION_NAMES)
        if not self.decisions:
            self.a.action_names = names
            if "waypoint_dx" in msg.goal_info_names or "sketch" in str(msg.policy_name):
                self.sketch_mode = True
        elif names != self.a.action_names:
            raise ValueError(f"action names changed to {names}")
        action = int(msg.chosen_action)
        if not 0 <= action < len(names):
            raise ValueError(f"chosen_action {action} outside 0..{len(names) - 1}")
        stamp = _stamp_ns(msg.header)
        self.decisions.append((message.timestamp_ns, stamp, action))
        self.attention_rows.append(self._attention(msg, action, len(names)))
        if self.recompute is not None and not self.sketch_mode:
            q = np.asarray(msg.q_values, dtype=np.float64)
            self.recompute.add_decision(_Pending(stamp, message.timestamp_ns, action, q))

    def _attention(self, msg: Any, action: int, actions: int) -> tuple[float, ...]:
        h, w = int(msg.attention_height), int(msg.attention_width)
        values = np.asarray(msg.attention, dtype=np.float64)
        if values.size == 0 or h * w == 0:
            return (math.nan,) * 4
        if values.size != actions * h * w:
            key = f"{self.topics.decision} attention"
            self.decode_errors[key] += 1
            self.first_error.setdefault(
                key, f"{values.size} values for {actions} grids of {h}x{w}; attention ignored"
            )
            return (math.nan,) * 4
        grid = values.reshape(actions, h, w)[action]
        for key in ("all", self.a.action_names[action]):
            if key in self.grid_sums and self.grid_sums[key].shape != grid.shape:
                continue  # the grid size changed: the mean map keeps the first size
            self.grid_sums[key] = self.grid_sums.get(key, 0.0) + grid / max(grid.sum(), 1e-12)
            self.grid_counts[key] += 1
        s = attention_stats(grid)
        return (s.entropy, s.com_row, s.com_col, s.top_fraction)

    def _image(self, message: BagMessage, msg: Any) -> None:
        assert self.recompute is not None
        if self.sketch_mode:
            return
        self.recompute.add_image(_stamp_ns(msg.header), _rgb_pixels(msg))

    def _odom(self, message: BagMessage, msg: Any) -> None:
        stamp = _stamp_ns(msg.header)
        pose = _xyyaw(msg.pose.pose)
        self.odom_stamps.append(stamp)
        self.odom.append(pose)
        if self.recompute is not None:
            self.recompute.add_odom(stamp, pose)

    def _goal(self, message: BagMessage, msg: Any) -> None:
        xy = _xy(msg.pose)
        if not self.goals or self.goals[-1] != xy:
            self.goals.append(xy)
        if self.recompute is not None:
            self.recompute.add_goal(_stamp_ns(msg.header), xy)

    def _final_goal(self, message: BagMessage, msg: Any) -> None:
        xy = _xy(msg.pose)
        if not self.final_goals or self.final_goals[-1] != xy:
            self.final_goals.append(xy)

    def _sketch(self, message: BagMessage, msg: Any) -> None:
        waypoints = np.array([_xy(p.pose) for p in msg.poses], dtype=np.float64).reshape(-1, 2)
        if len(waypoints) == 0:
            raise ValueError("empty path")
        self.sketches.append((_stamp_ns(msg.header), waypoints))

    def _status(self, message: BagMessage, msg: Any) -> None:
        def finite(value: float) -> float | None:
            return float(value) if math.isfinite(value) else None

        self.status[int(msg.episode)] = {
            "episode": int(msg.episode),
            "mode": str(msg.mode),
            "layout": str(msg.layout),
            "sketch_id": str(msg.sketch_id),
            "steps": int(msg.step),
            "collisions": int(msg.collisions),
            "done": bool(msg.done),
            "success": bool(msg.success),
            "reason": str(msg.reason),
            "ade_m": finite(msg.ade_m),
            "fde_m": finite(msg.fde_m),
        }

    # -- results --------------------------------------------------------------------------

    def finish(self, predictors: dict[str, GoalPredictor]) -> None:
        a, t = self.a, self.topics
        for name, times in sorted(self.times.items()):
            info = self.reader.topics.get(name)
            a.topics[name] = {"msgtype": info.msgtype if info else "?", **topic_timing(times)}
        for topic, count in self.decode_errors.items():
            a.problems.append(
                f"{topic}: {count} message(s) not evaluated ({self.first_error[topic]})"
            )
        if self.decisions:
            receipt, stamp, action = np.array(self.decisions, dtype=np.int64).T
            a.decision_receipt_ns, a.decision_stamp_ns, a.decision_actions = receipt, stamp, action
            a.attention = np.array(self.attention_rows, dtype=np.float64).reshape(-1, 4)
            order = [key for key in ("all", *a.action_names) if key in self.grid_sums]
            a.mean_attention = {k: self.grid_sums[k] / self.grid_counts[k] for k in order}
            if not np.isfinite(a.attention[:, 0]).any():
                a.skip("attention", f"the decisions on {t.decision} carry no attention grids")
        else:
            for section in ("decisions", "attention"):
                a.skip(section, self._missing("decision"))
        self._agreement(predictors)
        if self.odom:
            a.odom_stamp_ns = np.array(self.odom_stamps, dtype=np.int64)
            a.odom = np.array(self.odom, dtype=np.float64)
        else:
            a.skip("trajectory", self._missing("odom"))
        a.goals = np.array(self.goals, dtype=np.float64).reshape(-1, 2)
        a.final_goals = np.array(self.final_goals, dtype=np.float64).reshape(-1, 2)
        self._sketch_scores()
        a.episodes = [self.status[k] for k in sorted(self.status)]
        if not a.episodes:
            a.skip("episodes", self._missing("episode_status"))

    def _missing(self, role: str) -> str:
        """Why the topic of ``role`` gave nothing to evaluate."""
        topic, expected = getattr(self.topics, role), EXPECTED_TYPES[role]
        info = self.reader.topics.get(topic)
        if info is None:
            return f"no {topic} in the bag"
        if info.msgtype != expected:
            return f"{topic} has type {info.msgtype}, not {expected}"
        if info.count == 0:
            return f"{topic} has no messages"
        return f"no readable message on {topic}"

    def _agreement(self, predictors: dict[str, GoalPredictor]) -> None:
        a = self.a
        if not predictors:
            a.skip("agreement", "no checkpoint given to recompute the decisions with")
            return
        missing = [
            self._missing(role)
            for role in ("decision", "semantic_color", "odom", "goal")
            if role not in self.present
        ]
        if missing:
            a.skip("agreement", "inputs missing: " + "; ".join(missing))
            return
        if self.sketch_mode:
            a.skip("agreement", "sketch-mode decisions: recomputation supports goal mode only")
            return
        assert self.recompute is not None
        for label, acc in self.recompute.acc.items():
            a.agreement[label] = {**acc.result(label), "unmatched": dict(self.recompute.unmatched)}
        for reason, count in self.recompute.unmatched.items():
            a.problems.append(f"agreement: {count} decision(s) not recomputed: {reason}")
        if not any(r["pairs"] for r in a.agreement.values()):
            reasons = ", ".join(f"{k}: {v}" for k, v in self.recompute.unmatched.items())
            a.skip("agreement", f"no decision could be paired with its inputs ({reasons})")

    def _sketch_scores(self) -> None:
        a = self.a
        if not self.sketches:
            a.skip("sketch", self._missing("sketch") + " (goal mode?)")
            return
        stamps, xy = a.odom_stamp_ns, a.odom[:, :2]
        for i, (stamp, waypoints) in enumerate(self.sketches):
            a.sketch_waypoints.append(waypoints)
            end = self.sketches[i + 1][0] if i + 1 < len(self.sketches) else np.iinfo(np.int64).max
            # One position per state after the start (a republished state keeps its stamp).
            after = (stamps > stamp) & (stamps < end)
            _, first = np.unique(stamps[after], return_index=True)
            trajectory = xy[after][np.sort(first)]
            row: dict[str, Any] = {
                "stamp_ns": int(stamp),
                "waypoints": len(waypoints),
                "trajectory_points": len(trajectory),
                "ade_m": None,
                "fde_m": None,
            }
            if len(trajectory):
                row["ade_m"], row["fde_m"] = trajectory_ade_fde(trajectory, waypoints)
            else:
                a.problems.append(f"sketch {i}: no odometry after its stamp, ADE/FDE not scored")
            a.sketches.append(row)


def analyze_bag(
    paths: str | Path | Sequence[str | Path],
    predictors: dict[str, GoalPredictor] | None = None,
    topics: ReportTopics | None = None,
    label: str | None = None,
    progress: bool = False,
) -> BagAnalysis:
    """Read one bag once and compute everything the report shows.

    Args:
        paths: bag directory, ``.mcap`` / ``.db3`` file, or the files of a split bag.
        predictors: checkpoint label -> goal-navigation predictor to recompute the recorded
            decisions with (empty: the agreement section is skipped).
        topics: topic names (default :class:`ReportTopics`).
        label: column name in the report (default: the bag's file name).
        progress: show a tqdm bar (only on a terminal).

    Raises:
        BagError: the bag cannot be opened at all (everything else lands in ``problems``).
    """
    path_list = [paths] if isinstance(paths, str | Path) else list(paths)
    analysis = BagAnalysis(
        label=label or Path(path_list[0]).name, paths=[str(p) for p in path_list]
    )
    predictors = predictors or {}
    with open_bag(paths) as reader:
        analysis.start_ns, analysis.end_ns = int(reader.start_ns), int(reader.end_ns)
        collector = _Collector(reader, analysis, topics or ReportTopics(), predictors)
        collector.run(progress)
        collector.finish(predictors)
        analysis.problems[:0] = list(reader.problems)
    if not collector.present:
        analysis.problems.append(
            "none of the expected topics ("
            + ", ".join(getattr(collector.topics, role) for role in EXPECTED_TYPES)
            + ") has readable messages: only per-topic counts are reported"
        )
    return analysis


# --------------------------------------------------------------------------------------------
# Report: columns, JSON, figures, HTML
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportColumn:
    """One column of the report: a bag's analysis seen with one checkpoint (or none)."""

    label: str
    analysis: BagAnalysis
    checkpoint: str | None = None


def _jsonable(value: Any) -> Any:
    """Plain JSON: numpy scalars / arrays converted, NaN and infinities -> null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_json(columns: Sequence[ReportColumn], figures: Sequence[str]) -> dict[str, Any]:
    """The ``report.json`` document: one run per column (compare mode: two)."""
    runs = [{**c.analysis.to_json(c.checkpoint), "label": c.label} for c in columns]
    return _jsonable(
        {
            "version": REPORT_VERSION,
            "compare": len(columns) > 1,
            "runs": runs,
            "figures": list(figures),
        }
    )


def _distinct(columns: Sequence[ReportColumn]) -> list[ReportColumn]:
    """Columns with distinct analyses (compare-checkpoint mode shares one bag)."""
    seen: set[int] = set()
    out = []
    for c in columns:
        if id(c.analysis) not in seen:
            seen.add(id(c.analysis))
            out.append(c)
    return out


def _bag_label(c: ReportColumn, columns: Sequence[ReportColumn]) -> str:
    return c.label if len(_distinct(columns)) == len(columns) else c.analysis.label


def _figure(path: Path, draw: Callable[[Any], None], size: tuple[float, float]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=size, dpi=DPI)
    try:
        draw(fig)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)


def _fig_latency(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [(_bag_label(c, columns), c.analysis.latencies_s() * 1e3) for c in _distinct(columns)]
    runs = [(label, ms) for label, ms in runs if ms.size]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        bins = np.histogram_bin_edges(np.concatenate([ms for _, ms in runs]), bins=40)
        for label, ms in runs:
            p50, p90, p99 = np.percentile(ms, [50, 90, 99])
            ax.hist(
                ms,
                bins=bins,
                alpha=0.5,
                label=f"{label}: p50 {p50:.1f} / p90 {p90:.1f} / p99 {p99:.1f} ms",
            )
        ax.set_xlabel("decision latency: receipt - image stamp (ms)")
        ax.set_ylabel("decisions")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)

    return draw


def _fig_actions(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [c for c in _distinct(columns) if c.analysis.decision_actions.size]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        names = runs[0].analysis.action_names
        width = 0.8 / len(runs)
        for i, c in enumerate(runs):
            counts = np.bincount(c.analysis.decision_actions, minlength=len(names))[: len(names)]
            x = np.arange(len(names)) + (i - (len(runs) - 1) / 2) * width
            ax.bar(x, counts, width, label=_bag_label(c, columns))
        ax.set_xticks(np.arange(len(names)), names)
        ax.set_ylabel("decisions")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, axis="y")

    return draw


def _fig_timeline(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [c for c in _distinct(columns) if c.analysis.decision_actions.size]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        axes = fig.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0]
        for i, (ax, c) in enumerate(zip(axes, runs, strict=True)):
            a = c.analysis
            ax.step(a.decision_times_s(), a.decision_actions, where="post", lw=0.8, color=f"C{i}")
            ax.set_yticks(range(len(a.action_names)), a.action_names)
            ax.set_title(_bag_label(c, columns), fontsize=8)
            ax.grid(alpha=0.3)
        axes[-1].set_xlabel("time since bag start (s)")

    return draw


def _fig_attention_time(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [c for c in _distinct(columns) if np.isfinite(c.analysis.attention[:, 0]).any()]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        axes = fig.subplots(3, 1, sharex=True)
        for i, c in enumerate(runs):
            a, label, color = c.analysis, _bag_label(c, columns), f"C{i}"
            t = a.decision_times_s()
            axes[0].plot(t, a.attention[:, 0], color=color, lw=0.8, label=label)
            axes[1].plot(t, a.attention[:, 1], color=color, lw=0.8, label=f"{label}: row")
            axes[1].plot(
                t, a.attention[:, 2], color=color, lw=0.8, ls="--", label=f"{label}: column"
            )
            axes[2].plot(t, a.attention[:, 3], color=color, lw=0.8, label=label)
        axes[0].set_ylabel("entropy / log(cells)")
        axes[1].set_ylabel("centre (cells)")
        axes[2].set_ylabel("top-10 % share")
        axes[2].set_xlabel("time since bag start (s)")
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.legend(fontsize=6, loc="upper right")

    return draw


def _fig_attention_mean(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [c for c in _distinct(columns) if c.analysis.mean_attention]
    if not runs:
        return None
    cols = max(len(c.analysis.mean_attention) for c in runs)

    def draw(fig: Any) -> None:
        axes = fig.subplots(len(runs), cols, squeeze=False)
        for row, c in zip(axes, runs, strict=True):
            for ax in row:
                ax.axis("off")
            a = c.analysis
            valid = np.isfinite(a.attention[:, 0])
            for ax, (key, grid) in zip(row, a.mean_attention.items(), strict=False):
                ax.imshow(grid, cmap="jet", interpolation="nearest")
                if key == "all":
                    title = f"all decisions (n={valid.sum()})"
                else:
                    chose = a.decision_actions == a.action_names.index(key)
                    title = f"chose {key} (n={(valid & chose).sum()})"
                ax.set_title(f"{_bag_label(c, columns)}\n{title}", fontsize=7)

    return draw


def _segments(xy: np.ndarray) -> np.ndarray:
    """``(N, 2)`` path with NaN rows inserted at jumps > ``TRAJECTORY_BREAK_M`` (resets)."""
    if len(xy) < 2:
        return xy
    jumps = np.flatnonzero(np.linalg.norm(np.diff(xy, axis=0), axis=1) > TRAJECTORY_BREAK_M)
    return np.insert(xy, jumps + 1, np.nan, axis=0)


def _fig_trajectory(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [c for c in _distinct(columns) if len(c.analysis.odom)]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        ax = fig.add_subplot()
        for i, c in enumerate(runs):
            a, label, color = c.analysis, _bag_label(c, columns), f"C{i}"
            path = _segments(a.odom[:, :2])
            ax.plot(path[:, 0], path[:, 1], color=color, lw=1.2, label=f"{label}: odometry")
            if len(a.goals):
                ax.scatter(*a.goals.T, color=color, marker="o", s=12, label=f"{label}: /goal")
            if len(a.final_goals):
                ax.scatter(
                    *a.final_goals.T,
                    color=color,
                    marker="*",
                    s=80,
                    edgecolor="k",
                    label=f"{label}: final goal",
                )
            for j, wps in enumerate(a.sketch_waypoints):
                ax.plot(
                    *wps.T,
                    color=color,
                    ls=":",
                    marker=".",
                    ms=2,
                    label=f"{label}: sketch" if j == 0 else None,
                )
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("x (m, odom frame)")
        ax.set_ylabel("y (m)")
        ax.legend(fontsize=6)
        ax.grid(alpha=0.3)

    return draw


def _fig_confusion(columns: Sequence[ReportColumn]) -> Callable[[Any], None] | None:
    runs = [
        (c, c.analysis.agreement[c.checkpoint])
        for c in columns
        if c.checkpoint in c.analysis.agreement and c.analysis.agreement[c.checkpoint]["pairs"]
    ]
    if not runs:
        return None

    def draw(fig: Any) -> None:
        axes = fig.subplots(1, len(runs), squeeze=False)[0]
        for ax, (c, result) in zip(axes, runs, strict=True):
            matrix = np.asarray(result["confusion"])
            names = c.analysis.action_names
            ax.imshow(matrix, cmap="Blues")
            for (r, k), v in np.ndenumerate(matrix):
                ax.text(k, r, str(v), ha="center", va="center", fontsize=7)
            ax.set_xticks(range(len(names)), names, fontsize=7)
            ax.set_yticks(range(len(names)), names, fontsize=7)
            ax.set_xlabel(f"recomputed ({c.checkpoint})", fontsize=7)
            ax.set_ylabel("recorded", fontsize=7)
            ax.set_title(f"{c.label}: agreement {result['agreement']:.3f}", fontsize=8)

    return draw


FIGURES: tuple[tuple[str, str, Callable, tuple[float, float]], ...] = (
    ("latency.png", "Decision latency", _fig_latency, (6.0, 3.2)),
    ("actions.png", "Action histogram", _fig_actions, (5.0, 3.0)),
    ("action_timeline.png", "Action timeline", _fig_timeline, (7.0, 3.0)),
    ("agreement.png", "Recorded vs recomputed actions", _fig_confusion, (7.0, 3.2)),
    ("attention_time.png", "Attention over time (chosen action)", _fig_attention_time, (7, 5)),
    ("attention_mean.png", "Mean attention map (chosen action)", _fig_attention_mean, (8, 3)),
    ("trajectory.png", "Trajectory", _fig_trajectory, (6.0, 5.0)),
)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if not math.isfinite(value) else f"{value:.{digits}g}"
    return str(value)


def _get(d: dict | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


SUMMARY_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("checkpoint", ("checkpoint",)),
    ("duration (s)", ("duration_s",)),
    ("messages", ("messages",)),
    ("decisions", ("decisions", "count")),
    ("decision rate (Hz)", ("decisions", "rate_hz")),
    ("latency p50 (ms)", ("decisions", "latency", "p50_ms")),
    ("latency p90 (ms)", ("decisions", "latency", "p90_ms")),
    ("latency p99 (ms)", ("decisions", "latency", "p99_ms")),
    ("agreement with checkpoint", ("agreement", "agreement")),
    ("agreement pairs", ("agreement", "pairs")),
    ("q-value MAE", ("agreement", "q_mae")),
    ("attention entropy (mean)", ("attention", "mean", "entropy")),
    ("attention top-10 % share (mean)", ("attention", "mean", "top10_fraction")),
    ("attention centre row (mean)", ("attention", "mean", "com_row")),
    ("attention centre column (mean)", ("attention", "mean", "com_col")),
    ("path length (m)", ("trajectory", "path_length_m")),
    ("ADE (m), from odometry", ("sketch", "ade_m")),
    ("FDE (m), from odometry", ("sketch", "fde_m")),
    ("ADE (m), recorded status", ("sketch", "recorded_ade_m")),
    ("FDE (m), recorded status", ("sketch", "recorded_fde_m")),
    ("episodes", ("episodes", "episodes")),
    ("success rate", ("episodes", "success_rate")),
    ("collisions (total)", ("episodes", "collisions_total")),
    ("steps per episode (mean)", ("episodes", "mean_steps")),
)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _skipped_html(runs: Sequence[dict[str, Any]]) -> list[str]:
    parts = ["<h2>Skipped / problems</h2>"]
    for r in runs:
        items = [f"skipped {s['section']}: {s['reason']}" for s in r["skipped"]] + r["problems"]
        parts.append(f"<h3>{html.escape(r['label'])}</h3>")
        if items:
            lines = "".join(f"<li class='note'>{html.escape(i)}</li>" for i in items)
            parts.append(f"<ul>{lines}</ul>")
        else:
            parts.append("<p>nothing skipped, no problems</p>")
    return parts


def render_html(document: dict[str, Any], figures: Sequence[tuple[str, str]]) -> str:
    """The self-contained ``index.html`` (inline CSS; figures referenced as PNGs beside it)."""
    runs = document["runs"]
    bags = "<br>".join(
        f"<b>{html.escape(r['label'])}</b>: {html.escape(', '.join(r['bag']))}" for r in runs
    )
    summary = [[name, *(_get(r, *keys) for r in runs)] for name, keys in SUMMARY_ROWS]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>xai-eval report</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
        "padding:3px 8px;text-align:right;font-size:13px}th{background:#eee}"
        "td:first-child{text-align:left}img{max-width:100%;display:block;margin:1em 0}"
        ".note{color:#a33}</style></head><body>",
        "<h1>xai-eval report</h1>",
        f"<p>{bags}</p>",
        "<h2>Summary</h2>",
        _table(["", *(r["label"] for r in runs)], summary),
        *_skipped_html(runs),
    ]
    for r in runs:
        counts = _get(r, "decisions", "action_counts")
        if counts:
            parts.append(f"<h3>Actions: {html.escape(r['label'])}</h3>")
            parts.append(_table(list(counts), [list(counts.values())]))
    parts.append("<h2>Figures</h2>")
    for name, title in figures:
        title = html.escape(title)
        parts.append(f"<h3>{title}</h3><img src='{html.escape(name)}' alt='{title}'>")
    for r in runs:
        episodes = _get(r, "episodes", "per_episode")
        if episodes:
            keys = ["episode", "steps", "collisions", "success", "reason", "ade_m", "fde_m"]
            parts.append(f"<h2>Episodes: {html.escape(r['label'])}</h2>")
            parts.append(_table(keys, [[e.get(k) for k in keys] for e in episodes]))
    keys = ["msgtype", "count", "rate_hz", "median_period_s", "max_gap_s", "gaps"]
    for r in runs:
        rows = [[name, *(t.get(k) for k in keys)] for name, t in r["topics"].items()]
        parts.append(f"<h2>Topics: {html.escape(r['label'])}</h2>")
        parts.append(f"<p>gaps = inter-arrival times above {GAP_FACTOR:g} x the median period</p>")
        parts.append(_table(["topic", *keys], rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(columns: Sequence[ReportColumn], out_dir: str | Path) -> Path:
    """Write ``index.html``, the PNG figures and ``report.json`` into ``out_dir`` (created).

    Returns:
        The path of ``index.html``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.png"):
        stale.unlink()
    written: list[tuple[str, str]] = []
    for name, title, make, size in FIGURES:
        draw = make(columns)
        if draw is not None:
            _figure(out / name, draw, size)
            written.append((name, title))
    document = report_json(columns, [name for name, _ in written])
    (out / "report.json").write_text(json.dumps(document, indent=1, allow_nan=False))
    index = out / "index.html"
    index.write_text(render_html(document, written))
    return index


def single_columns(analysis: BagAnalysis, checkpoints: Sequence[str | None]) -> list[ReportColumn]:
    """Columns of one bag: one per checkpoint (compare-checkpoint mode) or a single column."""
    if len(checkpoints) <= 1:
        return [ReportColumn(analysis.label, analysis, checkpoints[0] if checkpoints else None)]
    return [ReportColumn(f"{analysis.label} [{c}]", analysis, c) for c in checkpoints]


__all__ = [
    "EXPECTED_TYPES",
    "AttentionStats",
    "BagAnalysis",
    "ReportColumn",
    "ReportTopics",
    "analyze_bag",
    "attention_stats",
    "latency_summary",
    "report_json",
    "resample_by_index",
    "single_columns",
    "topic_timing",
    "trajectory_ade_fde",
    "write_report",
]
