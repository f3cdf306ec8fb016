"""attention_cloud_node in its own process, fed and read over DDS by an in-process probe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from std_msgs.msg import Header

from xai_core.attention_cloud import AttentionCloudProjector
from xai_core.pointcloud2 import cloud_to_array
from xai_interfaces.msg import ActionDecision
from xai_nodes import conversions as conv
from xai_nodes.qos import COMMAND, SENSOR

pytestmark = pytest.mark.ros

CONFIG = (
    Path(__file__).resolve().parents[2] / "xai_bringup" / "config" / "attention_cloud_node.yaml"
)
FRAME = "head_rgbd_sensor_rgb_frame"
W, H = 32, 24
K = np.array([[30.0, 0.0, 15.5], [0.0, 30.0, 11.5], [0.0, 0.0, 1.0]])
ACTIONS = ["stop", "forward", "left", "right"]
GH, GW = 4, 4
FAST_LOGS = {"summary_period_s": 0.5, "warn_period_s": 0.0}


def _depth() -> np.ndarray:
    depth = np.linspace(0.5, 4.0, H * W, dtype=np.float32).reshape(H, W)
    depth[0, :5], depth[1, :3], depth[2, :2] = np.nan, 0.0, 9.0  # 10 invalid pixels
    return depth


def _attention() -> np.ndarray:
    return np.random.default_rng(0).random((len(ACTIONS), GH, GW)).astype(np.float32)


class Harness:
    """Probe-side publishers of the node's inputs and a subscriber of its clouds."""

    def __init__(self, probe) -> None:
        self.probe = probe
        pub = probe.node.create_publisher
        self.depth_pub = pub(Image, "/camera/depth/image_raw", SENSOR)
        self.info_pub = pub(CameraInfo, "/camera/depth/camera_info", SENSOR)
        self.decision_pub = pub(ActionDecision, "/xai/decision", COMMAND)
        self.clouds: list[PointCloud2] = []
        self.cloud_sub = probe.node.create_subscription(
            PointCloud2, "/xai/attention_cloud", self.clouds.append, SENSOR
        )
        self.next_sec = 100

    def connected(self, node_process) -> None:
        pubs = (self.depth_pub, self.info_pub, self.decision_pub)
        assert self.probe.spin_until(
            lambda: (
                all(p.get_subscription_count() for p in pubs)
                and self.cloud_sub.get_publisher_count()
            ),
            30.0,
        ), node_process.log_tail()

    def repeat_until(self, send, done, timeout_s: float = 20.0) -> bool:
        """Call ``send()`` every 0.5 s until ``done()``: the first messages after discovery can
        be lost (best effort, and the node may match our writers after we match its readers)."""
        deadline = self.probe.node.get_clock().now().nanoseconds + int(timeout_s * 1e9)
        while self.probe.node.get_clock().now().nanoseconds < deadline:
            send()
            if self.probe.spin_until(done, 0.5):
                return True
        return done()

    def header(self) -> Header:
        self.next_sec += 1
        return conv.header(Time(sec=self.next_sec, nanosec=500), FRAME)

    def camera_info(self, k: np.ndarray = K, width: int = W, height: int = H) -> None:
        self.info_pub.publish(conv.camera_info_msg(k, width, height, self.header()))
        self.probe.spin_for(0.2)

    def frame(self, depth=None, encoding="32FC1", decision=None, header=None) -> Header:
        """Publish a depth image and/or a decision with one stamp; returns the header."""
        header = header or self.header()
        if depth is not None:
            self.depth_pub.publish(conv.image_msg(depth, encoding, header))
        if decision is not None:
            self.decision_pub.publish(ActionDecision(header=header, **decision))
        return header

    def cloud_for(self, header: Header, timeout_s: float = 5.0) -> PointCloud2:
        """The cloud stamped like ``header`` (waits for it)."""

        def find() -> PointCloud2 | None:
            return next((c for c in self.clouds if c.header.stamp == header.stamp), None)

        assert self.probe.spin_until(lambda: find() is not None, timeout_s)
        return find()


def _decision(chosen: int = 1, attention: np.ndarray | None = None) -> dict:
    return {
        "policy_name": "test",
        "action_names": ACTIONS,
        "chosen_action": chosen,
        "attention_height": GH,
        "attention_width": GW,
        "attention": (_attention() if attention is None else attention).reshape(-1).tolist(),
    }


def _wait_for_log(probe, node, text: str) -> str:
    probe.spin_until(lambda: text in node.log_tail(300), 5.0)
    log = node.log_tail(300)
    assert text in log, log
    return log


def test_cloud_of_a_matched_frame_and_survival_of_bad_input(probe, launch) -> None:
    node = launch("attention_cloud_node", params_files=[CONFIG], parameters=FAST_LOGS)
    io = Harness(probe)
    io.connected(node)
    sent: list[Header] = []

    def send_first_frame() -> None:
        io.camera_info()
        sent.append(io.frame(depth=_depth(), decision=_decision()))

    assert io.repeat_until(send_first_frame, lambda: io.clouds), node.log_tail()
    cloud = io.clouds[0]
    assert cloud.header.stamp in [h.stamp for h in sent]
    assert cloud.header.frame_id == FRAME
    assert [f.name for f in cloud.fields] == ["x", "y", "z", "rgb", "attention"]
    assert (cloud.height, cloud.width, cloud.point_step) == (1, H * W - 10, 20)
    expected = AttentionCloudProjector(
        min_range_m=0.2, max_range_m=6.0, normalize="minmax"
    ).project(_depth(), K, _attention()[1])
    assert cloud_to_array(cloud).tobytes() == expected.tobytes()

    bad_inputs = [
        ({"depth": np.zeros((H, W, 3), np.uint8), "encoding": "rgb8"}, "bad_depth=1"),
        ({"depth": np.ones((H // 2, W // 2), np.float32)}, "size_mismatch=1"),
        ({"depth": np.zeros((0, 0), np.float32)}, "bad_depth=2"),
        ({"decision": _decision(attention=np.ones(5, np.float32))}, "bad_decision=1"),
        ({"decision": _decision(chosen=7)}, "bad_decision=2"),
    ]
    for kwargs, counter in bad_inputs:
        io.frame(**({"depth": _depth(), "decision": _decision()} | kwargs))
        _wait_for_log(probe, node, counter)
    log = node.log_tail(300)
    assert "unsupported depth encoding 'rgb8'" in log
    assert "depth image is 16x12 but camera_info says 32x24" in log
    assert "image has no pixels (0x0)" in log
    assert "expected len(action_names) * H * W = 4 * 4 * 4 = 64" in log
    assert "chosen_action 7 out of range for 4 actions" in log

    # All-NaN depth: an empty cloud, counted.
    header = io.frame(depth=np.full((H, W), np.nan, np.float32), decision=_decision())
    assert io.cloud_for(header).width == 0
    # A good frame afterwards still gives a full cloud; the summary line counts everything.
    header = io.frame(depth=_depth(), decision=_decision())
    assert io.cloud_for(header).width == H * W - 10
    _wait_for_log(probe, node, "empty_cloud=1")
    published = len(io.clouds)
    summary = _wait_for_log(probe, node, f"counters: published={published} empty_cloud=1 ")
    assert f"published={published} empty_cloud=1 bad_depth=2 bad_decision=2" in summary
    assert node.alive()
    assert "Traceback" not in node.log_tail(300)


def test_latest_match_and_missing_camera_info(probe, launch) -> None:
    params = FAST_LOGS | {"match": "latest", "stride": 2}
    node = launch("attention_cloud_node", params_files=[CONFIG], parameters=params)
    io = Harness(probe)
    io.connected(node)
    no_decision = "no /xai/decision received yet [no_decision="
    assert io.repeat_until(lambda: io.frame(depth=_depth()), lambda: no_decision in node.log_tail())
    io.frame(decision=_decision())
    probe.spin_for(0.2)
    io.frame(depth=_depth())
    _wait_for_log(probe, node, "no valid /camera/depth/camera_info yet [no_camera_info=1]")
    io.camera_info(k=np.zeros((3, 3)))
    _wait_for_log(probe, node, "zero focal length")
    io.frame(depth=_depth())
    _wait_for_log(probe, node, "no_camera_info=2")

    io.camera_info()
    header = io.frame(depth=_depth())  # later stamp than the decision: latest still applies
    cloud = io.cloud_for(header)
    assert cloud.width == (H // 2) * (W // 2) - 4  # even rows / columns: 3 + 0 + 1 invalid
    assert node.alive()


def test_invalid_configuration_exits_with_one_readable_line(launch) -> None:
    node = launch("attention_cloud_node", parameters={"match": "nearest"})
    assert node.popen.wait(timeout=30) != 0
    log = node.log_tail(50)
    assert "match must be 'exact' or 'latest', got 'nearest'" in log, log
    assert "Traceback" not in log
