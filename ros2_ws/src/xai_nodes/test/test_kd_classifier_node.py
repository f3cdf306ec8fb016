"""kd_classifier_node in its own process with the committed distilled student, queried over DDS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image

from xai_core.kd.predictor import KDClassifier
from xai_interfaces.srv import ClassifyImage
from xai_nodes import conversions as conv

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
PARAMS = [CONFIG / "kd_classifier_node.yaml"]
NODE = "kd_classifier_node"


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """One held-out sklearn digit per class: ``(10, 8, 8)`` uint8 (0..255) and ``(10,)`` labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    _, held = train_test_split(np.arange(len(data.target)), test_size=0.3, random_state=0,
                               stratify=data.target)  # fmt: skip
    held = np.sort(held)
    picks = [held[data.target[held] == d][0] for d in range(10)]
    images = np.round(data.images[picks] * 255 / 16).astype(np.uint8)
    return images, data.target[picks]


def _enlarge(digit: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear enlargement (uint8) of an 8x8 digit to ``(height, width)``, like a camera crop."""
    import torch

    x = torch.from_numpy(digit.astype(np.float32))[None, None]
    x = torch.nn.functional.interpolate(x, size=(height, width), mode="bilinear")
    return x[0, 0].round().clamp(0, 255).numpy().astype(np.uint8)


def _image(pixels: np.ndarray, encoding: str, sec: int) -> Image:
    return conv.image_msg(pixels, encoding, conv.header(Time(sec=sec, nanosec=7), "camera"))


def test_classify_digits_over_dds_and_refuse_bad_images(probe, launch, digits) -> None:
    node = launch(NODE, params_files=PARAMS)
    client = probe.node.create_client(ClassifyImage, f"/{NODE}/classify")
    assert probe.spin_until(client.service_is_ready, 90.0), node.log_tail()

    def call(image: Image, top_k: int = 0) -> Any:
        response = probe.call(client, ClassifyImage.Request(image=image, top_k=top_k), 60.0)
        assert response is not None, node.log_tail()
        return response

    local = KDClassifier.from_checkpoint("kd_student")
    images, labels = digits
    correct = 0
    for i, (digit, label) in enumerate(zip(images, labels, strict=True)):
        size = (8, 8) if i % 2 else (64, 56)  # any size: the node resizes
        grey = digit if i % 2 else _enlarge(digit, *size)
        if i % 3 == 0:
            msg = _image(grey, "mono8", 100 + i)
        elif i % 3 == 1:
            msg = _image(np.repeat(grey[..., None], 3, axis=2), "rgb8", 100 + i)
        else:
            msg = _image(np.repeat(grey[..., None], 3, axis=2), "bgr8", 100 + i)
        response = call(msg, top_k=3 if i == 0 else 0)
        assert response.success, response.message
        k = 3 if i == 0 else 5  # request's top_k, else the YAML default
        assert len(response.labels) == len(response.class_ids) == len(response.probabilities) == k
        assert list(response.probabilities) == sorted(response.probabilities, reverse=True)
        assert response.labels[0] == str(response.class_ids[0])
        correct += int(response.class_ids[0] == label)
        # Same numbers as the predictor in this process.
        expected = local.classify(grey, top_k=k)
        assert list(response.class_ids) == expected.class_ids
        np.testing.assert_allclose(response.probabilities, expected.probabilities, atol=1e-5)
        attention = response.attention
        assert (attention.encoding, attention.height, attention.width) == ("mono8", *size)
        assert (attention.header.stamp.sec, attention.header.stamp.nanosec) == (100 + i, 7)
        assert attention.header.frame_id == "camera"
        att = np.frombuffer(bytes(attention.data), np.uint8).reshape(size)
        assert att.max() == 255 and np.array_equal(att, expected.attention)
    assert correct >= 9, f"{correct}/10 held-out digits classified correctly"

    # Wrong encodings and broken images: success false with a reason; the node keeps serving.
    depth = _image(np.zeros((4, 4), np.uint16), "16UC1", 1)
    refused = call(depth)
    assert not refused.success and "unsupported encoding '16UC1'" in refused.message
    assert list(refused.labels) == []
    broken = _image(images[0], "mono8", 2)
    broken.step = 2  # smaller than the width
    refused = call(broken)
    assert not refused.success and "step" in refused.message, refused.message
    empty = Image(encoding="rgb8", width=0, height=0, step=0)
    refused = call(empty)
    assert not refused.success and "no pixels" in refused.message, refused.message
    again = call(_image(images[3], "mono8", 3), top_k=1)
    assert again.success and len(again.labels) == 1
    assert node.alive()
    assert "refused image: unsupported encoding" in node.log_tail(200)
