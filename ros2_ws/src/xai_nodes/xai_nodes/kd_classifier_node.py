"""kd_classifier_node: one image -> top-k classes of the distilled ViT student + its attention.

Service ``~/classify`` (``xai_interfaces/ClassifyImage``): the request image (rgb8, bgr8 or
mono8, any size: resized to the model's input by :class:`xai_core.kd.predictor.KDClassifier`)
is classified; the response holds the ``top_k`` labels, class ids and softmax probabilities
(most probable first; a request ``top_k <= 0`` uses the parameter) and ``attention``, a mono8
image of the student's last-block class-token attention (mean over heads, 255 = the maximum)
at the request image's size with its header. Other encodings or broken images are refused with
``success: false`` and a message saying why; the node keeps serving.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from rclpy.node import Node

from xai_core.kd.checkpoint import CheckpointError
from xai_core.kd.predictor import KDClassifier
from xai_core.latency import LatencyStats
from xai_interfaces.srv import ClassifyImage
from xai_nodes import conversions as conv
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.refusals import Refusals
from xai_nodes.runner import run_node

#: Parameters and their defaults (YAML: xai_bringup/config/kd_classifier_node.yaml).
DEFAULTS: dict[str, object] = {
    "checkpoint": "kd_student",  # path or committed name
    "top_k": 5,  # labels returned when the request asks for <= 0
    "device": "cpu",  # torch device (cpu, cuda)
    "threads": 1,
    "summary_period_s": 30.0,
}
ENCODINGS = ("rgb8", "bgr8", "mono8")


class KDClassifierNode(Node):
    """ROS 2 face of the distilled classifier (service and parameters: module docstring)."""

    def __init__(self) -> None:
        super().__init__("kd_classifier_node")
        p = {name: self.declare_parameter(name, d).value for name, d in DEFAULTS.items()}
        reject_unknown_overrides(self)
        if int(p["top_k"]) < 1:
            raise ValueError(f"top_k must be >= 1, got {p['top_k']}")
        torch.set_num_threads(int(p["threads"]))
        try:
            self.classifier = KDClassifier.from_checkpoint(p["checkpoint"], p["device"])
        except (FileNotFoundError, CheckpointError) as error:
            raise ValueError(str(error)) from None
        self.top_k = int(p["top_k"])
        self.dropped = Refusals(self.get_logger(), "refused image")
        self.latency = LatencyStats()
        self.create_service(ClassifyImage, "~/classify", self._on_classify)
        if p["summary_period_s"] > 0:
            self.create_timer(float(p["summary_period_s"]), self._summary)
        c = self.classifier
        self.get_logger().info(
            f"classifying with {c.name} from {c.path} ({len(c.labels)} classes, "
            f"{c.image_size}x{c.image_size} input, top_k {self.top_k}, on {c.device})"
        )

    def _on_classify(
        self, request: ClassifyImage.Request, response: ClassifyImage.Response
    ) -> ClassifyImage.Response:
        try:
            pixels = conv.rgb_or_mono(request.image, ENCODINGS)
            start = time.perf_counter()
            result = self.classifier.classify(
                np.ascontiguousarray(pixels), request.top_k if request.top_k > 0 else self.top_k
            )
            self.latency.add(time.perf_counter() - start)
        except ValueError as error:
            self.dropped.add(str(error))
            response.success, response.message = False, f"cannot classify the image: {error}"
            return response
        response.labels = result.labels
        response.class_ids = result.class_ids
        response.probabilities = result.probabilities
        response.attention = conv.image_msg(result.attention, "mono8", request.image.header)
        response.success = True
        response.message = (
            f"{request.image.width}x{request.image.height} {request.image.encoding}: "
            + ", ".join(
                f"{n} {p:.1%}" for n, p in zip(result.labels, result.probabilities, strict=True)
            )
        )
        return response

    def _summary(self) -> None:
        self.get_logger().info(
            f"classified: {self.latency.line()}; refused {self.dropped.summary()}"
        )


def main(args: list[str] | None = None) -> None:
    """Entry point of ``kd_classifier_node``."""
    run_node(KDClassifierNode, "kd_classifier_node", args)


if __name__ == "__main__":
    main()
