"""hololens_bridge_node: PointCloud2 + decision over DDS -> ZeroMQ (CURVE) -> a headset client."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from sensor_msgs.msg import PointCloud2

from xai_bridge.codec import CloudFrame, DecisionFrame
from xai_bridge.keys import create_keypair
from xai_bridge.transport import BridgeSubscriber
from xai_core.pointcloud2 import pack_rgb, xyz_rgb_dtype
from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import cloud_msg, header, odometry_msg, stamp_ns
from xai_nodes.qos import COMMAND, SENSOR

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cloud(n: int, stamp) -> PointCloud2:
    rng = np.random.default_rng(0)
    points = np.zeros(n, dtype=xyz_rgb_dtype(("attention",)))
    points["x"], points["y"] = rng.uniform(-2, 2, (2, n))
    points["z"] = rng.uniform(0.5, 5, n)
    points["rgb"] = pack_rgb(np.full((n, 3), 200, np.uint8))
    points["attention"] = np.linspace(0, 1, n)
    return cloud_msg(points, header(stamp, "head_rgbd_sensor_rgb_frame"))


def _recv_until(
    client: BridgeSubscriber, kind: type, probe, republish, accept=lambda f: True, timeout_s=20.0
):
    got: list = []

    def received() -> bool:
        republish()
        frame = client.recv(0.05)
        if isinstance(frame, kind) and accept(frame):
            got.append(frame)
        return bool(got)

    assert probe.spin_until(received, timeout_s), f"no {kind.__name__} within {timeout_s} s"
    return got[0]


def test_bridge_node_serves_allowed_headsets_only_and_survives_bad_clouds(
    probe, launch, tmp_path
) -> None:
    keys = tmp_path / "keys"
    server_public, server_secret = create_keypair(keys, "bridge")
    _, headset_secret = create_keypair(keys, "headset", allow_dir=keys / "allowed")
    _, stranger_secret = create_keypair(tmp_path / "other", "stranger")
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    node = launch(
        "hololens_bridge_node",
        params_files=[CONFIG / "hololens_bridge_node.yaml"],
        parameters={
            "endpoint": endpoint,
            "server_secret_key": str(server_secret),
            "allowed_clients_dir": str(keys / "allowed"),
            "stats_period_s": 1.0,
        },
    )
    headset = BridgeSubscriber(
        endpoint, server_public_key_file=server_public, client_secret_key_file=headset_secret
    )
    stranger = BridgeSubscriber(
        endpoint, server_public_key_file=server_public, client_secret_key_file=stranger_secret
    )
    cloud_pub = probe.node.create_publisher(PointCloud2, "/xai/attention_cloud", SENSOR)
    decision_pub = probe.node.create_publisher(ActionDecision, "/xai/decision", COMMAND)
    odom_pub = probe.node.create_publisher(Odometry, "/odom", SENSOR)
    try:
        stamp = probe.node.get_clock().now().to_msg()
        odom = odometry_msg(1.0, 2.0, 0.0, header(stamp, "odom"), "base_footprint")
        msg = _cloud(5000, stamp)

        def republish() -> None:
            odom_pub.publish(odom)
            cloud_pub.publish(msg)

        # Odometry and cloud race at start-up: wait for a cloud that has the robot's pose.
        frame = _recv_until(headset, CloudFrame, probe, republish, lambda f: f.pose is not None)
        assert frame.topic == "cloud/attention" and frame.stamp_ns == stamp_ns(stamp)
        assert frame.frame_id == "head_rgbd_sensor_rgb_frame" and frame.xyz.shape == (5000, 3)
        sent = np.stack(
            [np.frombuffer(msg.data, np.float32).reshape(-1, 5)[:, i] for i in range(3)], 1
        )
        assert np.abs(frame.xyz - sent).max() <= 0.0006  # q16: millimetres
        assert frame.attention.max() == pytest.approx(1.0, abs=1 / 255)
        assert frame.pose is not None and frame.pose["frame"] == "odom"
        assert frame.pose["t"][:2] == pytest.approx([1.0, 2.0])  # camera above the robot

        decision = ActionDecision(
            header=header(stamp, "head_rgbd_sensor_rgb_frame"),
            policy_name="aqt_goal",
            action_names=["stop", "forward", "turn_left", "turn_right"],
            q_values=[0.1, 0.9, 0.2, 0.3],
            chosen_action=1,
        )
        got = _recv_until(headset, DecisionFrame, probe, lambda: decision_pub.publish(decision))
        assert got.chosen == 1 and got.action_names[1] == "forward"
        assert got.q_values == pytest.approx([0.1, 0.9, 0.2, 0.3])
        # A key that is not on the allow-list never receives anything.
        assert stranger.recv(0.5) is None

        # A cloud without x/y/z or a value field is dropped with a reason; serving goes on.
        bad = np.zeros(10, dtype=[("a", "<f4"), ("b", "<f4")])
        cloud_pub.publish(cloud_msg(bad, header(stamp, "cam")))
        decision.q_values = [0.1, 0.2]  # wrong length
        decision_pub.publish(decision)
        probe.spin_for(1.0)
        assert _recv_until(headset, CloudFrame, probe, republish).n == 5000
        log = node.log_tail(60)
        assert "needs fields x, y, z" in log and "2 q-values, 4 actions" in log
        assert node.alive()
    finally:
        headset.close()
        stranger.close()


def test_plaintext_off_loopback_is_refused_at_start_up(launch) -> None:
    node = launch(
        "hololens_bridge_node",
        params_files=[CONFIG / "hololens_bridge_node.yaml"],
        parameters={"endpoint": "tcp://0.0.0.0:5557", "allow_plaintext": True},
    )
    assert node.popen.wait(timeout=30) == 1
    log = node.log_tail()
    assert "invalid configuration" in log and "127.0.0.1" in log and "Traceback" not in log
