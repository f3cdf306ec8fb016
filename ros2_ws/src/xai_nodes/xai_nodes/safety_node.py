"""safety_node: the last gate before the base. Zero velocity on stale inputs, on an obstacle
in the footprint corridor (forward motion only), and on shutdown.

Subscribes the policy's requested command (``/xai/cmd_vel_request``: launch files remap the
policy's ``/cmd_vel`` there), ``/xai/decision`` (freshness of what the command was decided from),
and the depth image + camera_info; publishes ``/cmd_vel``. The logic is
:class:`xai_core.safety.SafetyGate`.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
from geometry_msgs.msg import Twist
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from xai_core.images import image_to_array
from xai_core.safety import SafetyConfig, SafetyGate
from xai_interfaces.msg import ActionDecision
from xai_nodes.params import declare_config, reject_unknown_overrides
from xai_nodes.qos import COMMAND, SENSOR
from xai_nodes.runner import run_node


class SafetyNode(Node):
    """Filter ``/xai/cmd_vel_request`` into ``/cmd_vel`` (parameters and topics: README)."""

    def __init__(self) -> None:
        super().__init__("safety_node")
        period = float(self.declare_parameter("check_period_s", 0.1).value)
        self.config = SafetyConfig(**declare_config(self, "safety", asdict(SafetyConfig())))
        reject_unknown_overrides(self)
        self.gate = SafetyGate(self.config)  # validates: ValueError -> exit 1 with one line
        self.K: np.ndarray | None = None
        self.last_sent = (0.0, 0.0)
        self.last_reason = "ok"
        self.counts = {"passed": 0, "stale": 0, "obstacle": 0, "no depth": 0, "bad depth": 0}
        self.cmd_pub = self.create_publisher(Twist, "/cmd_vel", COMMAND)
        self.create_subscription(Twist, "/xai/cmd_vel_request", self._on_request, COMMAND)
        self.create_subscription(ActionDecision, "/xai/decision", self._on_decision, COMMAND)
        self.create_subscription(Image, "/camera/depth/image_raw", self._on_depth, SENSOR)
        self.create_subscription(CameraInfo, "/camera/depth/camera_info", self._on_info, SENSOR)
        self.create_timer(period, self._check_stale)
        self.get_logger().info(
            f"safety_node: stop {self.config.stop_distance_m} m ahead, stale after "
            f"{self.config.stale_timeout_s} s"
        )

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_decision(self, _msg: ActionDecision) -> None:
        self.gate.input_seen(self._now())

    def _on_info(self, msg: CameraInfo) -> None:
        K = np.asarray(msg.k, dtype=np.float64).reshape(3, 3)
        if np.all(np.isfinite(K)) and K[0, 0] > 0 and K[1, 1] > 0:
            self.K = K

    def _on_depth(self, msg: Image) -> None:
        if self.K is None:
            return
        try:
            depth = image_to_array(msg)
            if msg.encoding not in ("32FC1", "16UC1") or depth.ndim != 2:
                raise ValueError(f"need 32FC1 (m) or 16UC1 (mm) depth, got {msg.encoding}")
        except ValueError as error:
            self.counts["bad depth"] += 1
            self.get_logger().warning(f"dropped depth: {error}", throttle_duration_sec=5.0)
            return
        metres = depth.astype(np.float32) * (0.001 if msg.encoding == "16UC1" else 1.0)
        self.gate.update_depth(metres, self.K, self._now())

    def _on_request(self, msg: Twist) -> None:
        now = self._now()
        self.gate.input_seen(now)  # a command is itself a sign of a live policy
        decision = self.gate.filter(msg.linear.x, msg.angular.z, now)
        self._send(decision.linear_x, decision.angular_z, decision.reason)

    def _check_stale(self) -> None:
        # Once per stale period: stop a moving robot whose policy went quiet.
        if self.gate.is_stale(self._now()) and self.last_sent != (0.0, 0.0):
            self._send(0.0, 0.0, "stale")

    def _send(self, linear_x: float, angular_z: float, reason: str) -> None:
        twist = Twist()
        twist.linear.x, twist.angular.z = float(linear_x), float(angular_z)
        self.cmd_pub.publish(twist)
        self.last_sent = (twist.linear.x, twist.angular.z)
        key = reason.split(" ")[0] if reason.startswith("obstacle") else reason
        self.counts["passed" if reason == "ok" else key] += 1
        if reason != self.last_reason:
            line = f"safety: {reason} -> ({linear_x:.2f} m/s, {angular_z:.2f} rad/s); {self.counts}"
            # rclpy ties one severity to one call site: two calls.
            if reason == "ok":
                self.get_logger().info(line)
            else:
                self.get_logger().warning(line)
        self.last_reason = reason

    def on_shutdown(self) -> None:
        """Zero velocity as the node goes down."""
        self.cmd_pub.publish(Twist())
        # Reliable delivery before the process exits (the base must hear it).
        self.cmd_pub.wait_for_all_acked(Duration(seconds=1.0))
        self.get_logger().info(f"safety_node stopping: sent zero velocity; {self.counts}")


def main(args: list[str] | None = None) -> None:
    """Entry point of ``safety_node``."""
    run_node(SafetyNode, "safety_node", args)


if __name__ == "__main__":
    main()
