"""sam_node in its own process with a random-weights SAM, queried over DDS by a probe node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image

from xai_core.images import image_to_array
from xai_core.paths import checkpoint_dir, resolve_checkpoint
from xai_core.sam.build import build_sam
from xai_core.sam.checkpoint import save_sam
from xai_core.sam.predictor import SamBoxPredictor
from xai_interfaces.srv import SegmentWithBoxes
from xai_nodes import conversions as conv
from xai_nodes.sam_node import DEFAULTS

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
PARAMS = [CONFIG / "sam_node.yaml"]
FRAME = "head_rgbd_sensor_rgb_frame"
NODE = "sam_node"
HEIGHT, WIDTH = 96, 128
#: Two cells (x0, y0, x1, y1) drawn as bright discs in membrane rings.
CELLS = [(16, 20, 56, 60), (70, 30, 118, 78)]


@pytest.fixture(scope="module")
def cells_rgb() -> np.ndarray:
    """``(96, 128, 3)`` uint8 EM-like image: two textured discs in dark rings on grey, noise."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:HEIGHT, :WIDTH]
    grey = np.full((HEIGHT, WIDTH), 120.0)
    for x0, y0, x1, y1 in CELLS:
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
        d = np.hypot(xx - cx, yy - cy)
        grey[d <= r] = 30.0  # membrane
        grey[d <= r - 3] = 200.0  # interior
    grey += rng.normal(0, 10, grey.shape)
    return np.repeat(grey.clip(0, 255).astype(np.uint8)[..., None], 3, axis=2)


@pytest.fixture
def node(launch, tmp_path):
    """The node on a random-weights ``sam_small`` checkpoint (answers do not depend on training)."""
    checkpoint = tmp_path / "sam_small_random.pt"
    save_sam(checkpoint, build_sam("sam_small"))
    return launch(NODE, params_files=PARAMS, parameters={"checkpoint": str(checkpoint)})


def _image(pixels: np.ndarray, encoding: str, sec: int) -> Image:
    return conv.image_msg(pixels, encoding, conv.header(Time(sec=sec, nanosec=250), FRAME))


def test_segment_with_boxes_caches_the_embedding_and_survives_bad_requests(
    probe, node, cells_rgb
) -> None:
    client = probe.node.create_client(SegmentWithBoxes, f"/{NODE}/segment_with_boxes")
    assert probe.spin_until(client.service_is_ready, 60.0), node.log_tail()

    def call(image: Image, boxes: list[float], iterate: bool = True, **kw: Any) -> Any:
        request = SegmentWithBoxes.Request(image=image, boxes=boxes, iterate=iterate, **kw)
        response = probe.call(client, request, 60.0)
        assert response is not None, node.log_tail()
        return response

    boxes = [float(v) for box in CELLS for v in box]
    good = call(_image(cells_rgb, "rgb8", 21), boxes)
    assert good.success, good.message
    assert "image encoded" in good.message and "cached" not in good.message, good.message
    assert len(good.masks) == 2 and len(good.scores) == 2 and len(good.refined_boxes) == 8
    assert all(1 <= n <= DEFAULTS["max_iterations"] for n in good.iterations), good.iterations
    for mask in good.masks:
        assert (mask.height, mask.width, mask.encoding) == (HEIGHT, WIDTH, "mono8")
        assert (mask.header.stamp.sec, mask.header.stamp.nanosec) == (21, 250)
        assert mask.header.frame_id == FRAME
        assert set(np.unique(image_to_array(mask)).tolist()) <= {0, 255}

    # Same pixels again: the encoder does not run; one pass per box without iteration.
    again = call(_image(cells_rgb, "rgb8", 22), boxes, iterate=False)
    assert again.success and "cached image embedding reused" in again.message, again.message
    assert list(again.iterations) == [1, 1] and again.masks[0].header.stamp.sec == 22
    capped = call(_image(cells_rgb, "rgb8", 23), boxes[:4], max_iterations=1, threshold=0.5)
    assert capped.success and list(capped.iterations) == [1], capped.message

    # Other accepted encodings, and a box partly outside the image (clipped, said so).
    bgr = call(_image(np.ascontiguousarray(cells_rgb[..., ::-1]), "bgr8", 24), boxes[:4])
    assert bgr.success and "cached image embedding reused" in bgr.message, bgr.message
    grey = call(_image(cells_rgb[..., 0].copy(), "mono8", 25), [60.0, 20.0, 200.0, 90.0])
    assert grey.success and "boxes [0] clipped" in grey.message, grey.message
    assert max(grey.refined_boxes[0::2]) <= WIDTH and max(grey.refined_boxes[1::2]) <= HEIGHT

    bad = {
        "accepted: rgb8, bgr8, mono8": (_image(np.zeros((4, 4), np.uint16), "16UC1", 30), boxes),
        "box 1": (_image(cells_rgb, "rgb8", 31), [*boxes[:4], 50.0, 50.0, 40.0, 60.0]),
        "box 0": (_image(cells_rgb, "rgb8", 32), [300.0, 300.0, 340.0, 350.0]),
        "not a multiple of 4": (_image(cells_rgb, "rgb8", 33), boxes[:6]),
        "no boxes": (_image(cells_rgb, "rgb8", 34), []),
        "more than max_boxes": (_image(cells_rgb, "rgb8", 35), boxes[:4] * 65),
    }
    for reason, (image, bad_boxes) in bad.items():
        answer = call(image, bad_boxes)
        assert not answer.success and reason in answer.message, (reason, answer.message)
        assert len(answer.masks) == 0
    nan = call(_image(cells_rgb, "rgb8", 36), [float("nan"), 0.0, 10.0, 10.0])
    assert not nan.success and "box 0" in nan.message, nan.message

    last = call(_image(cells_rgb, "rgb8", 40), boxes)
    assert last.success and len(last.masks) == 2 and node.alive(), last.message
    log = node.log_tail(200)
    assert "refused request: unsupported encoding '16UC1'" in log, log


def test_missing_checkpoint_exits_with_one_readable_line(launch) -> None:
    node = launch(NODE, parameters={"checkpoint": "/nonexistent/sam.pt"})
    assert node.popen.wait(timeout=60) != 0
    log = node.log_tail(50)
    assert "checkpoint '/nonexistent/sam.pt' not found" in log and "Traceback" not in log, log


def test_default_checkpoint_is_the_committed_one() -> None:
    """The YAML's checkpoint names the committed ``sam_em_prompt.pt``, which the predictor loads."""
    config = yaml.safe_load(PARAMS[0].read_text())[NODE]["ros__parameters"]
    assert config["checkpoint"] == DEFAULTS["checkpoint"] == "sam_em_prompt"
    path = resolve_checkpoint(config["checkpoint"])
    assert path == checkpoint_dir() / "sam_em_prompt.pt"
    predictor = SamBoxPredictor.from_checkpoint(path)
    assert predictor.set_image(np.zeros((32, 48, 3), np.uint8))
