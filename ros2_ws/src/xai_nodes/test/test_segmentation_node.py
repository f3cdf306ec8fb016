"""segmentation_node in its own process, fed and queried over DDS by an in-process probe node."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image

from xai_core.images import image_to_array
from xai_core.seg.data import named_worlds, render_set
from xai_interfaces.srv import SegmentImage
from xai_nodes import conversions as conv
from xai_nodes.qos import SENSOR
from xai_sim import LABEL_COLORS

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
PARAMS = [CONFIG / "segmentation_node.yaml"]
FRAME = "head_rgbd_sensor_rgb_frame"
WIDTH, HEIGHT = 320, 240


@pytest.fixture(scope="module")
def render() -> tuple[np.ndarray, np.ndarray]:
    """A held-out render (named layout, seed outside the training range): RGB and labels."""
    data = render_set(named_worlds(["office"], 1_000_000), 1, width=WIDTH, height=HEIGHT)
    return data.rgb[0], data.labels[0]


def _image(pixels: np.ndarray, encoding: str, sec: int) -> Image:
    return conv.image_msg(pixels, encoding, conv.header(Time(sec=sec, nanosec=250), FRAME))


def _bad_images() -> dict[str, Image]:
    header = conv.header(Time(sec=90), FRAME)
    short = Image(header=header, height=10, width=10, encoding="rgb8", step=30)
    short.data = bytes(100)
    return {
        "16UC1": _image(np.zeros((4, 4), np.uint16), "16UC1", 90),
        "no pixels": Image(header=header, height=0, width=0, encoding="rgb8", step=0),
        "needs 300 bytes": short,
    }


class Outputs:
    """What the probe heard on the node's two output topics, by stamp (seconds)."""

    def __init__(self, probe) -> None:
        self.labels: dict[int, Image] = {}
        self.color: dict[int, Image] = {}
        for topic, store in (("/xai/semantic", self.labels), ("/xai/semantic_color", self.color)):
            probe.node.create_subscription(
                Image, topic, lambda m, s=store: s.setdefault(m.header.stamp.sec, m), SENSOR
            )

    def has(self, sec: int) -> bool:
        return sec in self.labels and sec in self.color


def _publish_until(probe, pub, msg: Image, done, timeout_s: float = 60.0) -> bool:
    """Publish ``msg`` (best effort) on every spin until ``done()``."""

    def check() -> bool:
        if done():
            return True
        pub.publish(msg)
        return False

    return probe.spin_until(check, timeout_s)


def test_camera_images_are_segmented_with_their_header(probe, launch, render) -> None:
    node = launch("segmentation_node", params_files=PARAMS)
    rgb, truth = render
    outputs = Outputs(probe)
    pub = probe.node.create_publisher(Image, "/camera/color/image_raw", SENSOR)
    assert _publish_until(probe, pub, _image(rgb, "rgb8", 11), lambda: outputs.has(11)), (
        node.log_tail()
    )
    labels_msg, color_msg = outputs.labels[11], outputs.color[11]
    for msg in (labels_msg, color_msg):
        assert (msg.header.stamp.nanosec, msg.header.frame_id) == (250, FRAME)
        assert (msg.width, msg.height) == (WIDTH, HEIGHT)
    assert (labels_msg.encoding, color_msg.encoding) == ("mono8", "rgb8")
    labels = image_to_array(labels_msg)
    assert (labels == truth).mean() > 0.85  # the committed checkpoint, on a held-out render
    np.testing.assert_array_equal(image_to_array(color_msg), LABEL_COLORS[labels])

    # bgr8 input: same pixels, same labels.
    bgr = _image(np.ascontiguousarray(rgb[..., ::-1]), "bgr8", 12)
    assert _publish_until(probe, pub, bgr, lambda: outputs.has(12))
    np.testing.assert_array_equal(image_to_array(outputs.labels[12]), labels)

    # Bad images are dropped with their reason; the node keeps segmenting.
    for bad in _bad_images().values():
        for _ in range(3):
            pub.publish(bad)
            probe.spin_for(0.1)
    assert _publish_until(probe, pub, _image(rgb, "rgb8", 13), lambda: outputs.has(13))
    assert 90 not in outputs.labels and node.alive()
    log = node.log_tail(200)
    assert "dropped image: unsupported encoding '16UC1'" in log, log
    assert "dropped image: image has no pixels" in log and "needs 300 bytes" in log, log


def test_segment_service_answers_and_survives_bad_requests(probe, launch, render) -> None:
    node = launch("segmentation_node", params_files=PARAMS)
    client = probe.node.create_client(SegmentImage, "/segmentation_node/segment")
    assert probe.spin_until(client.service_is_ready, 60.0), node.log_tail()

    def call(image: Image) -> SegmentImage.Response:
        response = probe.call(client, SegmentImage.Request(image=image), 20.0)
        assert response is not None, node.log_tail()
        return response

    rgb, truth = render
    good = call(_image(rgb, "rgb8", 21))
    assert good.success and "segmented" in good.message, good.message
    assert good.labels.header.stamp.sec == good.color.header.stamp.sec == 21
    assert (image_to_array(good.labels) == truth).mean() > 0.85
    for reason, bad in _bad_images().items():
        answer = call(bad)
        assert not answer.success and reason in answer.message, answer.message
    assert call(_image(rgb, "rgb8", 22)).success and node.alive()


def test_ground_truth_mode_republishes_the_simulator_labels(probe, launch, render) -> None:
    # A checkpoint that does not exist proves no model is loaded in this mode.
    params = {"use_ground_truth": True, "checkpoint": "/nonexistent/segmentation.pt"}
    node = launch("segmentation_node", params_files=PARAMS, parameters=params)
    _, truth = render
    outputs = Outputs(probe)
    labels_pub = probe.node.create_publisher(Image, "/xai/sim/semantic", SENSOR)
    color_pub = probe.node.create_publisher(Image, "/xai/sim/semantic_color", SENSOR)
    labels_in, color_in = _image(truth, "mono8", 31), _image(LABEL_COLORS[truth], "rgb8", 31)

    def both() -> bool:
        color_pub.publish(color_in)
        return outputs.has(31)

    assert _publish_until(probe, labels_pub, labels_in, both), node.log_tail()
    np.testing.assert_array_equal(image_to_array(outputs.labels[31]), truth)
    np.testing.assert_array_equal(image_to_array(outputs.color[31]), LABEL_COLORS[truth])

    client = probe.node.create_client(SegmentImage, "/segmentation_node/segment")
    assert probe.spin_until(client.service_is_ready, 30.0)
    response = probe.call(client, SegmentImage.Request(image=labels_in), 30.0)
    assert response is not None
    assert not response.success and "use_ground_truth" in response.message


def test_missing_checkpoint_exits_with_one_readable_line(launch) -> None:
    node = launch("segmentation_node", parameters={"checkpoint": "/nonexistent/seg.pt"})
    assert node.popen.wait(timeout=60) != 0
    log = node.log_tail(50)
    assert "checkpoint '/nonexistent/seg.pt' not found" in log and "Traceback" not in log, log
