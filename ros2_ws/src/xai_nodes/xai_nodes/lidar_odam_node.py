"""lidar_odam_node: LiDAR PointCloud2 -> 3D detections (PointPillars) explained per point.

Subscribes ``/lidar/points`` (PointCloud2 with float x, y, z and an intensity field: parameter
``intensity_field``, else ``reflectance`` or ``i``; scaled by ``intensity_scale`` to 0..1) and
runs :class:`xai_core.lidar.predictor.LidarDetector`. Publishes, all with the input's header:

* ``/xai/detections`` (``xai_interfaces/Detection3DArray``, LiDAR frame, sorted by score);
* ``/xai/detection_markers`` (``visualization_msgs/MarkerArray``: DELETEALL, then per detection
  a LINE_LIST box and a TEXT label);
* ``/xai/odam_cloud`` (PointCloud2 x, y, z, rgb = jet(attention), attention in [0, 1]: per
  point the max over the explained detections of :func:`xai_core.lidar.explain.explain_all`), when
  ``explain`` is true; one point per valid input point.

Service ``~/detect`` (``xai_interfaces/DetectObjects3D``) does the same for one cloud. Bad input
(no x/y/z or intensity field, empty, more than ``max_points``, all points NaN) is logged with
its reason, counted and dropped (service: ``success: false`` + message); points with NaN / inf
are dropped and the rest processed.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace

import numpy as np
import torch
from rclpy.node import Node
from sensor_msgs.msg import PointCloud2
from visualization_msgs.msg import MarkerArray

from xai_core.latency import LatencyStats
from xai_core.lidar.cloud import BadCloud, lidar_points
from xai_core.lidar.explain import explain_all
from xai_core.lidar.predictor import Detection, LidarDetector
from xai_core.paths import resolve_checkpoint
from xai_core.pointcloud2 import cloud_to_array
from xai_interfaces.msg import Detection3DArray
from xai_interfaces.srv import DetectObjects3D
from xai_nodes.detection_msgs import attention_cloud_msg, detection_msg, markers_msg
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import COMMAND, SENSOR
from xai_nodes.runner import run_node

#: Parameters and their defaults (YAML: xai_bringup/config/lidar_odam_node.yaml).
DEFAULTS: dict[str, object] = {
    "checkpoint": "pointpillars_small",  # path or committed name
    "score_threshold": 0.3,
    "explain": True,
    "method": "guided_odam",
    "explain_top_k": 5,  # explain at most the k best detections per scan
    "intensity_field": "intensity",
    "intensity_scale": 1.0,  # multiplies the intensity field (e.g. 1/255 for 8-bit sensors)
    "max_points": 300_000,
    "device": "cpu",
    "threads": 1,
    "summary_period_s": 30.0,
}
METHODS = ("odam", "guided_backprop", "guided_odam", "guided_gradcam")
INTENSITY_FALLBACKS = ("reflectance", "i")


class LidarOdamNode(Node):
    """ROS 2 face of the LiDAR detector and its explanations (topics: module docstring)."""

    def __init__(self) -> None:
        super().__init__("lidar_odam_node")
        p = {name: self.declare_parameter(name, d).value for name, d in DEFAULTS.items()}
        reject_unknown_overrides(self)
        if p["method"] not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got '{p['method']}'")
        if p["device"] != "cpu":
            raise ValueError(f"device '{p['device']}': the LiDAR detector runs on cpu only")
        torch.set_num_threads(int(p["threads"]))
        try:
            self.detector = LidarDetector.from_checkpoint(resolve_checkpoint(p["checkpoint"]))
        except FileNotFoundError as error:
            raise ValueError(str(error)) from None
        model = self.detector.model  # the node's threshold replaces the checkpoint's
        model.config = replace(model.config, score_threshold=float(p["score_threshold"]))
        self.p = p
        self.dropped: Counter[str] = Counter()
        self.latency = LatencyStats()
        self.det_pub = self.create_publisher(Detection3DArray, "/xai/detections", COMMAND)
        self.marker_pub = self.create_publisher(MarkerArray, "/xai/detection_markers", COMMAND)
        self.cloud_pub = self.create_publisher(PointCloud2, "/xai/odam_cloud", SENSOR)
        self.create_subscription(PointCloud2, "/lidar/points", self._on_cloud, SENSOR)
        self.create_service(DetectObjects3D, "~/detect", self._on_detect)
        if p["summary_period_s"] > 0:
            self.create_timer(float(p["summary_period_s"]), self._summary)
        self.get_logger().info(
            f"detecting with {self.detector.name} from {p['checkpoint']} "
            f"(score >= {p['score_threshold']}, explain {p['explain']} by {p['method']})"
        )

    # ------------------------------------------------------------------ conversion

    def _points(self, msg: PointCloud2) -> tuple[np.ndarray, np.ndarray]:
        """``(N, 4)`` float32 x, y, z, intensity of the finite points, and ``(N, 3)`` xyz.

        Raises:
            BadCloud: the cloud cannot be used (the message says why).
        """
        if int(msg.width) * int(msg.height) > int(self.p["max_points"]):  # before any copy
            count = int(msg.width) * int(msg.height)
            raise BadCloud("too_many_points", f"{count} points is more than max_points")
        try:
            cloud = cloud_to_array(msg)
        except ValueError as error:
            raise BadCloud("bad_layout", f"bad cloud layout: {error}") from None
        points, dropped = lidar_points(
            cloud,
            [self.p["intensity_field"], *INTENSITY_FALLBACKS],
            int(self.p["max_points"]),
            float(self.p["intensity_scale"]),
        )
        self.dropped["nan_points"] += dropped
        return points, points[:, :3]

    # ------------------------------------------------------------------ processing

    def _process(
        self, msg: PointCloud2, explain: bool, method: str
    ) -> tuple[Detection3DArray, list[Detection], PointCloud2 | None]:
        """Detections (and the attention cloud when ``explain``) of one cloud message."""
        points, xyz = self._points(msg)
        start = time.perf_counter()
        detections = self.detector.detect(points)
        cloud = None
        if explain:
            names = list(self.detector.class_names)
            refs = [
                (d.anchor_index, names.index(d.cls))
                for d in detections[: int(self.p["explain_top_k"])]
            ]
            maps = explain_all(self.detector.model, points, refs, [method]) if refs else []
            attention = np.zeros(len(points), dtype=np.float32)
            for per_method in maps:  # a point's attention: its max over the detections
                np.maximum(attention, per_method[method], out=attention)
            cloud = attention_cloud_msg(xyz, attention, msg.header)
        self.latency.add(time.perf_counter() - start)
        array = Detection3DArray(
            header=msg.header,
            detections=[detection_msg(d) for d in detections],
            method=method if cloud is not None else "",
        )
        return array, detections, cloud

    # ------------------------------------------------------------------ callbacks

    def _on_cloud(self, msg: PointCloud2) -> None:
        try:
            array, detections, cloud = self._process(msg, self.p["explain"], self.p["method"])
        except BadCloud as error:
            self._drop(error.counter, str(error))
            return
        self.det_pub.publish(array)
        self.marker_pub.publish(markers_msg(detections, msg.header))
        if cloud is not None:
            self.cloud_pub.publish(cloud)

    def _on_detect(
        self, request: DetectObjects3D.Request, response: DetectObjects3D.Response
    ) -> DetectObjects3D.Response:
        method = request.method or "guided_odam"
        if request.explain and method not in METHODS:
            response.success = False
            response.message = f"unknown method '{method}': use one of {', '.join(METHODS)}"
            return response
        try:
            array, detections, cloud = self._process(request.cloud, request.explain, method)
        except BadCloud as error:
            self._drop(error.counter, str(error))
            response.success, response.message = False, f"cannot detect objects: {error}"
            return response
        response.detections = array
        if cloud is not None:
            response.attention_cloud = cloud
        response.success = True
        response.message = f"{len(detections)} detections" + (
            f", explained by {method}" if cloud is not None else ""
        )
        return response

    def _drop(self, counter: str, reason: str) -> None:
        self.dropped[counter] += 1
        text = f"dropped cloud: {reason} ({self.dropped[counter]} so far as {counter})"
        if self.dropped[counter] == 1:  # a new reason is always logged, repeats at most every 5 s
            self.get_logger().warning(text)
        else:
            self.get_logger().warning(text, throttle_duration_sec=5.0)

    def _summary(self) -> None:
        self.get_logger().info(
            f"detected: {self.latency.line()}; dropped: {dict(self.dropped) or 'none'}"
        )


def main(args: list[str] | None = None) -> None:
    """Entry point of ``lidar_odam_node``."""
    run_node(LidarOdamNode, "lidar_odam_node", args)


if __name__ == "__main__":
    main()
