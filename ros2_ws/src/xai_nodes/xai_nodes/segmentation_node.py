"""segmentation_node: head-camera RGB -> semantic labels (0 wall, 1 floor, 2 furniture, 3 person).

Subscribes ``/camera/color/image_raw`` (rgb8 or bgr8, any size), runs the trained segmenter
(:class:`xai_core.seg.predictor.SegmentationPredictor`) and publishes ``/xai/semantic`` (mono8
labels) and ``/xai/semantic_color`` (rgb8, the policy's input colours) at the input's size with
the input's header. Service ``~/segment`` (``xai_interfaces/SegmentImage``) does the same for one
image. With ``use_ground_truth`` it loads no model and republishes the simulator's
``/xai/sim/semantic`` and ``/xai/sim/semantic_color`` on the output topics instead.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from rclpy.node import Node
from sensor_msgs.msg import Image

from xai_core.latency import LatencyStats
from xai_core.seg.predictor import SegmentationPredictor
from xai_interfaces.srv import SegmentImage
from xai_nodes import conversions as conv
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import SENSOR
from xai_nodes.refusals import Refusals
from xai_nodes.runner import run_node
from xai_sim import LABEL_NAMES

ENCODINGS = ("rgb8", "bgr8")


class SegmentationNode(Node):
    """ROS 2 face of the segmenter (topics and parameters: module docstring, README)."""

    def __init__(self) -> None:
        super().__init__("segmentation_node")
        p = {
            name: self.declare_parameter(name, default).value
            for name, default in [
                ("checkpoint", ""),  # path or committed name; "" = committed "segmentation"
                ("use_ground_truth", False),
                ("device", "cpu"),
                ("threads", 1),  # torch CPU threads for inference
                ("summary_period_s", 30.0),  # 0 = no periodic summary
            ]
        }
        reject_unknown_overrides(self)
        self.labels_pub = self.create_publisher(Image, "/xai/semantic", SENSOR)
        self.color_pub = self.create_publisher(Image, "/xai/semantic_color", SENSOR)
        self.dropped = Refusals(self.get_logger(), "dropped image")
        self.latency = LatencyStats()
        self.predictor: SegmentationPredictor | None = None
        if p["use_ground_truth"]:
            for topic, pub in (("semantic", self.labels_pub), ("semantic_color", self.color_pub)):
                self.create_subscription(Image, f"/xai/sim/{topic}", pub.publish, SENSOR)
            source = "ground truth from /xai/sim/semantic*"
        else:
            torch.set_num_threads(int(p["threads"]))
            try:
                self.predictor = SegmentationPredictor.from_checkpoint(
                    p["checkpoint"], device=p["device"]
                )
            except FileNotFoundError as error:
                raise ValueError(str(error)) from None
            self.create_subscription(Image, "/camera/color/image_raw", self._on_image, SENSOR)
            source = f"{self.predictor.name} from {self.predictor.path}"
        self.create_service(SegmentImage, "~/segment", self._on_segment)
        if p["summary_period_s"] > 0:
            self.create_timer(float(p["summary_period_s"]), self._summary)
        self.get_logger().info(f"segmenting with {source}")

    def _segment(self, msg: Image) -> np.ndarray:
        """``(H, W)`` uint8 labels of an rgb8 / bgr8 Image.

        Raises:
            ValueError: the image cannot be segmented (the message says why).
        """
        if self.predictor is None:
            raise ValueError(
                "use_ground_truth is set: this node republishes the simulator's labels and has "
                "no model loaded; restart it with use_ground_truth:=false to segment images"
            )
        rgb = conv.rgb_or_mono(msg, ENCODINGS)
        start = time.perf_counter()
        labels = self.predictor.predict(np.ascontiguousarray(rgb))
        elapsed = time.perf_counter() - start
        self.latency.add(elapsed)
        self.get_logger().debug(f"{msg.width}x{msg.height} segmented in {1e3 * elapsed:.1f} ms")
        return labels

    def _messages(self, labels: np.ndarray, header) -> tuple[Image, Image]:
        """mono8 labels and rgb8 colour Images with ``header`` (the input's)."""
        color = self.predictor.colorize(labels)
        return conv.image_msg(labels, "mono8", header), conv.image_msg(color, "rgb8", header)

    def _on_image(self, msg: Image) -> None:
        try:
            labels = self._segment(msg)
        except ValueError as error:
            self.dropped.add(str(error))
            return
        labels_msg, color_msg = self._messages(labels, msg.header)
        self.labels_pub.publish(labels_msg)
        self.color_pub.publish(color_msg)

    def _on_segment(
        self, request: SegmentImage.Request, response: SegmentImage.Response
    ) -> SegmentImage.Response:
        try:
            labels = self._segment(request.image)
        except ValueError as error:
            self.dropped.add(str(error))
            response.success, response.message = False, f"cannot segment the image: {error}"
            return response
        response.labels, response.color = self._messages(labels, request.image.header)
        share = np.bincount(labels.ravel(), minlength=len(LABEL_NAMES)) / labels.size
        response.success = True
        response.message = f"{labels.shape[1]}x{labels.shape[0]} segmented: " + ", ".join(
            f"{name} {s:.0%}" for name, s in zip(LABEL_NAMES, share, strict=True)
        )
        return response

    def _summary(self) -> None:
        self.get_logger().info(
            f"segmented: {self.latency.line()}; dropped {self.dropped.summary()}"
        )


def main(args: list[str] | None = None) -> None:
    """Entry point of ``segmentation_node``."""
    run_node(SegmentationNode, "segmentation_node", args)


if __name__ == "__main__":
    main()
