"""Software point-cloud snapshots (xai_core.cloud_render)."""

from __future__ import annotations

import numpy as np
import pytest

from xai_core.attention_cloud import AttentionCloudProjector
from xai_core.cloud_render import look_at, render_cloud_snapshot
from xai_core.pointcloud2 import unpack_rgb

# Virtual camera at the optical-frame origin looking along +z, "up" = -y (optical frame).
VIEW = {"eye": (0.0, 0.0, 0.0), "target": (0.0, 0.0, 1.0), "up": (0.0, -1.0, 0.0)}
RED, BLUE = (255, 0, 0), (0, 0, 255)


def _render(xyz, rgb, **kwargs) -> np.ndarray:
    args = {"width": 65, "height": 49, "point_px": 1, **VIEW} | kwargs
    return render_cloud_snapshot(np.array(xyz, float), np.array(rgb, np.uint8), **args)


def _painted(image: np.ndarray) -> np.ndarray:
    return np.argwhere(image.any(axis=-1))


def test_look_at_gives_optical_axes() -> None:
    rotation, eye = look_at(**VIEW)
    np.testing.assert_allclose(rotation, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert eye.tolist() == [0.0, 0.0, 0.0]


def test_point_on_the_axis_lands_in_the_centre() -> None:
    image = _render([[0.0, 0.0, 2.0]], [RED])
    assert image.shape == (49, 65, 3) and image.dtype == np.uint8
    assert _painted(image).tolist() == [[24, 32]]
    assert tuple(image[24, 32]) == RED


def test_right_and_up_appear_right_and_up() -> None:
    image = _render([[1.0, -0.5, 3.0]], [RED])  # right of and above the axis
    (row, col), *_ = _painted(image)
    assert col > 32 and row < 24


def test_nearer_point_occludes_farther_one_in_any_order() -> None:
    near, far = [0.0, 0.0, 1.0], [0.0, 0.0, 3.0]
    for xyz, rgb in [([near, far], [RED, BLUE]), ([far, near], [BLUE, RED])]:
        image = _render(xyz, rgb, point_px=3)
        assert tuple(image[24, 32]) == RED


def test_points_behind_the_camera_are_culled_and_background_kept() -> None:
    image = _render([[0.0, 0.0, -2.0], [0.0, 0.0, 0.01]], [RED, RED], background=(9, 9, 9))
    assert (image == 9).all()


def test_point_size_in_pixels() -> None:
    image = _render([[0.0, 0.0, 2.0]], [RED], point_px=3)
    assert len(_painted(image)) == 9


def test_attention_cloud_seen_from_behind() -> None:
    depth = np.full((48, 64), 2.0, np.float32)
    k = np.array([[60.0, 0.0, 31.5], [0.0, 60.0, 23.5], [0.0, 0.0, 1.0]])
    points = AttentionCloudProjector().project(depth, k, np.eye(4, dtype=np.float32))
    xyz = np.stack([points["x"], points["y"], points["z"]], axis=-1)
    image = render_cloud_snapshot(
        xyz, unpack_rgb(points["rgb"]), eye=(0.0, -1.0, -2.0), target=(0.0, 0.0, 2.0),
        up=(0.0, -1.0, 0.0), width=160, height=120,
    )  # fmt: skip
    assert 0.05 < image.any(axis=-1).mean() < 0.9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rgb": np.zeros((2, 3), np.uint8)}, "rgb must be uint8 of shape"),
        ({"xyz": np.zeros((1, 2))}, r"xyz must have shape \(N, 3\)"),
        ({"target": (0.0, 0.0, 0.0)}, "must differ"),
        ({"up": (0.0, 0.0, 1.0)}, "must not be parallel"),
        ({"fov_deg": 180.0}, "fov_deg"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"xyz": np.zeros((1, 3)), "rgb": np.zeros((1, 3), np.uint8), **VIEW} | kwargs
    with pytest.raises(ValueError, match=message):
        render_cloud_snapshot(args.pop("xyz"), args.pop("rgb"), **args)
