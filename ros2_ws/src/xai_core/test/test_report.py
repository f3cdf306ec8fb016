"""xai-eval: bag evaluation report on synthetic bags with known values."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rosbags.interfaces import Nodetype

from xai_core.bag.eval_cli import main as eval_main
from xai_core.bag.report import (
    ReportColumn,
    ReportTopics,
    analyze_bag,
    attention_stats,
    resample_by_index,
    topic_timing,
    write_report,
)
from xai_core.bag.typestore import serialize, typestore
from xai_core.bag.writer import BagWriter
from xai_core.geometry import distance_and_bearing, quaternion_to_yaw, yaw_to_quaternion
from xai_core.nav.actions import ACTION_NAMES

T0 = 1_700_000_000 * 10**9
DT = 200_000_000  # 5 Hz states
DECISION = "xai_interfaces/msg/ActionDecision"
IMAGE, ODOM, POSE, PATH = (
    "sensor_msgs/msg/Image",
    "nav_msgs/msg/Odometry",
    "geometry_msgs/msg/PoseStamped",
    "nav_msgs/msg/Path",
)
STATUS = "xai_interfaces/msg/EpisodeStatus"
TOPIC_TYPES = {
    "/xai/decision": DECISION,
    "/xai/semantic_color": IMAGE,
    "/odom": ODOM,
    "/goal": POSE,
    "/xai/sim/final_goal": POSE,
    "/sketch": PATH,
    "/xai/sim/episode_status": STATUS,
    "/chatter": "std_msgs/msg/String",
}
NUMPY_TYPES = {"float32": np.float32, "float64": np.float64, "uint8": np.uint8, "int32": np.int32}


# ---- building messages and bags --------------------------------------------------------------


def make(msgtype: str, **values: Any) -> Any:
    """A typestore message with every field not given set to zero / empty."""
    store = typestore()
    kwargs = {}
    for name, (node, spec) in store.fielddefs[msgtype][1]:
        if name in values:
            kwargs[name] = values[name]
        elif node == Nodetype.NAME:  # nested message
            kwargs[name] = make(spec)
        elif node == Nodetype.BASE:
            kwargs[name] = "" if spec[0] == "string" else False if spec[0] == "bool" else 0
        else:  # array (fixed size) / sequence
            (_, (base, _)), count = spec
            size = count if node == Nodetype.ARRAY else 0
            kwargs[name] = np.zeros(size, NUMPY_TYPES[base]) if base in NUMPY_TYPES else []
    return store.types[msgtype](**kwargs)


def header(stamp_ns: int, frame: str = "odom") -> Any:
    stamp = make("builtin_interfaces/msg/Time", sec=stamp_ns // 10**9, nanosec=stamp_ns % 10**9)
    return make("std_msgs/msg/Header", stamp=stamp, frame_id=frame)


def pose(x: float, y: float, yaw: float = 0.0) -> Any:
    qx, qy, qz, qw = yaw_to_quaternion(yaw)
    return make(
        "geometry_msgs/msg/Pose",
        position=make("geometry_msgs/msg/Point", x=x, y=y, z=0.0),
        orientation=make("geometry_msgs/msg/Quaternion", x=qx, y=qy, z=qz, w=qw),
    )


def odom(stamp: int, x: float, y: float, yaw: float = 0.0) -> Any:
    cov = make("geometry_msgs/msg/PoseWithCovariance", pose=pose(x, y, yaw))
    return make(ODOM, header=header(stamp), pose=cov)


def pose_stamped(stamp: int, x: float, y: float) -> Any:
    return make(POSE, header=header(stamp), pose=pose(x, y))


def image(stamp: int, pixels: np.ndarray) -> Any:
    h, w, _ = pixels.shape
    return make(
        IMAGE,
        header=header(stamp, "camera"),
        height=h,
        width=w,
        encoding="rgb8",
        step=w * 3,
        data=np.ascontiguousarray(pixels, np.uint8).ravel(),
    )


def decision(stamp: int, action: int, q: np.ndarray, attention: np.ndarray | None) -> Any:
    grids = np.zeros((0, 0, 0), np.float32) if attention is None else attention
    return make(
        DECISION,
        header=header(stamp, "camera"),
        policy_name="aqt_goal",
        action_names=list(ACTION_NAMES),
        q_values=np.asarray(q, np.float32),
        chosen_action=action,
        attention_height=grids.shape[1],
        attention_width=grids.shape[2],
        attention=grids.astype(np.float32).ravel(),
        goal_info_names=["subgoal_distance_norm", "sin_subgoal_bearing", "cos_subgoal_bearing"],
    )


def status(stamp: int, episode: int, step: int, collisions: int, **kw: Any) -> Any:
    defaults = {"mode": "goal", "reason": "running", "ade_m": math.nan, "fde_m": math.nan}
    return make(
        STATUS,
        header=header(stamp),
        episode=episode,
        step=step,
        collisions=collisions,
        **{**defaults, **kw},
    )


def write_bag(path: Path, records: list[tuple[str, int, Any]]) -> Path:
    """A bag of ``(topic, receipt_ns, message)`` records (written in receipt order)."""
    with BagWriter(path, flush_period_s=None) as writer:
        for topic in dict.fromkeys(t for t, _, _ in records):
            writer.add_topic(topic, TOPIC_TYPES[topic])
        for topic, t, msg in sorted(records, key=lambda r: r[1]):
            writer.write(topic, t, serialize(msg, TOPIC_TYPES[topic]))
    return path


# ---- the synthetic goal + sketch bag with known values -----------------------------------------

N = 20
ACTIONS = [1] * 8 + [2] * 5 + [3] * 4 + [0] * 3
GRID = (3, 4)
MISSING_IMAGES = range(10, 14)  # one 1.0 s gap on /xai/semantic_color


def one_hot(cell: tuple[int, int]) -> np.ndarray:
    grid = np.zeros(GRID)
    grid[cell] = 1.0
    return grid


@pytest.fixture(scope="module")
def known_bag(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    rng = np.random.default_rng(0)
    latency_ns = rng.integers(10_000_000, 150_000_000, N)
    stamps = [T0 + k * DT for k in range(N)]
    waypoints = np.array([[0.1 * (j + 1), 0.0] for j in range(N - 1)])
    records: list[tuple[str, int, Any]] = [
        (
            "/sketch",
            stamps[0],
            make(
                PATH,
                header=header(stamps[0]),
                poses=[pose_stamped(stamps[0], *wp) for wp in waypoints],
            ),
        ),
        ("/xai/sim/final_goal", stamps[0], pose_stamped(stamps[0], 4.0, 0.0)),
    ]
    for k, t in enumerate(stamps):
        if k not in MISSING_IMAGES:
            records.append(("/xai/semantic_color", t, image(t, np.full((8, 8, 3), k, np.uint8))))
        # Start 0.5 m beside the sketch, then always 0.5 m beside waypoint k - 1.
        records.append(("/odom", t, odom(t, 0.1 * k, 0.5)))
        records.append(("/goal", t, pose_stamped(t, 2.0 if k < 10 else 4.0, 0.0)))
        grids = np.stack(
            [one_hot((k % 3, k % 4))] * 4 if k % 2 == 0 else [np.full(GRID, 1 / 12)] * 4
        )
        q = np.arange(4, dtype=np.float32) + k
        records.append(("/xai/decision", t + int(latency_ns[k]), decision(t, ACTIONS[k], q, grids)))
        episode, step = k // 10 + 1, k % 10  # two episodes of ten states
        last = step == 9
        score = 0.5 if last and episode == 2 else math.nan  # sketch scores of the 2nd episode
        reason = ("goal_reached" if episode == 1 else "max_steps") if last else "running"
        collisions = min(k, 2) if episode == 1 else 1
        msg = status(
            t,
            episode,
            step,
            collisions,
            done=last,
            success=last and episode == 1,
            reason=reason,
            ade_m=score,
            fde_m=score,
        )
        records.append(("/xai/sim/episode_status", t, msg))
    records.append(("/odom", stamps[5] + DT // 2, odom(stamps[5], 0.5, 0.5)))  # republished state
    path = write_bag(tmp_path_factory.mktemp("bags") / "known", records)
    return path, {"latency_ms": latency_ns / 1e6, "stamps": stamps, "latency_ns": latency_ns}


def test_attention_stats_of_one_hot_and_uniform_grids() -> None:
    s = attention_stats(one_hot((2, 1)))
    assert s.entropy == 0.0 and s.top_fraction == 1.0 and (s.com_row, s.com_col) == (2.0, 1.0)
    u = attention_stats(np.full((12, 12), 3.0))  # normalised internally
    assert u.entropy == pytest.approx(1.0) and u.top_fraction == pytest.approx(15 / 144)
    assert (u.com_row, u.com_col) == (pytest.approx(5.5), pytest.approx(5.5))
    assert math.isnan(attention_stats(np.zeros(GRID)).entropy)


def test_topic_timing_counts_gaps_over_three_median_periods() -> None:
    t = np.array([0, 1, 2, 3, 7, 8, 9, 9.5, 10]) * 10**9
    timing = topic_timing(t)
    assert timing["count"] == 9 and timing["max_gap_s"] == 4.0 and timing["gaps"] == 1
    assert timing["median_period_s"] == 1.0 and timing["rate_hz"] == pytest.approx(0.8)
    assert topic_timing([5])["rate_hz"] is None


def test_resample_by_index_keeps_ends() -> None:
    out = resample_by_index(np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]), 5)
    np.testing.assert_allclose(out[:, 0], [0, 0.5, 1, 1.5, 2])


def test_report_of_a_bag_with_known_values(known_bag, tmp_path: Path) -> None:
    path, known = known_bag
    analysis = analyze_bag(path)
    index = write_report([ReportColumn("known", analysis)], tmp_path / "report")
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    (run,) = doc["runs"]

    decisions = run["decisions"]
    assert decisions["count"] == N
    for q in (50, 90, 99):
        expected = np.percentile(known["latency_ms"], q)
        assert decisions["latency"][f"p{q}_ms"] == pytest.approx(expected, abs=1e-6)
    receipts = np.array(known["stamps"]) + known["latency_ns"]
    assert decisions["rate_hz"] == pytest.approx((N - 1) / ((receipts[-1] - receipts[0]) / 1e9))
    assert decisions["action_counts"] == {"stop": 3, "forward": 8, "left": 5, "right": 4}

    series = run["decision_series"]
    entropy = np.array(series["attention_entropy"])
    np.testing.assert_allclose(entropy[::2], 0.0, atol=1e-12)
    np.testing.assert_allclose(entropy[1::2], 1.0)
    np.testing.assert_allclose(series["attention_top10_fraction"][::2], 1.0)
    np.testing.assert_allclose(series["attention_top10_fraction"][1::2], 2 / 12)
    assert series["attention_com_row"][4] == 1.0 and series["attention_com_col"][4] == 0.0
    assert run["attention"]["mean"]["entropy"] == pytest.approx(0.5)
    assert np.array(run["mean_attention"]["all"]).shape == GRID

    sketch = run["sketch"]
    assert sketch["ade_m"] == pytest.approx(0.5) and sketch["fde_m"] == pytest.approx(0.5)
    assert sketch["per_sketch"][0]["trajectory_points"] == N - 1  # republished state counted once
    assert sketch["recorded_ade_m"] == pytest.approx(0.5)
    assert run["trajectory"]["goals"] == 2 and run["trajectory"]["final_goals"] == 1

    episodes = run["episodes"]
    assert episodes["episodes"] == 2 and episodes["success_rate"] == 0.5
    assert episodes["collisions_total"] == 3
    first, second = episodes["per_episode"]
    assert {k: first[k] for k in ("collisions", "success", "steps", "reason")} == {
        "collisions": 2,
        "success": True,
        "steps": 9,
        "reason": "goal_reached",
    }
    assert (second["success"], second["reason"], second["ade_m"]) == (False, "max_steps", 0.5)

    images = run["topics"]["/xai/semantic_color"]
    assert images["count"] == N - len(MISSING_IMAGES) and images["gaps"] == 1
    assert images["max_gap_s"] == pytest.approx((len(MISSING_IMAGES) + 1) * DT / 1e9)
    assert run["topics"]["/xai/decision"]["gaps"] == 0
    assert [s["section"] for s in run["skipped"]] == ["agreement"]  # no checkpoint given

    page = index.read_text()
    sources = re.findall(r"<img src='([^']+)'", page)
    assert {"latency.png", "actions.png", "attention_mean.png", "trajectory.png"} <= set(sources)
    assert all((index.parent / s).is_file() for s in sources)
    assert "Skipped / problems" in page and "no checkpoint given" in page


# ---- agreement with the committed checkpoint on simulator observations -------------------------

SIM_STEPS = 8
ALTERED = (1, 4, 6)


@pytest.fixture(scope="module")
def sim_bags(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two bags of one simulated episode: decisions as the aqt_goal predictor made them, and the
    same with the actions of ``ALTERED`` decisions changed."""
    pytest.importorskip("torch")
    from xai_core.nav.predictor import GoalNavPredictor
    from xai_core.paths import resolve_checkpoint
    from xai_sim import IndoorNavEnv

    predictor = GoalNavPredictor.from_checkpoint(resolve_checkpoint("aqt_goal"))
    env = IndoorNavEnv(mode="goal")
    obs, _ = env.reset(seed=3, options={"layout": "office"})
    inputs, made = [], []
    for k in range(SIM_STEPS):
        t = T0 + k * DT
        x, y, yaw = env.pose
        gx, gy = (float(v) for v in env.subgoal_xy)
        seen_yaw = quaternion_to_yaw(*yaw_to_quaternion(yaw))  # what the odometry message holds
        d = predictor.predict(obs["semantic"], *distance_and_bearing((x, y, seen_yaw), (gx, gy)))
        inputs += [
            ("/xai/semantic_color", t, image(t, obs["semantic"])),
            ("/odom", t, odom(t, x, y, yaw)),
            ("/goal", t, pose_stamped(t, gx, gy)),
        ]
        made.append((t, d))
        obs, _, terminated, truncated, _ = env.step(d.action)
        assert not (terminated or truncated)
    root = tmp_path_factory.mktemp("sim")
    bags = []
    for name, altered in (("recorded", ()), ("altered", ALTERED)):
        records = list(inputs)
        for k, (t, d) in enumerate(made):
            action = (d.action + 1) % 4 if k in altered else d.action
            records.append(
                ("/xai/decision", t + 30_000_000, decision(t, action, d.q_values, d.attention))
            )
        bags.append(write_bag(root / name, records))
    return bags[0], bags[1]


def test_agreement_with_the_checkpoint_that_decided(sim_bags) -> None:
    from xai_core.nav.predictor import GoalNavPredictor
    from xai_core.paths import resolve_checkpoint

    predictor = GoalNavPredictor.from_checkpoint(resolve_checkpoint("aqt_goal"))
    recorded, altered = (analyze_bag(p, {"aqt_goal": predictor}) for p in sim_bags)
    same = recorded.agreement["aqt_goal"]
    assert same["pairs"] == SIM_STEPS and same["agreement"] == 1.0
    assert same["q_mae"] == pytest.approx(0.0, abs=1e-6)
    assert np.trace(same["confusion"]) == SIM_STEPS
    changed = altered.agreement["aqt_goal"]
    assert changed["agreement"] == pytest.approx(1 - len(ALTERED) / SIM_STEPS)
    assert np.sum(changed["confusion"]) == SIM_STEPS and np.trace(changed["confusion"]) == 5


def test_compare_checkpoints_on_one_bag(sim_bags, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["--checkpoint", "aqt_goal", "--compare-checkpoint", "cnn_goal", "--no-progress"]
    code = eval_main([str(sim_bags[0]), *args, "--out", str(out)])
    assert code == 0
    doc = json.loads((out / "report.json").read_text())
    assert doc["compare"] and [r["checkpoint"] for r in doc["runs"]] == ["aqt_goal", "cnn_goal"]
    assert doc["runs"][0]["agreement"]["agreement"] == 1.0
    assert doc["runs"][1]["agreement"]["pairs"] == SIM_STEPS
    assert "agreement.png" in doc["figures"] and (out / "agreement.png").is_file()


# ---- compare mode, missing topics, CLI ---------------------------------------------------------


def test_compare_two_bags_writes_both_columns(known_bag, sim_bags, tmp_path: Path) -> None:
    out = tmp_path / "two"
    code = eval_main(
        [
            str(known_bag[0]),
            "--compare",
            str(sim_bags[1]),
            "--checkpoint",
            "none",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    doc = json.loads((out / "report.json").read_text())
    assert [r["label"] for r in doc["runs"]] == ["known", "altered"]
    assert [r["decisions"]["count"] for r in doc["runs"]] == [N, SIM_STEPS]
    page = (out / "index.html").read_text()
    assert "<th>known</th><th>altered</th>" in page
    assert all((out / name).is_file() for name in doc["figures"])


def test_bag_missing_topics_lists_skipped_sections(tmp_path: Path) -> None:
    chatter = make("std_msgs/msg/String", data="hi")
    records = [("/chatter", T0 + k * DT, chatter) for k in range(5)]
    records += [("/odom", T0 + k * DT, odom(T0 + k * DT, 0.1 * k, 0.0)) for k in range(3)]
    analysis = analyze_bag(write_bag(tmp_path / "partial", records))
    skipped = {s["section"]: s["reason"] for s in analysis.skipped}
    assert set(skipped) == {"decisions", "attention", "agreement", "sketch", "episodes"}
    assert "no /xai/decision in the bag" in skipped["decisions"]
    assert analysis.topics["/chatter"]["count"] == 5
    assert analysis.trajectory_summary()["odometry_messages"] == 3

    prefixed = analyze_bag(tmp_path / "partial", topics=ReportTopics().with_prefix("hsr"))
    assert "trajectory" in {s["section"] for s in prefixed.skipped}  # looked for /hsr/odom


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "xai_core.bag.eval_cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_exit_codes(tmp_path: Path) -> None:
    missing = _cli(str(tmp_path / "nope"), "--out", str(tmp_path / "r"))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"xai-eval: error: no such bag: {tmp_path}/nope"]

    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(b"not a bag at all")
    broken = _cli(str(garbage), "--checkpoint", "none", "--out", str(tmp_path / "r"))
    assert broken.returncode == 1 and len(broken.stderr.strip().splitlines()) == 1
    assert "unreadable bag" in broken.stderr

    chatter = make("std_msgs/msg/String", data="hi")
    bag = write_bag(tmp_path / "chatter", [("/chatter", T0 + k * DT, chatter) for k in range(4)])
    ok = _cli(str(bag), "--checkpoint", "none", "--out", str(tmp_path / "r"))
    assert ok.returncode == 0, ok.stderr
    run = json.loads((tmp_path / "r" / "report.json").read_text())["runs"][0]
    assert run["topics"]["/chatter"]["count"] == 4
    assert any("none of the expected topics" in p for p in run["problems"])
