"""sam_node: Segment Anything with rough box prompts, as a service (issue #9).

Service ``~/segment_with_boxes`` (``xai_interfaces/SegmentWithBoxes``): an image (rgb8, bgr8 or
mono8) and flattened XYXY pixel boxes -> one mono8 0/255 mask per box (request image size and
header), SAM's predicted IoU, the passes used and the last box prompt per box. With ``iterate``
each box is refined by :class:`xai_core.sam.predictor.SamBoxPredictor` (mask -> its bounding
rectangle -> next prompt) until the change rate falls to ``threshold`` or ``max_iterations``
passes. The image embedding is cached: more calls on the same image skip the encoder (the
reply's message says which). Bad requests (encoding, box count, non-finite / degenerate boxes,
boxes fully outside the image) get ``success: false`` with the reason; boxes partly outside are
clipped and the message says which.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from rclpy.node import Node

from xai_core.latency import LatencyStats
from xai_core.paths import resolve_checkpoint
from xai_core.sam.predictor import BadBoxes, SamBoxPredictor
from xai_interfaces.srv import SegmentWithBoxes
from xai_nodes import conversions as conv
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.refusals import Refusals
from xai_nodes.runner import run_node

#: Parameters and their defaults (YAML: xai_bringup/config/sam_node.yaml).
DEFAULTS: dict[str, object] = {
    "checkpoint": "sam_em_prompt",  # path or committed name
    "threshold": 0.05,  # change rate that stops the iteration, when a request sends <= 0
    "max_iterations": 5,  # passes per box, when a request sends <= 0
    "max_boxes": 64,  # more boxes per request are refused
    "device": "cpu",
    "threads": 1,
    "summary_period_s": 30.0,
}
ENCODINGS = ("rgb8", "bgr8", "mono8")
#: Requests may raise max_iterations up to this; more is refused (each pass runs the decoder).
ITERATION_CAP = 50


class BadRequest(ValueError):
    """A request the node refuses; ``reason`` is its counter name, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class SamNode(Node):
    """ROS 2 face of the box-prompted SAM predictor (service and parameters: module docstring)."""

    def __init__(self) -> None:
        super().__init__("sam_node")
        p = {name: self.declare_parameter(name, d).value for name, d in DEFAULTS.items()}
        reject_unknown_overrides(self)
        if not 1 <= int(p["max_iterations"]) <= ITERATION_CAP:
            raise ValueError(f"max_iterations must be in 1..{ITERATION_CAP}")
        if not float(p["threshold"]) > 0 or int(p["max_boxes"]) < 1:
            raise ValueError("threshold must be > 0 and max_boxes >= 1")
        torch.set_num_threads(int(p["threads"]))
        try:
            path = resolve_checkpoint(p["checkpoint"])
            self.predictor = SamBoxPredictor.from_checkpoint(path, device=p["device"])
        except FileNotFoundError as error:
            raise ValueError(str(error)) from None
        self.p = p
        self.requests = 0
        self.encoded = 0
        self.failed = Refusals(self.get_logger(), "refused request")
        self.latency = LatencyStats()
        self.create_service(SegmentWithBoxes, "~/segment_with_boxes", self._on_segment)
        if p["summary_period_s"] > 0:
            self.create_timer(float(p["summary_period_s"]), self._summary)
        self.get_logger().info(f"segmenting box prompts with {path}")

    # ------------------------------------------------------------------ conversion

    def _boxes(self, flat: np.ndarray) -> np.ndarray:
        """``(N, 4)`` float32 boxes of a flattened request field (count checks only)."""
        if flat.size == 0:
            raise BadRequest("no_boxes", "no boxes: send at least one box as x0, y0, x1, y1")
        if flat.size % 4:
            raise BadRequest(
                "bad_box_count",
                f"boxes has {flat.size} numbers, not a multiple of 4 (flattened x0, y0, x1, y1)",
            )
        if flat.size // 4 > int(self.p["max_boxes"]):
            raise BadRequest(
                "too_many_boxes",
                f"{flat.size // 4} boxes is more than max_boxes {self.p['max_boxes']}",
            )
        return flat.reshape(-1, 4)

    def _settings(self, request: SegmentWithBoxes.Request) -> tuple[float, int]:
        """The request's threshold and max_iterations, node defaults for values <= 0."""
        threshold = float(request.threshold)
        if not math.isfinite(threshold) or threshold <= 0:
            threshold = float(self.p["threshold"])
        iterations = int(request.max_iterations)
        if iterations > ITERATION_CAP:
            raise BadRequest(
                "bad_max_iterations", f"max_iterations {iterations} is more than {ITERATION_CAP}"
            )
        return threshold, iterations if iterations > 0 else int(self.p["max_iterations"])

    # ------------------------------------------------------------------ callbacks

    def _on_segment(
        self, request: SegmentWithBoxes.Request, response: SegmentWithBoxes.Response
    ) -> SegmentWithBoxes.Response:
        self.requests += 1
        start = time.perf_counter()
        try:
            boxes = self._boxes(np.asarray(request.boxes, dtype=np.float32))
            threshold, max_iterations = self._settings(request)
            try:
                pixels = conv.rgb_or_mono(request.image, ENCODINGS)
            except ValueError as error:
                raise BadRequest("bad_image", str(error)) from None
            encoded = self.predictor.set_image(np.ascontiguousarray(pixels))
            self.encoded += int(encoded)
            try:
                boxes_px = self.predictor.check_boxes(boxes)
            except BadBoxes as error:
                raise BadRequest("bad_box", f"bad box prompt: {error}") from None
            clipped = list(self.predictor.last_clipped)
            results = self.predictor.predict_boxes(
                boxes_px, request.iterate, threshold=threshold, max_iterations=max_iterations
            )
        except BadRequest as error:
            return self._refuse(response, error.reason, str(error))
        except (ValueError, RuntimeError) as error:  # the predictor's own refusals
            return self._refuse(response, "predictor_error", f"SAM failed: {error}")
        elapsed = time.perf_counter() - start
        self.latency.add(elapsed)
        header = request.image.header
        response.masks = [
            conv.image_msg(r.mask.astype(np.uint8) * np.uint8(255), "mono8", header)
            for r in results
        ]
        iterations = [int(r.iterations) for r in results]
        response.scores = [float(r.score) for r in results]
        response.iterations = iterations
        response.refined_boxes = np.concatenate([r.box for r in results]).astype(float).tolist()
        response.success = True
        response.message = (
            f"{len(results)} mask{'s' * (len(results) != 1)} on "
            f"{request.image.width}x{request.image.height} "
            f"({'image encoded' if encoded else 'cached image embedding reused'}); "
            f"iterations {iterations}"
            + (f"; boxes {clipped} clipped to the image" if clipped else "")
            + f"; {1e3 * elapsed:.0f} ms"
        )
        return response

    def _refuse(
        self, response: SegmentWithBoxes.Response, reason: str, message: str
    ) -> SegmentWithBoxes.Response:
        self.failed.add(reason, message)
        response.success, response.message = False, message
        return response

    def _summary(self) -> None:
        self.get_logger().info(
            f"requests {self.requests}, encoder runs {self.encoded}, "
            f"failed {self.failed.summary()}; "
            f"answered: {self.latency.line()}"
        )


def main(args: list[str] | None = None) -> None:
    """Entry point of ``sam_node``."""
    run_node(SamNode, "sam_node", args)


if __name__ == "__main__":
    main()
