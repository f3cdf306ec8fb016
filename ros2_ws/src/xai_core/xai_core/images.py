"""sensor_msgs/Image <-> numpy, without rclpy.

Duck-typed over the message like :mod:`xai_core.pointcloud2`: anything with ``height``,
``width``, ``encoding``, ``is_bigendian``, ``step`` and ``data`` works. Row padding
(``step > width * bytes_per_pixel``) and byte order are honoured; the returned array is a
read-only view of the message buffer when no conversion is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# encoding -> (numpy scalar code without byte order, channels)
ENCODINGS: dict[str, tuple[str, int]] = {
    "rgb8": ("u1", 3),
    "bgr8": ("u1", 3),
    "rgba8": ("u1", 4),
    "bgra8": ("u1", 4),
    "mono8": ("u1", 1),
    "8UC1": ("u1", 1),
    "8UC3": ("u1", 3),
    "mono16": ("u2", 1),
    "16UC1": ("u2", 1),
    "32FC1": ("f4", 1),
}


@dataclass(frozen=True)
class ImageBuffer:
    """Everything a ``sensor_msgs/Image`` needs except the header."""

    height: int
    width: int
    encoding: str
    is_bigendian: bool
    step: int
    data: bytes


def image_to_array(msg: Any) -> np.ndarray:
    """View an Image message as ``(H, W)`` (one channel) or ``(H, W, C)`` array.

    Raises:
        ValueError: unsupported encoding, or ``step`` / ``data`` sizes that do not match.
    """
    encoding = str(msg.encoding)
    if encoding not in ENCODINGS:
        raise ValueError(
            f"unsupported image encoding '{encoding}'; supported: {', '.join(ENCODINGS)}"
        )
    code, channels = ENCODINGS[encoding]
    height, width, step = int(msg.height), int(msg.width), int(msg.step)
    dtype = np.dtype((">" if msg.is_bigendian else "<") + code)
    row_bytes = width * channels * dtype.itemsize
    if height <= 0 or width <= 0:
        raise ValueError(f"image has no pixels ({width}x{height})")
    if step < row_bytes:
        raise ValueError(f"step {step} is smaller than width * pixel size = {row_bytes}")
    buffer = memoryview(msg.data).cast("B")
    if len(buffer) < height * step:
        raise ValueError(
            f"{encoding} image {width}x{height} with step {step} needs {height * step} bytes, "
            f"data has {len(buffer)}"
        )
    raw = np.frombuffer(buffer, dtype=np.uint8, count=height * step).reshape(height, step)
    pixels = raw[:, :row_bytes].view(dtype)
    if not dtype.isnative:
        pixels = pixels.astype(dtype.newbyteorder("="))
    shape = (height, width) if channels == 1 else (height, width, channels)
    return pixels.reshape(shape)


def array_to_image_buffer(pixels: np.ndarray, encoding: str) -> ImageBuffer:
    """Pack an ``(H, W)`` or ``(H, W, C)`` array as an Image of ``encoding`` (no row padding).

    Raises:
        ValueError: the array's dtype or channel count does not match ``encoding``.
    """
    if encoding not in ENCODINGS:
        raise ValueError(
            f"unsupported image encoding '{encoding}'; supported: {', '.join(ENCODINGS)}"
        )
    code, channels = ENCODINGS[encoding]
    expected_ndim = 2 if channels == 1 else 3
    if pixels.ndim != expected_ndim or (channels > 1 and pixels.shape[2] != channels):
        raise ValueError(
            f"{encoding} needs shape {'(H, W)' if channels == 1 else f'(H, W, {channels})'}, "
            f"got {pixels.shape}"
        )
    if pixels.dtype.kind + str(pixels.dtype.itemsize) != code:
        raise ValueError(f"{encoding} needs dtype {np.dtype(code)}, got {pixels.dtype}")
    height, width = pixels.shape[:2]
    little = np.ascontiguousarray(pixels, dtype=np.dtype("<" + code))
    return ImageBuffer(
        height=int(height),
        width=int(width),
        encoding=encoding,
        is_bigendian=False,
        step=int(width * channels * little.dtype.itemsize),
        data=little.tobytes(),
    )


def to_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """``(H, W)`` or ``(H, W, 1|3)`` uint8 -> ``(H, W, 3)`` uint8.

    Raises:
        ValueError: not a numpy uint8 image with pixels and 1 or 3 channels.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy uint8 image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image (0..255), got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W) or (H, W, 3) image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image has no pixels ({image.shape[1]}x{image.shape[0]})")
    return image
