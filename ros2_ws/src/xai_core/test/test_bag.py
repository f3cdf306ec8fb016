"""xai_core.bag: rosbag2 writer / reader round trips, splitting, QoS, damaged bags, info."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xai_core.bag import (
    BagError,
    BagReader,
    BagWriter,
    bag_info,
    deserialize,
    format_info,
    open_bag,
    serialize,
    typestore,
)
from xai_core.bag.reader import adapt_qos

T0 = 1_700_000_000_000_000_000  # ns
PERIOD = 33_333_333  # ns, 30 Hz
LATCHED = {"reliability": "reliable", "durability": "transient_local", "depth": 1}
SENSOR = {"reliability": "best_effort", "durability": "volatile", "depth": 5}


def _types() -> Any:
    return typestore().types


def _header(i: int, frame: str = "odom") -> Any:
    t = _types()
    stamp = t["builtin_interfaces/msg/Time"](sec=1_700_000_000 + i // 30, nanosec=i % 30 * PERIOD)
    return t["std_msgs/msg/Header"](stamp=stamp, frame_id=frame)


def _string(text: str) -> bytes:
    return serialize(_types()["std_msgs/msg/String"](data=text), "std_msgs/msg/String")


def _pose(x: float) -> Any:
    t = _types()
    return t["geometry_msgs/msg/Pose"](
        position=t["geometry_msgs/msg/Point"](x=x, y=-x, z=0.0),
        orientation=t["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0),
    )


def _vector(x: float) -> Any:
    return _types()["geometry_msgs/msg/Vector3"](x=x, y=0.0, z=-x)


def _twist(x: float) -> Any:
    return _types()["geometry_msgs/msg/Twist"](linear=_vector(x), angular=_vector(-x))


def stack_messages(i: int, width: int = 64, height: int = 48, points: int = 500) -> dict:
    """One message of every type the stack publishes: {topic: (msgtype, message)}."""
    t = _types()
    rng = np.random.default_rng(i)
    cloud = np.zeros(points, [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("rgb", "<f4")])
    cloud["x"] = rng.normal(size=points)
    fields = [
        t["sensor_msgs/msg/PointField"](name=n, offset=4 * k, datatype=7, count=1)
        for k, n in enumerate(("x", "y", "z", "rgb"))
    ]
    roi = t["sensor_msgs/msg/RegionOfInterest"](
        x_offset=0, y_offset=0, height=0, width=0, do_rectify=False
    )
    pose_stamped = t["geometry_msgs/msg/PoseStamped"](header=_header(i), pose=_pose(i * 0.1))
    return {
        "/camera/color/image_raw": (
            "sensor_msgs/msg/Image",
            t["sensor_msgs/msg/Image"](
                header=_header(i, "camera"),
                height=height,
                width=width,
                encoding="rgb8",
                is_bigendian=0,
                step=width * 3,
                data=rng.integers(0, 256, width * height * 3, dtype=np.uint8),
            ),
        ),
        "/camera/color/camera_info": (
            "sensor_msgs/msg/CameraInfo",
            t["sensor_msgs/msg/CameraInfo"](
                header=_header(i, "camera"),
                height=height,
                width=width,
                distortion_model="plumb_bob",
                d=np.zeros(5),
                k=np.arange(9, dtype=np.float64),
                r=np.eye(3).ravel(),
                p=np.arange(12, dtype=np.float64),
                binning_x=0,
                binning_y=0,
                roi=roi,
            ),
        ),
        "/xai/attention_cloud": (
            "sensor_msgs/msg/PointCloud2",
            t["sensor_msgs/msg/PointCloud2"](
                header=_header(i, "camera"),
                height=1,
                width=points,
                fields=fields,
                is_bigendian=False,
                point_step=16,
                row_step=16 * points,
                data=cloud.view(np.uint8),
                is_dense=True,
            ),
        ),
        "/xai/decision": (
            "xai_interfaces/msg/ActionDecision",
            t["xai_interfaces/msg/ActionDecision"](
                header=_header(i),
                policy_name="aqt_goal",
                action_names=["stop", "forward", "left", "right"],
                q_values=np.array([0.1, 0.9, -0.2, float(i)], np.float32),
                chosen_action=1,
                attention_height=2,
                attention_width=3,
                attention=np.full(24, 1 / 6, np.float32),
                goal_info_names=["d"],
                goal_info=np.array([1.5], np.float32),
            ),
        ),
        "/xai/sim/episode_status": (
            "xai_interfaces/msg/EpisodeStatus",
            t["xai_interfaces/msg/EpisodeStatus"](
                header=_header(i),
                mode="goal",
                layout="office",
                sketch_id="",
                episode=1,
                step=i,
                max_steps=300,
                collisions=0,
                subgoal_index=0,
                num_subgoals=3,
                distance_to_goal_m=2.5,
                done=False,
                success=False,
                reason="",
                ade_m=float("nan"),
                fde_m=float("nan"),
            ),
        ),
        "/cmd_vel": ("geometry_msgs/msg/Twist", _twist(0.25)),
        "/goal": ("geometry_msgs/msg/PoseStamped", pose_stamped),
        "/odom": (
            "nav_msgs/msg/Odometry",
            t["nav_msgs/msg/Odometry"](
                header=_header(i),
                child_frame_id="base_footprint",
                pose=t["geometry_msgs/msg/PoseWithCovariance"](
                    pose=_pose(i * 0.1), covariance=np.arange(36, dtype=np.float64)
                ),
                twist=t["geometry_msgs/msg/TwistWithCovariance"](
                    twist=_twist(0.1), covariance=np.zeros(36)
                ),
            ),
        ),
        "/sketch": (
            "nav_msgs/msg/Path",
            t["nav_msgs/msg/Path"](header=_header(i), poses=[pose_stamped, pose_stamped]),
        ),
    }


def write_stack_bag(
    path: Path, storage: str = "mcap", frames: int = 5, **kwargs: Any
) -> tuple[BagWriter, list[tuple[str, int, bytes]]]:
    """A bag with ``frames`` messages of every stack topic; returns the writer and what it got."""
    written: list[tuple[str, int, bytes]] = []
    with BagWriter(path, storage=storage, **kwargs) as writer:
        for i in range(frames):
            for k, (topic, (msgtype, msg)) in enumerate(stack_messages(i).items()):
                qos = [LATCHED] if topic in ("/goal", "/sketch") else [SENSOR]
                writer.add_topic(topic, msgtype, qos)
                raw = serialize(msg, msgtype)
                stamp = T0 + i * PERIOD + k * 1000
                writer.write(topic, stamp, raw)
                written.append((topic, stamp, raw))
    return writer, written


def _fields_equal(a: Any, b: Any) -> None:
    """Recursive equality of two typestore messages (NaN == NaN, arrays elementwise)."""
    if hasattr(a, "__dataclass_fields__"):
        for name in a.__dataclass_fields__:
            _fields_equal(getattr(a, name), getattr(b, name))
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _fields_equal(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_round_trip_every_stack_message_type(tmp_path: Path, storage: str) -> None:
    writer, written = write_stack_bag(tmp_path / "bag", storage)
    assert writer.paths == [tmp_path / "bag"]
    suffix = ".mcap" if storage == "mcap" else ".db3"
    assert (tmp_path / "bag" / "metadata.yaml").is_file()
    assert (tmp_path / "bag" / f"bag{suffix}").is_file()
    with open_bag(tmp_path / "bag") as reader:
        assert reader.problems == []
        assert {t: (i.msgtype, i.count) for t, i in reader.topics.items()} == {
            topic: (msgtype, 5) for topic, (msgtype, _) in stack_messages(0).items()
        }
        assert reader.start_ns == written[0][1] and reader.end_ns == written[-1][1]
        assert reader.duration_s == pytest.approx((written[-1][1] - written[0][1]) * 1e-9)
        messages = list(reader.messages())
        assert [(m.topic, m.timestamp_ns, m.rawdata) for m in messages] == written
        for index, message in enumerate(messages):
            frame, _ = divmod(index, len(stack_messages(0)))
            msgtype, original = stack_messages(frame)[message.topic]
            assert message.msgtype == msgtype
            _fields_equal(original, reader.decode(message))
        only = list(reader.messages(["/odom", "/cmd_vel"]))
        assert [m.topic for m in only] == ["/cmd_vel", "/odom"] * 5
        assert reader.problems == []


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_qos_profiles_round_trip(tmp_path: Path, storage: str) -> None:
    offered = [
        {"reliability": "reliable", "durability": "transient_local", "depth": 1},
        {"reliability": "best_effort", "history": "keep_last", "depth": 7},
    ]
    with BagWriter(tmp_path / "bag", storage=storage) as writer:
        writer.add_topic("/a", "std_msgs/msg/String", offered)
        writer.add_topic("/b", "std_msgs/msg/String")
        writer.write(
            "/a", T0, serialize(_types()["std_msgs/msg/String"](data="x"), "std_msgs/msg/String")
        )
    for path in (tmp_path / "bag", next((tmp_path / "bag").glob("bag.*[3p]"))):
        with BagReader(path) as reader:  # metadata.yaml and the storage file both carry them
            qos = reader.topics["/a"].qos
            assert [(q["reliability"], q["durability"], q["depth"]) for q in qos] == [
                ("reliable", "transient_local", 1),
                ("best_effort", "volatile", 7),
            ]
            assert qos[0]["history"] == "keep_last" and qos[0]["deadline"] == {"sec": 0, "nsec": 0}
            assert reader.topics["/b"].qos == [] and reader.topics["/b"].count == 0
    assert adapt_qos(offered) == {
        "history": "keep_last",
        "depth": 100,
        "reliability": "best_effort",
        "durability": "volatile",
    }
    assert adapt_qos(offered[:1], 10)["durability"] == "transient_local"
    assert adapt_qos([])["reliability"] == "reliable"


def test_split_by_size_makes_sibling_bags_read_as_one(tmp_path: Path) -> None:
    base = tmp_path / "rec"
    one_frame = sum(len(serialize(m, t)) for t, m in stack_messages(0).values())
    writer, written = write_stack_bag(base, frames=6, split_size_bytes=2 * one_frame + 10)
    assert writer.paths == [base, tmp_path / "rec_1", tmp_path / "rec_2"]
    for part in writer.paths:
        assert (part / "metadata.yaml").is_file()
        with BagReader([part]) as reader:  # each part is a complete bag with every topic
            assert len(reader.topics) == 9
            assert sum(t.count for t in reader.topics.values()) <= 2 * 9 + 1
    for source in (base, writer.paths, [str(p) for p in writer.paths]):
        with BagReader(source) as reader:
            assert [(m.topic, m.timestamp_ns, m.rawdata) for m in reader.messages()] == written
            assert reader.files == [p / f"{p.name}.mcap" for p in writer.paths]
            assert reader.problems == []
    with pytest.raises(FileExistsError):
        BagWriter(base)


def test_split_by_duration(tmp_path: Path) -> None:
    writer, written = write_stack_bag(
        tmp_path / "rec", "sqlite3", frames=9, split_duration_s=3 * PERIOD * 1e-9
    )
    assert len(writer.paths) == 3
    with BagReader(tmp_path / "rec") as reader:
        assert [(m.topic, m.timestamp_ns) for m in reader.messages()] == [w[:2] for w in written]
        assert sum(t.count for t in reader.topics.values()) == 81
    with BagReader(writer.paths[1]) as part:
        assert part.start_ns == T0 + 3 * PERIOD and part.end_ns < T0 + 6 * PERIOD


def test_reads_a_storage_file_and_a_list(tmp_path: Path) -> None:
    _, first = write_stack_bag(tmp_path / "a", frames=2)
    _, second = write_stack_bag(tmp_path / "b", "sqlite3", frames=1)
    with BagReader(tmp_path / "a" / "a.mcap") as reader:
        assert len(list(reader.messages())) == len(first)
    with BagReader([tmp_path / "b" / "b.db3", tmp_path / "a"]) as reader:
        stamps = [m.timestamp_ns for m in reader.messages()]
        assert stamps == sorted(stamps) and len(stamps) == len(first) + len(second)
        assert reader.storages == ["sqlite3", "mcap"]


def test_truncated_mcap_recovers_the_messages_before_the_cut(tmp_path: Path) -> None:
    frames = 12  # several 1 MB chunks
    written: list[tuple[str, int, bytes]] = []
    with BagWriter(tmp_path / "bag") as writer:
        writer.add_topic("/image", "sensor_msgs/msg/Image", [SENSOR])
        for i in range(frames):
            _, image = stack_messages(i, width=320, height=240)["/camera/color/image_raw"]
            raw = serialize(image, "sensor_msgs/msg/Image")
            writer.write("/image", T0 + i * PERIOD, raw)
            written.append(("/image", T0 + i * PERIOD, raw))
    mcap = tmp_path / "bag" / "bag.mcap"
    data = mcap.read_bytes()
    mcap.write_bytes(data[: len(data) // 2])
    with BagReader(tmp_path / "bag") as reader:
        got = [(m.topic, m.timestamp_ns, m.rawdata) for m in reader.messages()]
        assert 3 <= len(got) < frames
        assert got == written[: len(got)]
        assert reader.topics["/image"].count == len(got)
        assert reader.topics["/image"].qos[0]["reliability"] == "best_effort"
        assert any("truncated" in p and "bag.mcap" in p for p in reader.problems)
        assert reader.decode(reader_first := next(reader.messages())).width == 320
        assert reader_first.timestamp_ns == T0


def test_corrupt_chunk_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    from mcap.reader import make_reader

    with BagWriter(tmp_path / "c") as writer:
        writer.add_topic("/s", "std_msgs/msg/String")
        payloads = [
            serialize(
                _types()["std_msgs/msg/String"](data=f"{i:04d}" * 100_000), "std_msgs/msg/String"
            )
            for i in range(8)
        ]
        for i, raw in enumerate(payloads):
            writer.write("/s", T0 + i, raw)
    path = tmp_path / "c" / "c.mcap"
    with open(path, "rb") as file:
        chunks = make_reader(file).get_summary().chunk_indexes
    assert len(chunks) >= 3
    data = bytearray(path.read_bytes())
    # Chunk record: opcode 1 + length 8 + start, end, uncompressed size 8 each + crc 4 +
    # compression "" (4) + compressed size 8 = 49 bytes before the records: break the first one.
    first_record = chunks[1].chunk_start_offset + 49
    data[first_record : first_record + 9] = b"\xff" * 9
    path.write_bytes(bytes(data))
    with BagReader(tmp_path / "c") as reader:
        got = [m.rawdata for m in reader.messages()]
        assert 0 < len(got) < len(payloads)
        assert all(raw in payloads for raw in got) and got[0] == payloads[0]
        assert any("corrupt chunk" in p for p in reader.problems)


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_killed_writer_leaves_a_readable_bag(tmp_path: Path, storage: str) -> None:
    script = textwrap.dedent(
        f"""
        import os
        from xai_core.bag import BagWriter, serialize, typestore
        raw = serialize(typestore().types["std_msgs/msg/String"](data="x" * 200_000),
                        "std_msgs/msg/String")
        writer = BagWriter({str(tmp_path / "bag")!r}, storage={storage!r}, flush_period_s=0.0)
        writer.add_topic("/a", "std_msgs/msg/String")
        for i in range(10):
            writer.write("/a", {T0} + i, raw)
        os._exit(0)  # like SIGKILL: no close(), no metadata.yaml
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert not (tmp_path / "bag" / "metadata.yaml").exists()
    with BagReader(tmp_path / "bag") as reader:
        assert [m.timestamp_ns for m in reader.messages()] == [T0 + i for i in range(10)]
        assert any("no metadata.yaml" in p for p in reader.problems)


def test_unreadable_inputs_raise_bag_error_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(BagError, match=r"garbage\.mcap: not a bag file"):
        BagReader(garbage)
    with pytest.raises(BagError, match="nope: no such bag"):
        BagReader(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError, match="empty: not a bag"):
        BagReader(tmp_path / "empty")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "metadata.yaml").write_text("rosbag2_bagfile_information: {version: 9}")
    with pytest.raises(BagError, match="junk"):
        BagReader(tmp_path / "junk")
    assert issubclass(BagError, ValueError)
    # One good part is enough: the bad one becomes a problem.
    write_stack_bag(tmp_path / "good", frames=1)
    with BagReader([tmp_path / "good", garbage]) as reader:
        assert len(list(reader.messages())) == 9
        assert any("garbage.mcap" in p for p in reader.problems)


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_unknown_type_is_kept_raw_and_not_decoded(tmp_path: Path, storage: str) -> None:
    with BagWriter(tmp_path / "bag", storage=storage) as writer:
        writer.add_topic("/x", "foo_msgs/msg/Bar")
        writer.add_topic("/cmd_vel", "geometry_msgs/msg/Twist")
        for i in range(12):
            writer.write("/x", T0 + i, bytes([0, 1, 0, 0, i]))
        writer.write("/cmd_vel", T0 + 20, serialize(_twist(1.0), "geometry_msgs/msg/Twist"))
    with BagReader(tmp_path / "bag") as reader:
        assert reader.topics["/x"].msgtype == "foo_msgs/msg/Bar"
        messages = list(reader.messages())
        assert [m.rawdata[-1] for m in messages[:12]] == list(range(12))
        assert reader.decode(messages[0]) is None and reader.decode(messages[1]) is None
        assert reader.decode(messages[-1]).linear.x == 1.0
        assert reader.problems == [
            "unknown message type 'foo_msgs/msg/Bar' on /x: 12 messages not decoded"
        ]


def test_info_lists_files_topics_counts_and_qos(tmp_path: Path) -> None:
    write_stack_bag(tmp_path / "bag", frames=3)
    with BagReader(tmp_path / "bag") as reader:
        info = bag_info(reader)
    assert info["message_count"] == 27 and info["storage"] == ["mcap"]
    assert info["files"] == [str(tmp_path / "bag" / "bag.mcap")] and info["size_bytes"] > 0
    assert info["duration_s"] == pytest.approx((2 * PERIOD + 8000) * 1e-9)
    text = format_info(info)
    assert "Messages:          27" in text and "bag.mcap" in text and "Duration:" in text
    for topic, (msgtype, _) in stack_messages(0).items():
        line = next(line for line in text.splitlines() if f"Topic: {topic} " in line)
        assert msgtype in line and "Count: 3 " in line
    assert "reliable/transient_local depth 1" in text and "best_effort/volatile depth 5" in text
    assert "Problems" not in text


def test_an_independent_mcap_reader_decodes_our_bag(tmp_path: Path) -> None:
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory

    write_stack_bag(tmp_path / "bag", frames=2)
    decoded: dict[str, Any] = {}
    with open(tmp_path / "bag" / "bag.mcap", "rb") as file:
        reader = make_reader(file, decoder_factories=[DecoderFactory()])
        for schema, channel, _, ros_msg in reader.iter_decoded_messages():
            decoded.setdefault(channel.topic, (schema.name, ros_msg))
    assert set(decoded) == set(stack_messages(0))
    name, odom = decoded["/odom"]
    assert name == "nav_msgs/msg/Odometry" and odom.child_frame_id == "base_footprint"
    assert odom.pose.covariance[35] == 35.0
    name, decision = decoded["/xai/decision"]
    assert name == "xai_interfaces/msg/ActionDecision"
    assert list(decision.action_names) == ["stop", "forward", "left", "right"]
    assert decoded["/camera/color/image_raw"][1].width == 64


def test_serialize_deserialize_and_bad_payload(tmp_path: Path) -> None:
    twist = _twist(0.5)
    assert (
        deserialize(serialize(twist, "geometry_msgs/msg/Twist"), "geometry_msgs/msg/Twist") == twist
    )
    with BagWriter(tmp_path / "bag") as writer:
        writer.add_topic("/cmd_vel", "geometry_msgs/msg/Twist")
        writer.write("/cmd_vel", T0, b"\x00\x01\x00\x00\x01")  # too short for a Twist
        with pytest.raises(KeyError):
            writer.write("/nope", T0, b"")
        with pytest.raises(ValueError, match="added as"):
            writer.add_topic("/cmd_vel", "std_msgs/msg/String")
    with pytest.raises(ValueError, match="closed"):
        writer.write("/cmd_vel", T0, b"")
    with BagReader(tmp_path / "bag") as reader:
        assert reader.decode(next(reader.messages())) is None
        assert "undecodable" in reader.problems[0]
    shutil.rmtree(tmp_path / "bag")
    with pytest.raises(ValueError, match="storage"):
        BagWriter(tmp_path / "x", storage="rosbag1")
