"""attention_cloud_node: depth image + the policy's decision -> attention-coloured point cloud.

Subscribes ``/camera/depth/image_raw`` (32FC1 m or 16UC1 mm), ``/camera/depth/camera_info``
(latest kept) and ``/xai/decision``; publishes ``/xai/attention_cloud`` (PointCloud2 x, y, z,
rgb, attention in the depth optical frame, header = the depth header; sensor QoS), coloured by
the chosen action's grid (:class:`xai_core.attention_cloud.AttentionCloudProjector`).
``match``: ``exact`` pairs depth and decision by stamp (a decision carries its input image's
stamp; the simulator stamps depth and colour alike); ``latest`` uses the latest decision with
each depth image (a robot whose decision comes from another camera stream).

Bad input is logged (first time, then at most every ``warn_period_s`` per counter), counted and
dropped; every ``summary_period_s`` one INFO line gives all counters. A depth image with no
valid pixel still publishes an empty cloud (displays clear stale points, stamps keep flowing),
counted as ``empty_cloud``.
"""

from __future__ import annotations

import time
from inspect import signature

import numpy as np
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image, PointCloud2

from xai_core.attention_cloud import (
    AttentionCloudProjector,
    depth_to_metres,
    select_action_grid,
    validate_intrinsics,
)
from xai_core.images import image_to_array
from xai_core.sync import ExactStampSync
from xai_interfaces.msg import ActionDecision
from xai_nodes import conversions as conv
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import COMMAND, SENSOR
from xai_nodes.runner import run_node

#: Parameters and their defaults (YAML: xai_bringup/config/attention_cloud_node.yaml).
DEFAULTS: dict[str, object] = {
    "min_range_m": 0.2,
    "max_range_m": 6.0,
    "stride": 1,
    "voxel_size_m": 0.0,
    "normalize": "max",
    "match": "exact",
    "summary_period_s": 10.0,
    "warn_period_s": 5.0,
}
#: Named counters in the summary line (plus ``unpaired``: depth / decisions never matched).
COUNTERS = ("published", "empty_cloud", "bad_depth", "bad_decision", "bad_camera_info")
COUNTERS += ("no_camera_info", "size_mismatch", "no_decision")


class AttentionCloudNode(Node):
    """ROS 2 face of :class:`AttentionCloudProjector` (topics and parameters: module doc)."""

    def __init__(self) -> None:
        super().__init__("attention_cloud_node")
        p = {name: self.declare_parameter(name, d).value for name, d in DEFAULTS.items()}
        reject_unknown_overrides(self)
        if p["match"] not in ("exact", "latest"):
            raise ValueError(f"match must be 'exact' or 'latest', got '{p['match']}'")
        self.match = p["match"]
        # The projector's settings share its argument names (min_range_m, stride, ...).
        self.projector = AttentionCloudProjector(
            **{k: p[k] for k in signature(AttentionCloudProjector).parameters}
        )
        self.sync = ExactStampSync(["depth", "decision"])
        self.camera: tuple[np.ndarray, int, int] | None = None  # K, width, height
        self.latest_grid: np.ndarray | None = None
        self.counts = dict.fromkeys(COUNTERS, 0)
        self._warned_at: dict[str, float] = {}
        self.warn_period_s = float(p["warn_period_s"])
        self.cloud_pub = self.create_publisher(PointCloud2, "/xai/attention_cloud", SENSOR)
        sub = self.create_subscription
        sub(Image, "/camera/depth/image_raw", self._on_depth, SENSOR)
        sub(CameraInfo, "/camera/depth/camera_info", self._on_camera_info, SENSOR)
        sub(ActionDecision, "/xai/decision", self._on_decision, COMMAND)
        self.create_timer(float(p["summary_period_s"]), self._summary)
        self.get_logger().info(
            "attention_cloud_node ready: " + " ".join(f"{k}={v}" for k, v in p.items())
        )

    def _count(self, counter: str, message: str) -> None:
        """Count a dropped / degraded input and warn (rate-limited per counter)."""
        self.counts[counter] += 1
        now = time.monotonic()
        if now - self._warned_at.get(counter, -np.inf) >= self.warn_period_s:
            self._warned_at[counter] = now
            self.get_logger().warning(f"{message} [{counter}={self.counts[counter]}]")

    def _summary(self) -> None:
        counts = {**self.counts, "unpaired": self.sync.dropped}
        self.get_logger().info("counters: " + " ".join(f"{k}={v}" for k, v in counts.items()))

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            K = validate_intrinsics(msg.k)
        except ValueError as error:
            self._count("bad_camera_info", f"ignored camera_info: {error}")
            return
        self.camera = (K, int(msg.width), int(msg.height))

    def _on_decision(self, msg: ActionDecision) -> None:
        try:
            grid = select_action_grid(
                np.asarray(msg.attention, dtype=np.float32),
                len(msg.action_names),
                msg.attention_height,
                msg.attention_width,
                msg.chosen_action,
            )
        except ValueError as error:
            self._count("bad_decision", f"dropped /xai/decision: {error}")
            return
        if self.match == "latest":
            self.latest_grid = grid
            return
        group = self.sync.add("decision", conv.stamp_ns(msg.header.stamp), grid)
        if group is not None:
            self._publish(*group["depth"], group["decision"])

    def _on_depth(self, msg: Image) -> None:
        try:
            depth_m = depth_to_metres(image_to_array(msg), msg.encoding)
        except ValueError as error:
            self._count("bad_depth", f"dropped depth image: {error}")
            return
        if self.match == "latest":
            if self.latest_grid is None:
                self._count("no_decision", "dropped depth image: no /xai/decision received yet")
            else:
                self._publish(msg, depth_m, self.latest_grid)
            return
        group = self.sync.add("depth", conv.stamp_ns(msg.header.stamp), (msg, depth_m))
        if group is not None:
            self._publish(*group["depth"], group["decision"])

    def _publish(self, msg: Image, depth_m: np.ndarray, grid: np.ndarray) -> None:
        if self.camera is None:
            self._count(
                "no_camera_info", "dropped depth image: no valid /camera/depth/camera_info yet"
            )
            return
        K, width, height = self.camera
        try:
            points = self.projector.project(
                depth_m, K, grid, camera_size=(width, height), reuse_output=True
            )  # reused storage: cloud_msg copies it into the message right away
        except ValueError as error:
            self._count("size_mismatch", f"dropped depth image: {error}")
            return
        if len(points) == 0:
            self._count("empty_cloud", "depth image has no valid pixel: published an empty cloud")
        self.cloud_pub.publish(conv.cloud_msg(points, msg.header, is_dense=True))
        self.counts["published"] += 1


def main(args: list[str] | None = None) -> None:
    """Entry point of ``attention_cloud_node``."""
    run_node(AttentionCloudNode, "attention_cloud_node", args)


if __name__ == "__main__":
    main()
