"""Decision latency of ``policy_node`` over real DDS: image stamp -> ``/xai/decision`` received.

A probe node publishes the simulator's 640x480 colour-coded semantic image (stamped now), the
odometry and the sub-goal at ``rate_hz``; ``policy_node`` runs as its own process (AQT goal
checkpoint, one torch thread, ``sync: latest``); the probe stamps each decision's arrival. The
latency includes DDS transport both ways, the image conversion, inference with attention and
the message build.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from xai_core.dds import localhost_dds_env
from xai_core.latency import LatencyStats
from xai_core.process_graph import start_node

CONFIG = Path(__file__).resolve().parents[1] / "ros2_ws" / "src" / "xai_bringup" / "config"


def run(duration_s: float = 20.0, rate_hz: float = 10.0) -> dict:
    """Measure; returns ``{"decisions", "sent", "p50_ms", "p99_ms", "mean_ms"}``."""
    os.environ.update(localhost_dds_env(domain_id=random.randint(101, 200)))
    import rclpy
    from geometry_msgs.msg import PoseStamped
    from nav_msgs.msg import Odometry
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.node import Node
    from sensor_msgs.msg import Image

    from xai_interfaces.msg import ActionDecision
    from xai_nodes.conversions import header, image_msg, odometry_msg, pose_stamped, stamp_ns
    from xai_nodes.qos import COMMAND, LATCHED, SENSOR
    from xai_sim import IndoorNavEnv

    env = IndoorNavEnv(mode="goal")
    env.reset(seed=0, options={"layout": "office"})
    semantic = env.render_camera(640, 480, with_rgb=False).semantic_rgb
    policy = start_node(
        "xai_nodes",
        "policy_node",
        dict(os.environ),
        params_files=[CONFIG / "policy_node.yaml"],
        parameters={"sync": "latest", "publish_cmd_vel": False, "summary_every": 10_000},
        log_dir=Path(tempfile.mkdtemp(prefix="policy_bench_")),
    )
    context = Context()
    rclpy.init(context=context)
    node = Node("policy_latency_bench", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    stats = LatencyStats(window=100_000)

    def on_decision(msg: ActionDecision) -> None:
        stats.add((time.time_ns() - stamp_ns(msg.header.stamp)) * 1e-9)

    node.create_subscription(ActionDecision, "/xai/decision", on_decision, COMMAND)
    image_pub = node.create_publisher(Image, "/xai/semantic_color", SENSOR)
    odom_pub = node.create_publisher(Odometry, "/odom", SENSOR)
    goal_pub = node.create_publisher(PoseStamped, "/goal", LATCHED)
    sent = 0
    try:
        deadline = time.monotonic() + 30.0
        while not (image_pub.get_subscription_count() and goal_pub.get_subscription_count()):
            if time.monotonic() > deadline or not policy.alive():
                raise RuntimeError(f"policy_node did not come up:\n{policy.log_tail()}")
            executor.spin_once(timeout_sec=0.1)
        now = node.get_clock().now().to_msg()
        goal_pub.publish(pose_stamped(2.0, 1.0, 0.0, header(now, "odom")))
        executor.spin_once(timeout_sec=0.5)
        end = time.monotonic() + duration_s
        next_send = time.monotonic()
        while time.monotonic() < end:
            if time.monotonic() >= next_send:
                now = node.get_clock().now().to_msg()
                odom_pub.publish(odometry_msg(0.0, 0.0, 0.0, header(now, "odom"), "base_footprint"))
                image_pub.publish(image_msg(semantic, "rgb8", header(now, "camera")))
                sent += 1
                next_send += 1.0 / rate_hz
            executor.spin_once(timeout_sec=0.002)
        executor.spin_once(timeout_sec=0.5)
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
        policy.stop()
    summary = stats.summary()
    if summary["count"] == 0:
        raise RuntimeError("policy_node made no decision during the benchmark")
    return {
        "sent": sent,
        "decisions": int(summary["count"]),
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "mean_ms": summary["mean_ms"],
    }


if __name__ == "__main__":
    print(run(duration_s=5.0))
