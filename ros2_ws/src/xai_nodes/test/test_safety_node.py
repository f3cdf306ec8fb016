"""safety_node over DDS: obstacle stop, stale stop, zero velocity on shutdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import Twist
from sensor_msgs.msg import CameraInfo, Image

from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import camera_info_msg, header, image_msg
from xai_nodes.qos import COMMAND, SENSOR

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config" / "safety_node.yaml"
W, H = 160, 120
K = np.array([[120.0, 0, (W - 1) / 2], [0, 120.0, (H - 1) / 2], [0, 0, 1]])
LEVEL = {"safety.camera_rotation": [-0.5, 0.5, -0.5, 0.5], "safety.stale_timeout_s": 0.6}


def _forward() -> Twist:
    msg = Twist()
    msg.linear.x = 0.25
    return msg


def test_safety_node_stops_for_obstacles_stale_inputs_and_shutdown(probe, launch) -> None:
    node = launch("safety_node", params_files=[CONFIG], parameters=LEVEL)
    sent: list[Twist] = []
    probe.node.create_subscription(Twist, "/cmd_vel", sent.append, COMMAND)
    request = probe.node.create_publisher(Twist, "/xai/cmd_vel_request", COMMAND)
    decision = probe.node.create_publisher(ActionDecision, "/xai/decision", COMMAND)
    depth_pub = probe.node.create_publisher(Image, "/camera/depth/image_raw", SENSOR)
    info_pub = probe.node.create_publisher(CameraInfo, "/camera/depth/camera_info", SENSOR)
    pubs = (request, decision, depth_pub, info_pub)
    assert probe.spin_until(lambda: all(p.get_subscription_count() for p in pubs), 30.0)

    def drive_at_wall(distance_m: float, expect_x: float) -> list[Twist]:
        """Send depth of a wall ahead and forward requests until ``/cmd_vel`` says ``expect_x``."""
        n = len(sent)

        def answered() -> bool:
            h = header(probe.node.get_clock().now().to_msg(), "camera")
            info_pub.publish(camera_info_msg(K, W, H, h))
            depth_pub.publish(image_msg(np.full((H, W), distance_m, np.float32), "32FC1", h))
            decision.publish(ActionDecision(header=h))
            probe.spin_for(0.05)
            request.publish(_forward())
            return len(sent) > n and sent[-1].linear.x == pytest.approx(expect_x)

        assert probe.spin_until(answered, 20.0), node.log_tail()
        return sent[n:]

    # A wall 0.4 m from the base centre is 0.18 m from the footprint: forward is never sent.
    drive_at_wall(0.4, 0.0)
    probe.spin_for(0.5)
    assert all(t.linear.x == 0.0 for t in sent)
    assert "obstacle 0.18 m" in node.log_tail() or "no depth" in node.log_tail()
    # Far away: forward passes.
    assert drive_at_wall(3.0, 0.25)[-1].linear.x == pytest.approx(0.25)
    # The policy goes quiet: within the stale timeout (+ a check period) a zero goes out.
    n = len(sent)
    assert probe.spin_until(lambda: any(t.linear.x == 0.0 for t in sent[n:]), 5.0)
    probe.spin_for(1.0)
    assert sent[-1].linear.x == 0.0 and sent[-1].angular.z == 0.0  # and it stays stopped
    log = node.log_tail()
    assert "obstacle" in log and "stale" in log
    # Driving again, then Ctrl-C: the last word is a zero velocity.
    drive_at_wall(3.0, 0.25)
    n = len(sent)
    assert node.stop() == 0
    # (Replies to requests still in flight may come first; the zero is the last word.)
    assert probe.spin_until(lambda: any(t.linear.x == 0.0 for t in sent[n:]), 5.0)
    probe.spin_for(0.3)
    assert sent[-1].linear.x == 0.0 and "sent zero velocity" in node.log_tail()
