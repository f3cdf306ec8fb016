"""hololens_bridge_node: serves explained point clouds (and the decision) to HoloLens 2 and
browser clients over ZeroMQ, in the wire format of ``hololens_bridge/PROTOCOL.md``.

Subscribes to the configured PointCloud2 topics (``x``, ``y``, ``z`` plus a per-point value, by
default ``attention``), to ``/xai/decision`` and to ``/odom``; each cloud is quantised, tagged
with the pose of its frame in the world (odometry composed with the configured camera mounting)
and handed to :class:`xai_bridge.transport.BridgePublisher`, which never blocks: a slow headset
loses frames (latest frame wins), the ROS side never waits.
"""

from __future__ import annotations

import numpy as np
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2

from xai_bridge.codec import encode_cloud, encode_decision
from xai_bridge.transport import BridgePublisher
from xai_core.geometry import compose_planar_with_3d
from xai_core.pointcloud2 import cloud_to_array
from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import pose_to_xyyaw, stamp_ns
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import COMMAND, SENSOR
from xai_nodes.runner import run_node


def bridge_topic(ros_topic: str) -> str:
    """Wire topic of a cloud topic: ``/xai/attention_cloud`` -> ``cloud/attention``."""
    name = ros_topic.rstrip("/").rsplit("/", 1)[-1]
    return "cloud/" + (name.removesuffix("_cloud") or name)


class HoloLensBridgeNode(Node):
    """PointCloud2 topics + decision -> ZeroMQ (parameters and topics: README)."""

    def __init__(self) -> None:
        super().__init__("hololens_bridge_node")
        declare = self.declare_parameter
        topics = list(declare("cloud_topics", ["/xai/attention_cloud"]).value)
        self.value_fields = list(declare("value_fields", ["attention", "intensity"]).value)
        decision_topic = declare("decision_topic", "/xai/decision").value
        endpoint = declare("endpoint", "tcp://*:5557").value
        secret = declare("server_secret_key", "").value
        allowed = declare("allowed_clients_dir", "").value
        plaintext = bool(declare("allow_plaintext", False).value)
        self.encoding = declare("encoding", "q16").value
        self.colormap = declare("colormap", "jet").value
        self.world_frame = declare("world_frame", "odom").value
        self.camera_t = tuple(declare("camera_in_base.translation", [0.0, 0.0, 1.0]).value)
        self.camera_q = tuple(
            declare("camera_in_base.rotation", [-0.5, 0.5, -0.5, 0.5]).value  # optical, level
        )
        period = float(declare("stats_period_s", 10.0).value)
        reject_unknown_overrides(self)
        if self.encoding not in ("q16", "f32"):
            raise ValueError(f"encoding must be 'q16' or 'f32', got '{self.encoding}'")
        if len(self.camera_t) != 3 or len(self.camera_q) != 4:
            raise ValueError("camera_in_base needs translation [x, y, z] and rotation [x, y, z, w]")
        self.publisher = BridgePublisher(
            endpoint,
            server_secret_key_file=secret or None,
            allowed_clients_dir=allowed or None,
            allow_plaintext=plaintext,
        )
        self.seq: dict[str, int] = {}
        self.counters = {"clouds": 0, "decisions": 0, "dropped": 0}
        self.pose_xyyaw: tuple[float, float, float] | None = None
        for topic in topics:
            wire = bridge_topic(topic)
            self.create_subscription(
                PointCloud2, topic, lambda msg, w=wire: self._on_cloud(w, msg), SENSOR
            )
        if decision_topic:
            self.create_subscription(ActionDecision, decision_topic, self._on_decision, COMMAND)
        self.create_subscription(Odometry, "/odom", self._on_odom, SENSOR)
        self.create_timer(period, self._log_stats)
        security = "CURVE" if secret else "PLAINTEXT (loopback only)"
        self.get_logger().info(
            f"hololens_bridge_node serving {', '.join(topics)} on {endpoint} ({security})"
        )

    def _next_seq(self, topic: str) -> int:
        self.seq[topic] = self.seq.get(topic, -1) + 1
        return self.seq[topic]

    def _drop(self, what: str, reason: str) -> None:
        n = self.counters["dropped"] = self.counters["dropped"] + 1
        if n <= 10 or n % 100 == 0:  # every reason is seen, a flood is not
            self.get_logger().warning(f"dropped {what}: {reason} ({n} dropped so far)")

    def _on_odom(self, msg: Odometry) -> None:
        self.pose_xyyaw = pose_to_xyyaw(msg.pose.pose)

    def _on_cloud(self, topic: str, msg: PointCloud2) -> None:
        try:
            points = cloud_to_array(msg)
        except ValueError as error:
            self._drop(topic, f"unreadable PointCloud2: {error}")
            return
        names = points.dtype.names or ()
        value = next((f for f in self.value_fields if f in names), None)
        if not {"x", "y", "z"} <= set(names) or value is None:
            self._drop(topic, f"needs fields x, y, z and one of {self.value_fields}; has {names}")
            return
        xyz = np.stack([points["x"], points["y"], points["z"]], axis=-1).astype(np.float32)
        values = points[value].astype(np.float32)
        keep = np.isfinite(xyz).all(axis=1) & np.isfinite(values)
        pose = None
        if self.pose_xyyaw is not None:
            t, q = compose_planar_with_3d(self.pose_xyyaw, self.camera_t, self.camera_q)
            pose = {"frame": self.world_frame, "t": list(t), "q": list(q)}
        frames = encode_cloud(
            topic,
            xyz[keep],
            values[keep],
            seq=self._next_seq(topic),
            stamp_ns=stamp_ns(msg.header.stamp),
            frame_id=msg.header.frame_id,
            encoding=self.encoding,
            colormap=self.colormap,
            pose=pose,
        )
        self.publisher.publish(frames)
        self.counters["clouds"] += 1

    def _on_decision(self, msg: ActionDecision) -> None:
        if msg.q_values and len(msg.q_values) != len(msg.action_names):
            self._drop("decision", f"{len(msg.q_values)} q-values, {len(msg.action_names)} actions")
            return
        if not 0 <= msg.chosen_action < len(msg.action_names):
            self._drop("decision", f"chosen_action {msg.chosen_action} out of range")
            return
        frames = encode_decision(
            seq=self._next_seq("decision"),
            stamp_ns=stamp_ns(msg.header.stamp),
            frame_id=msg.header.frame_id,
            policy=msg.policy_name,
            action_names=list(msg.action_names),
            q_values=[float(q) for q in msg.q_values],
            chosen=int(msg.chosen_action),
        )
        self.publisher.publish(frames)
        self.counters["decisions"] += 1

    def _log_stats(self) -> None:
        stats = self.publisher.stats()
        self.get_logger().info(
            f"bridge: {self.counters} in; sent {stats.get('sent')} frames "
            f"({stats.get('bytes_sent', 0) / 1e6:.1f} MB), replaced {stats.get('replaced')}, "
            f"pending {stats.get('pending')}, auth failures {stats.get('auth_failures', 0)}"
        )

    def destroy_node(self) -> None:
        """Close the ZeroMQ socket with the node (if start-up got as far as opening it)."""
        if hasattr(self, "publisher"):
            self.publisher.close()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Entry point of ``hololens_bridge_node``."""
    run_node(HoloLensBridgeNode, "hololens_bridge_node", args)


if __name__ == "__main__":
    main()
