"""sim_node in its own process, driven over DDS by an in-process probe node."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo, Image

from xai_core.images import image_to_array
from xai_interfaces.msg import EpisodeStatus
from xai_interfaces.srv import ResetEpisode
from xai_nodes.qos import COMMAND, LATCHED, SENSOR

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"

WIDTH, HEIGHT = 160, 120
SIM_PARAMS = {
    "layout": "office",
    "seed": 2,
    "control_rate_hz": 10.0,
    "auto_reset": False,
    "sim.camera.width": WIDTH,
    "sim.camera.height": HEIGHT,
}


def _stamp_ns(msg) -> int:
    return msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec


class Received:
    """Everything the probe heard, per topic, in arrival order."""

    def __init__(self, probe) -> None:
        self.msgs: dict[str, list] = {}
        for topic, msg_type, qos in [
            ("/camera/color/image_raw", Image, SENSOR),
            ("/camera/depth/image_raw", Image, SENSOR),
            ("/camera/depth/camera_info", CameraInfo, SENSOR),
            ("/xai/sim/semantic", Image, SENSOR),
            ("/odom", Odometry, SENSOR),
            ("/goal", PoseStamped, LATCHED),
            ("/xai/sim/episode_status", EpisodeStatus, LATCHED),
        ]:
            self.msgs[topic] = []
            probe.node.create_subscription(
                msg_type, topic, lambda m, t=topic: self.msgs[t].append(m), qos
            )

    def last(self, topic: str):
        return self.msgs[topic][-1] if self.msgs[topic] else None

    def common_stamps(self, topics: list[str]) -> set[int]:
        """Stamps that every topic in ``topics`` has delivered."""
        return set.intersection(*({_stamp_ns(m) for m in self.msgs[t]} for t in topics))

    def all_arrived(self) -> bool:
        return all(self.msgs.values())


def _twist(vx: float, wz: float) -> Twist:
    msg = Twist()
    msg.linear.x, msg.angular.z = vx, wz
    return msg


def _send_until_step(probe, received, cmd_pub, twist, step: int, timeout_s: float = 10.0):
    """Publish ``twist`` every spin until the sim reports ``step`` (commands are best sent
    repeatedly: the sim consumes at most one per tick)."""

    def reached() -> bool:
        status = received.last("/xai/sim/episode_status")
        if status is not None and status.step >= step:
            return True
        cmd_pub.publish(twist)
        return False

    return probe.spin_until(reached, timeout_s)


def test_sim_node_publishes_consistent_sensors_and_obeys_cmd_vel(probe, launch) -> None:
    sim = launch("sim_node", params_files=[CONFIG / "sim_node.yaml"], parameters=SIM_PARAMS)
    received = Received(probe)
    cmd_pub = probe.node.create_publisher(Twist, "/cmd_vel", COMMAND)
    assert probe.spin_until(received.all_arrived, 30.0), (
        f"missing topics: {[t for t, m in received.msgs.items() if not m]}\n{sim.log_tail()}"
    )

    # Images and camera_info of one tick share a stamp and the camera frame.
    color, depth = (
        received.last("/camera/color/image_raw"),
        received.last("/camera/depth/image_raw"),
    )
    info = received.last("/camera/depth/camera_info")
    assert color.encoding == "rgb8" and depth.encoding == "32FC1"
    assert (color.width, color.height) == (WIDTH, HEIGHT) == (info.width, info.height)
    assert color.header.frame_id == depth.header.frame_id == "head_rgbd_sensor_rgb_frame"
    tick_topics = [
        "/camera/color/image_raw",
        "/camera/depth/image_raw",
        "/camera/depth/camera_info",
        "/odom",
    ]
    assert probe.spin_until(lambda: received.common_stamps(tick_topics), 10.0)
    k = np.array(info.k).reshape(3, 3)
    assert k[0, 2] == pytest.approx((WIDTH - 1) / 2) and k[1, 2] == pytest.approx((HEIGHT - 1) / 2)
    depth_m = image_to_array(depth)
    assert np.isfinite(depth_m).all() and (depth_m > 0).mean() > 0.9
    labels = image_to_array(received.last("/xai/sim/semantic"))
    assert set(np.unique(labels)) <= {0, 1, 2, 3} and 1 in labels  # floor is in view

    odom = received.last("/odom")
    assert odom.header.frame_id == "odom" and odom.child_frame_id == "base_footprint"
    status = received.last("/xai/sim/episode_status")
    assert status.step == 0 and not status.done and status.layout == "office"

    # A turn command rotates the robot in place by the configured 30 degrees.
    yaw0 = _yaw(received.last("/odom"))
    assert _send_until_step(probe, received, cmd_pub, _twist(0.0, 0.5), 1)
    assert probe.spin_until(lambda: abs(_yaw(received.last("/odom")) - yaw0) > 0.1, 5.0)
    turned = math.remainder(_yaw(received.last("/odom")) - yaw0, 2 * math.pi)
    assert turned == pytest.approx(math.radians(30.0), abs=1e-3)
    assert sim.alive()


def _yaw(odom: Odometry) -> float:
    q = odom.pose.pose.orientation
    return math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z))


def test_malformed_cmd_vel_is_dropped_and_the_node_keeps_running(probe, launch) -> None:
    sim = launch("sim_node", params_files=[CONFIG / "sim_node.yaml"], parameters=SIM_PARAMS)
    received = Received(probe)
    cmd_pub = probe.node.create_publisher(Twist, "/cmd_vel", COMMAND)
    assert probe.spin_until(lambda: received.last("/xai/sim/episode_status") is not None, 30.0)
    for bad in (_twist(math.nan, 0.0), _twist(1e9, 0.0), _twist(0.0, -math.inf)):
        for _ in range(5):
            cmd_pub.publish(bad)
            probe.spin_for(0.1)
    probe.spin_for(0.5)
    assert received.last("/xai/sim/episode_status").step == 0  # nothing executed
    assert sim.alive()
    log = sim.log_tail(200)
    assert "dropped /cmd_vel" in log and "linear.x is nan" in log and "exceeds the limit" in log
    # A valid command afterwards is executed.
    assert _send_until_step(probe, received, cmd_pub, _twist(0.0, -0.5), 1)


def test_reset_service_rejects_unknown_layout_and_accepts_a_known_one(probe, launch) -> None:
    sim = launch("sim_node", params_files=[CONFIG / "sim_node.yaml"], parameters=SIM_PARAMS)
    client = probe.node.create_client(ResetEpisode, "/sim_node/reset")
    assert probe.spin_until(client.service_is_ready, 30.0), sim.log_tail()

    def call(**fields) -> ResetEpisode.Response:
        future = client.call_async(ResetEpisode.Request(**fields))
        assert probe.spin_until(future.done, 10.0)
        return future.result()

    bad = call(layout="moon_base", seed=1)
    assert not bad.success and "unknown layout 'moon_base'" in bad.message
    assert "office" in bad.message  # tells the user what exists
    bad_mode = call(layout="office", seed=1, mode="flying")
    assert not bad_mode.success and "unknown mode" in bad_mode.message
    good = call(layout="corridor", seed=4)
    assert good.success, good.message
    received = Received(probe)
    assert probe.spin_until(
        lambda: getattr(received.last("/xai/sim/episode_status"), "layout", "") == "corridor", 10.0
    )
    assert sim.alive()


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"sim.robot.step_length_m": -1.0}, "step_length_m"),
        ({"sim.camera.tilt": 5.0}, "unknown parameter(s) for sim_node: sim.camera.tilt"),
        ({"layout": "moon_base"}, "unknown layout 'moon_base'"),
    ],
)
def test_invalid_configuration_exits_with_one_readable_line(launch, parameters, message) -> None:
    sim = launch("sim_node", parameters=parameters)
    assert sim.popen.wait(timeout=30) != 0
    log = sim.log_tail(50)
    assert message in log, log
    assert "Traceback" not in log


def test_sketch_mode_publishes_the_sketch_and_its_status(probe, launch) -> None:
    from nav_msgs.msg import Path as PathMsg

    params = {**SIM_PARAMS, "mode": "sketch", "sketch_id": "curve_s_hall", "layout": ""}
    sim = launch("sim_node", params_files=[CONFIG / "sim_node.yaml"], parameters=params)
    sketches: list = []
    probe.node.create_subscription(PathMsg, "/sketch", sketches.append, LATCHED)
    received = Received(probe)
    assert probe.spin_until(lambda: sketches and received.last("/xai/sim/episode_status"), 30.0), (
        sim.log_tail()
    )
    status = received.last("/xai/sim/episode_status")
    assert status.mode == "sketch" and status.sketch_id == "curve_s_hall"
    assert status.max_steps == len(sketches[-1].poses) == 100
    assert sketches[-1].header.frame_id == "odom"
    assert math.isnan(status.ade_m)  # only known once the episode ends
