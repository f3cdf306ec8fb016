"""bag_recorder_node / bag_player_node / xai-bag over DDS: byte-identical record and replay."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry
from nav_msgs.msg import Path as PathMsg
from rclpy.duration import Duration
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import deserialize_message, serialize_message
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import String

from xai_core.bag import BagReader, BagWriter
from xai_core.process_graph import executable_path
from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import header, stamp_ns

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
FRAMES, RATE_HZ, CLOUD_POINTS = 60, 30.0, 50_000
RELIABLE = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE
)
LATCHED = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
TOPICS: dict[str, Any] = {
    "/camera/color/image_raw": Image,
    "/camera/color/camera_info": CameraInfo,
    "/xai/attention_cloud": PointCloud2,
    "/xai/decision": ActionDecision,
    "/cmd_vel": Twist,
    "/odom": Odometry,
    "/sketch": PathMsg,
}


def _frame(i: int, stamp, rng: np.random.Generator) -> dict[str, Any]:
    """One message per topic; every payload differs from frame to frame."""
    image = Image(header=header(stamp, "camera"), height=480, width=640, encoding="rgb8")
    image.step = 640 * 3
    image.data = rng.integers(0, 256, 640 * 480 * 3, dtype=np.uint8).tobytes()
    info = CameraInfo(header=header(stamp, "camera"), height=480, width=640)
    info.k = [525.0, 0.0, 319.5, 0.0, 525.0, 239.5, 0.0, 0.0, 1.0]
    cloud = PointCloud2(header=header(stamp, "camera"), height=1, width=CLOUD_POINTS)
    cloud.fields = [
        PointField(name=n, offset=4 * k, datatype=PointField.FLOAT32, count=1)
        for k, n in enumerate(("x", "y", "z", "rgb"))
    ]
    cloud.point_step, cloud.row_step, cloud.is_dense = 16, 16 * CLOUD_POINTS, True
    cloud.data = rng.random(4 * CLOUD_POINTS, dtype=np.float32).tobytes()
    decision = ActionDecision(header=header(stamp, "odom"), policy_name="aqt_goal")
    decision.action_names = ["stop", "forward", "left", "right"]
    decision.q_values = rng.random(4, dtype=np.float32).tolist()
    decision.chosen_action = i % 4
    twist = Twist()
    twist.linear.x = 0.01 * i
    odom = Odometry(header=header(stamp, "odom"), child_frame_id="base_footprint")
    odom.pose.pose.position.x = 0.1 * i
    path = PathMsg(header=header(stamp, "odom"))
    path.poses = [PoseStamped(header=header(stamp, "odom")) for _ in range(i % 5 + 1)]
    return dict(zip(TOPICS, (image, info, cloud, decision, twist, odom, path), strict=True))


def _bag_payloads(path: Path) -> dict[str, list[bytes]]:
    payloads: dict[str, list[bytes]] = defaultdict(list)
    with BagReader(path) as reader:
        for message in reader.messages():
            payloads[message.topic].append(message.rawdata)
    return payloads


def _subscribe_raw(probe, topics: dict[str, Any], qos: QoSProfile = RELIABLE) -> dict:
    received: dict[str, list[bytes]] = defaultdict(list)
    for topic, msg_type in topics.items():
        probe.node.create_subscription(
            msg_type, topic, lambda raw, t=topic: received[t].append(raw), qos, raw=True
        )
    return received


def _xai_bag(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(executable_path("xai_nodes", "xai-bag")), *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_record_and_replay_are_byte_identical(probe, launch, tmp_path: Path) -> None:
    bag = tmp_path / "run"
    recorder = launch(
        "bag_recorder_node",
        params_files=[CONFIG / "bag_recorder_node.yaml"],
        parameters={"output": str(bag), "discovery_period_s": 0.2},
    )
    publishers = {
        topic: probe.node.create_publisher(
            msg_type, topic, LATCHED if topic == "/sketch" else RELIABLE
        )
        for topic, msg_type in TOPICS.items()
    }
    assert probe.spin_until(
        lambda: all(p.get_subscription_count() for p in publishers.values()), 30.0
    ), recorder.log_tail()
    rng = np.random.default_rng(0)
    sent: dict[str, list[Any]] = defaultdict(list)
    start = time.monotonic()
    for i in range(FRAMES):
        stamp = probe.node.get_clock().now().to_msg()
        for topic, msg in _frame(i, stamp, rng).items():
            publishers[topic].publish(msg)
            sent[topic].append(msg)
        time.sleep(max(0.0, start + (i + 1) / RATE_HZ - time.monotonic()))
    for publisher in publishers.values():
        assert publisher.wait_for_all_acked(Duration(seconds=10))
    probe.spin_for(0.5)
    assert recorder.stop() == 0
    log = recorder.log_path.read_text()
    assert "bag closed" in log and f"/xai/attention_cloud {FRAMES}" in log, log
    assert (bag / "metadata.yaml").is_file()

    recorded = _bag_payloads(bag)
    assert {t: len(p) for t, p in recorded.items()} == dict.fromkeys(TOPICS, FRAMES)
    # What DDS delivered is what was published (the CDR bytes themselves may differ from a
    # local serialize_message() in alignment padding, which is not initialised).
    for topic, msg_type in TOPICS.items():
        assert [deserialize_message(raw, msg_type) for raw in recorded[topic]] == sent[topic]
    with BagReader(bag) as reader:
        assert reader.problems == []
        assert reader.topics["/sketch"].qos[0]["durability"] == "transient_local"
        assert reader.topics["/odom"].qos[0]["reliability"] == "reliable"
        assert reader.topics["/xai/decision"].msgtype == "xai_interfaces/msg/ActionDecision"
        assert 1.5 < reader.duration_s < 4.0

    for publisher in publishers.values():
        probe.node.destroy_publisher(publisher)
    received = _subscribe_raw(probe, TOPICS)
    player = launch(
        "bag_player_node",
        params_files=[CONFIG / "bag_player_node.yaml"],
        parameters={"bag": str(bag), "wait_for_subscribers_s": 20.0},
    )
    assert probe.spin_until(lambda: all(len(received[t]) >= FRAMES for t in TOPICS), 60.0), (
        f"{ {t: len(r) for t, r in received.items()} }\n{player.log_tail()}"
    )
    probe.spin_for(0.3)
    assert dict(received) == recorded  # every message, byte for byte, in order per topic
    player.popen.wait(timeout=20.0)
    assert player.popen.returncode == 0, player.log_tail()
    assert "playback done: 420 messages" in player.log_path.read_text()


@pytest.fixture
def small_bag(tmp_path: Path) -> Path:
    """0.5 s of three String topics at 20 Hz (10 each) + one unknown type, without DDS."""
    path = tmp_path / "small"
    t0 = 1_700_000_000_000_000_000
    with BagWriter(path) as writer:
        for topic in ("/a", "/b", "/c"):
            writer.add_topic(topic, "std_msgs/msg/String", [{"reliability": "reliable"}])
        for i in range(10):
            for k, topic in enumerate(("/a", "/b", "/c")):
                raw = serialize_message(String(data=f"{topic} {i}"))
                writer.write(topic, t0 + i * 50_000_000 + k, raw)
        writer.add_topic("/x", "foo_msgs/msg/Bar")  # no type support anywhere: skipped
        writer.write("/x", t0, b"\x00\x01\x00\x00")
    return path


def test_xai_bag_info_prints_every_topic_with_its_count(small_bag: Path) -> None:
    result = _xai_bag("info", str(small_bag))
    assert result.returncode == 0, result.stderr
    expected = [("/a", "std_msgs/msg/String", 10), ("/b", "std_msgs/msg/String", 10)]
    expected += [("/c", "std_msgs/msg/String", 10), ("/x", "foo_msgs/msg/Bar", 1)]
    for topic, msgtype, count in expected:
        line = rf"Topic: {topic}\s+\| Type: {msgtype}\s+\| Count: {count} "
        assert re.search(line, result.stdout), result.stdout
    assert "Messages:          31" in result.stdout
    with BagWriter(small_bag.with_name("split"), split_size_bytes=100) as writer:
        writer.add_topic("/s", "std_msgs/msg/String")
        for i in range(6):
            writer.write("/s", i, serialize_message(String(data="x" * 60)))
    assert len(writer.paths) == 6
    result = _xai_bag("info", str(writer.paths[0]))  # a split bag: every part
    assert "Count: 6 " in result.stdout and result.stdout.count(".mcap") == 6, result.stdout


def test_play_a_topic_subset_with_remap(probe, small_bag: Path) -> None:
    received = _subscribe_raw(
        probe, {"/remapped": String, "/b": String, "/a": String, "/c": String}
    )
    player = subprocess.Popen(
        [
            str(executable_path("xai_nodes", "xai-bag")),
            *("play", str(small_bag), "--topics", "/a", "/b", "--remap", "/a:=/remapped"),
            *("--wait-for-subscribers", "20", "--rate", "2.0"),
        ],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert probe.spin_until(
            lambda: len(received["/remapped"]) >= 10 and len(received["/b"]) >= 10, 40.0
        ), dict(received)
        probe.spin_for(0.3)
        assert player.wait(timeout=20.0) == 0
    finally:
        if player.poll() is None:
            player.kill()
    # (DDS pads these 13-byte payloads to 16: compare the messages, not the bytes)
    texts = [deserialize_message(raw, String).data for raw in received["/remapped"]]
    assert texts == [f"/a {i}" for i in range(10)]
    assert len(received["/b"]) == 10 and not received["/a"] and not received["/c"]


def test_play_publishes_clock_from_the_bag_time(probe, small_bag: Path, launch) -> None:
    clocks: list[int] = []
    probe.node.create_subscription(
        Clock, "/clock", lambda m: clocks.append(stamp_ns(m.clock)), QoSProfile(depth=100)
    )
    received = _subscribe_raw(probe, {"/a": String})
    player = launch(
        "bag_player_node",
        parameters={
            "bag": str(small_bag),
            "publish_clock": True,
            "topics": ["/a", "/x"],
            "wait_for_subscribers_s": 20.0,
        },
    )
    assert probe.spin_until(lambda: len(received["/a"]) >= 10, 40.0), player.log_tail()
    assert player.popen.wait(timeout=20.0) == 0, player.log_tail()
    assert "skipping /x: type not importable" in player.log_tail()
    with BagReader(small_bag) as reader:
        stamps = [m.timestamp_ns for m in reader.messages(["/a"])]
    assert len(clocks) >= 20  # 100 Hz ticks between the 20 Hz messages
    # Bag time, never backwards; the last tick is the last played message's timestamp.
    assert clocks == sorted(clocks) and stamps[0] <= clocks[0] and clocks[-1] == stamps[-1]


def test_missing_or_corrupt_bag_fails_with_one_line(tmp_path: Path, launch) -> None:
    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(os.urandom(2048))
    for args in (("play", str(tmp_path / "missing")), ("info", str(garbage))):
        result = _xai_bag(*args)
        assert result.returncode != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"xai-bag {args[0]}: "), result.stderr
        assert Path(args[1]).name in lines[0]
    player = launch("bag_player_node", parameters={"bag": str(garbage)})
    assert player.popen.wait(timeout=30.0) == 1
    assert "invalid configuration" in player.log_tail() and "garbage.mcap" in player.log_tail()
    (tmp_path / "exists").mkdir()
    recorder = launch("bag_recorder_node", parameters={"output": str(tmp_path / "exists")})
    assert recorder.popen.wait(timeout=30.0) == 1
    assert "exists already" in recorder.log_tail()
