"""Image codec against hand-built sensor_msgs/Image messages."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from sensor_msgs.msg import Image

from xai_core.images import array_to_image_buffer, image_to_array


def _image(
    encoding: str, height: int, width: int, step: int, data: bytes, big: bool = False
) -> Image:
    msg = Image(height=height, width=width, encoding=encoding, step=step, is_bigendian=big)
    msg.data = data
    return msg


def test_rgb8_with_row_padding() -> None:
    row0 = bytes([1, 2, 3, 4, 5, 6]) + b"\x00\x00"
    row1 = bytes([7, 8, 9, 10, 11, 12]) + b"\x00\x00"
    pixels = image_to_array(_image("rgb8", 2, 2, 8, row0 + row1))
    assert pixels.shape == (2, 2, 3)
    assert pixels[1, 0].tolist() == [7, 8, 9]


def test_depth_32fc1_big_endian() -> None:
    data = struct.pack(">2f", 1.5, 0.0)
    pixels = image_to_array(_image("32FC1", 1, 2, 8, data, big=True))
    assert pixels.dtype == np.float32
    assert pixels.tolist() == [[1.5, 0.0]]


def test_round_trip_depth() -> None:
    depth = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    buffer = array_to_image_buffer(depth, "32FC1")
    msg = _image(buffer.encoding, buffer.height, buffer.width, buffer.step, buffer.data)
    np.testing.assert_array_equal(image_to_array(msg), depth)


@pytest.mark.parametrize(
    ("encoding", "step", "size", "message"),
    [
        ("yuv422", 6, 6, "unsupported image encoding"),
        ("rgb8", 5, 10, "step 5 is smaller"),
        ("rgb8", 6, 11, "needs 12 bytes"),
    ],
)
def test_malformed_images_raise_readable_errors(encoding, step, size, message) -> None:
    with pytest.raises(ValueError, match=message):
        image_to_array(_image(encoding, 2, 2, step, bytes(size)))


def test_array_to_image_checks_dtype_and_channels() -> None:
    with pytest.raises(ValueError, match="needs dtype"):
        array_to_image_buffer(np.zeros((2, 2, 3), np.float32), "rgb8")
    with pytest.raises(ValueError, match="needs shape"):
        array_to_image_buffer(np.zeros((2, 2), np.uint8), "rgb8")
