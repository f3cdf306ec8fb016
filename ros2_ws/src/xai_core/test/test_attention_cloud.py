"""Depth + attention grid -> attention cloud (xai_core.attention_cloud)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from xai_core.attention import jet, upsample_grid
from xai_core.attention_cloud import (
    ATTENTION_CLOUD_DTYPE,
    JET_LUT,
    AttentionCloudProjector,
    attention_cloud_fields,
    normalize_grid,
    quantize,
    select_action_grid,
    voxel_downsample,
)
from xai_core.pointcloud2 import FLOAT32, cloud_to_array, pack_rgb, unpack_rgb

K = np.array([[50.0, 0.0, 15.5], [0.0, 40.0, 11.5], [0.0, 0.0, 1.0]])
H, W = 24, 32


def _grid(gh: int = 4, gw: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((gh, gw)).astype(np.float32) + 0.1


def _plane(z: float = 2.0) -> np.ndarray:
    return np.full((H, W), z, np.float32)


def test_plane_back_projects_with_the_pinhole_formula() -> None:
    points = AttentionCloudProjector(max_range_m=5.0).project(_plane(2.0), K, _grid())
    assert points.dtype == ATTENTION_CLOUD_DTYPE and len(points) == H * W
    for v, u in [(0, 0), (11, 15), (23, 31), (5, 20)]:
        p = points[v * W + u]  # every pixel valid: row-major pixel order
        assert p["z"] == np.float32(2.0)
        assert p["x"] == pytest.approx((u - 15.5) / 50.0 * 2.0, rel=1e-6)
        assert p["y"] == pytest.approx((v - 11.5) / 40.0 * 2.0, rel=1e-6)
    # Optical frame: right of the principal point is +x, below it +y.
    assert points[W - 1]["x"] > 0 > points[0]["x"] and points[-1]["y"] > 0 > points[0]["y"]


def test_invalid_depth_is_dropped() -> None:
    depth = _plane(2.0)
    bad = {(0, 0): 0.0, (1, 1): np.nan, (2, 2): np.inf, (3, 3): -np.inf, (4, 4): -1.0}
    bad |= {(5, 5): 0.3, (6, 6): 4.5}  # below min_range_m, above max_range_m
    for (v, u), value in bad.items():
        depth[v, u] = value
    depth[7, 7], depth[8, 8] = 0.5, 4.0  # exactly at the limits: kept
    points = AttentionCloudProjector(min_range_m=0.5, max_range_m=4.0).project(depth, K, _grid())
    assert len(points) == H * W - len(bad)
    assert np.isfinite(points["z"]).all()
    assert points["z"].min() == 0.5 and points["z"].max() == 4.0


def test_all_invalid_depth_gives_an_empty_cloud() -> None:
    projector = AttentionCloudProjector()
    points = projector.project(np.full((H, W), np.nan, np.float32), K, _grid())
    assert points.shape == (0,) and points.dtype == ATTENTION_CLOUD_DTYPE
    assert projector.project_to_buffer(np.zeros((H, W), np.float32), K, _grid()).width == 0


def test_uint16_millimetres_equal_float_metres() -> None:
    rng = np.random.default_rng(1)
    mm = rng.integers(0, 6000, (H, W), dtype=np.uint16)
    metres = (mm / 1000.0).astype(np.float32)
    projector = AttentionCloudProjector(min_range_m=0.25, max_range_m=5.0)
    from_mm = projector.project(mm, K, _grid(), encoding="16UC1")
    from_m = projector.project(metres, K, _grid(), encoding="32FC1")
    assert len(from_mm) > 0 and from_mm.tobytes() == from_m.tobytes()


def test_highest_attention_cell_is_red_and_lowest_is_blue() -> None:
    height, width = 120, 120  # 10 x 10 pixels per cell
    grid = np.full((12, 12), 0.5, np.float32)
    grid[2, 9], grid[8, 3] = 2.0, 0.0
    points = AttentionCloudProjector().project(np.full((height, width), 1.5, np.float32), K, grid)
    colours = unpack_rgb(points["rgb"]).reshape(height, width, 3).astype(int)
    attention = points["attention"].reshape(height, width)
    red, blue = colours[25, 95], colours[85, 35]  # centres of cells (2, 9) and (8, 3)
    assert red[0] > 100 and red[1] == red[2] == 0
    assert blue[2] > 100 and blue[0] == blue[1] == 0
    assert np.unravel_index(attention.argmax(), attention.shape) in {
        (r, c) for r in (24, 25) for c in (94, 95)
    }
    # "max" normalisation: the top cell is 1; bilinear like attention.upsample_grid.
    np.testing.assert_allclose(attention, upsample_grid(grid / 2.0, height, width), atol=1e-6)
    np.testing.assert_array_equal(points["rgb"], JET_LUT[quantize(points["attention"])])


def test_normalize_modes_and_nan_cells() -> None:
    grid = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_allclose(normalize_grid(grid, "max"), grid / 4.0)
    np.testing.assert_allclose(normalize_grid(grid, "minmax"), (grid - 1.0) / 3.0)
    assert not normalize_grid(np.zeros((2, 2)), "max").any()
    assert not normalize_grid(np.ones((2, 2)), "minmax").any()
    with_nan = grid.copy()
    with_nan[0, 1] = np.nan
    np.testing.assert_allclose(normalize_grid(with_nan, "minmax")[0], [0.0, 0.0])


def test_stride_keeps_every_kth_pixel() -> None:
    depth = np.random.default_rng(2).uniform(1.0, 3.0, (H, W)).astype(np.float32)
    full = AttentionCloudProjector().project(depth, K, _grid()).reshape(H, W)
    strided = AttentionCloudProjector(stride=3).project(depth, K, _grid())
    expected = full[::3, ::3].reshape(-1)
    assert len(strided) == math.ceil(H / 3) * math.ceil(W / 3)
    assert strided.tobytes() == expected.tobytes()


def test_voxel_downsample_averages_positions_and_keeps_max_attention() -> None:
    points = np.zeros(4, ATTENTION_CLOUD_DTYPE)
    points["x"] = [0.01, 0.03, 0.52, 0.08]
    points["y"] = [0.02, 0.04, 0.51, 0.02]
    points["z"] = [1.01, 1.05, 1.5, 1.03]
    points["attention"] = [0.2, 0.9, 0.4, 0.1]
    merged = voxel_downsample(points, 0.1)
    assert len(merged) == 2
    first = merged[np.argmin(merged["x"])]
    assert first["x"] == pytest.approx(0.04) and first["z"] == pytest.approx(1.03)
    assert first["attention"] == np.float32(0.9)
    assert first["rgb"] == JET_LUT[quantize(np.float32(0.9))]
    # Through the projector: a flat wall collapses to far fewer points inside its bounds.
    projector = AttentionCloudProjector(voxel_size_m=0.05)
    cloud = projector.project(_plane(2.0), K, _grid())
    assert 0 < len(cloud) < H * W
    assert np.all(np.abs(cloud["z"] - 2.0) < 1e-5)


def test_reused_output_storage_matches_a_fresh_array() -> None:
    projector = AttentionCloudProjector()
    fresh = projector.project(_plane(2.0), K, _grid())
    reused = projector.project(_plane(2.0), K, _grid(), reuse_output=True)
    assert reused.tobytes() == fresh.tobytes()
    again = projector.project(_plane(3.0), K, _grid(), reuse_output=True)
    assert np.shares_memory(reused, again) and reused["z"][0] == 3.0  # valid until next call
    assert fresh["z"][0] == 2.0


def test_fields_and_buffer_round_trip() -> None:
    fields = attention_cloud_fields()
    assert [(f.name, f.offset, f.datatype) for f in fields] == [
        (name, 4 * i, FLOAT32) for i, name in enumerate(["x", "y", "z", "rgb", "attention"])
    ]
    buffer = AttentionCloudProjector().project_to_buffer(_plane(), K, _grid())
    assert (buffer.height, buffer.width, buffer.point_step) == (1, H * W, 20) and buffer.is_dense
    msg = SimpleNamespace(**{k: getattr(buffer, k) for k in buffer.__dataclass_fields__})
    back = cloud_to_array(msg)
    assert back.tobytes() == AttentionCloudProjector().project(_plane(), K, _grid()).tobytes()


def test_select_action_grid() -> None:
    flat = np.arange(2 * 3 * 4, dtype=np.float32)
    np.testing.assert_array_equal(select_action_grid(flat, 2, 3, 4, 1), flat[12:].reshape(3, 4))
    with pytest.raises(ValueError, match=r"expected len\(action_names\) \* H \* W = 2 \* 3 \* 4"):
        select_action_grid(flat[:-1], 2, 3, 4, 0)
    with pytest.raises(ValueError, match="chosen_action 2 out of range for 2 actions"):
        select_action_grid(flat, 2, 3, 4, 2)
    with pytest.raises(ValueError, match="no attention"):
        select_action_grid([], 2, 0, 0, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"depth": np.ones((H, W, 1), np.float32)}, r"must be 2-D \(H, W\)"),
        ({"depth": np.ones((0, 0), np.float32)}, "empty"),
        ({"camera_size": (640, 480)}, "depth image is 32x24 but camera_info says 640x480"),
        ({"encoding": "rgb8"}, "unsupported depth encoding 'rgb8'"),
        ({"encoding": "16UC1"}, "16UC1 depth must be uint16"),
        ({"depth": np.ones((H, W), np.uint16)}, "32FC1 depth must be float"),
        ({"grid": np.ones(16, np.float32)}, "attention grid must be 2-D"),
        ({"grid": np.ones((H + 1, 4), np.float32)}, "attention grid must be 2-D"),
        ({"grid": np.full((4, 4), np.nan, np.float32)}, "has no finite value"),
        ({"K": np.full((3, 3), np.nan)}, "K has non-finite entries"),
        ({"K": np.zeros((3, 3))}, "zero focal length"),
        ({"K": np.eye(2)}, "K must be 3x3"),
    ],
)
def test_bad_input_raises_a_clear_value_error(kwargs: dict, message: str) -> None:
    args = {"depth": _plane(), "K": K, "grid": _grid()} | kwargs
    depth, k, grid = args.pop("depth"), args.pop("K"), args.pop("grid")
    with pytest.raises(ValueError, match=message):
        AttentionCloudProjector().project(depth, k, grid, **args)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_range_m": -1.0},
        {"max_range_m": np.inf},
        {"min_range_m": 2.0, "max_range_m": 1.0},
        {"stride": 0},
        {"voxel_size_m": -0.1},
        {"normalize": "softmax"},
    ],
)
def test_bad_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        AttentionCloudProjector(**kwargs)


def _reference_cloud(
    depth: np.ndarray,
    k: np.ndarray,
    grid: np.ndarray,
    encoding: str,
    min_range: float,
    max_range: float,
    stride: int,
) -> np.ndarray:
    """Per-pixel Python loop: the specification the vectorised code must match bit for bit."""
    height, width = depth.shape
    g = grid.astype(np.float32) / np.float32(grid.max())
    gh, gw = g.shape
    fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]

    def cell(pixel: int, n_pixels: int, n_cells: int) -> tuple[int, int, np.float32, np.float32]:
        pos = min(max((pixel + 0.5) * n_cells / n_pixels - 0.5, 0.0), n_cells - 1.0)
        i0 = math.floor(pos)
        return i0, min(i0 + 1, n_cells - 1), np.float32(1.0 - (pos - i0)), np.float32(pos - i0)

    records = []
    for v in range(0, height, stride):
        for u in range(0, width, stride):
            z = np.float32(depth[v, u])
            if encoding == "16UC1":
                z = z / np.float32(1000.0)
            if not (z > 0 and min_range <= z <= max_range):
                continue
            x = np.float32((u - cx) / fx) * z
            y = np.float32((v - cy) / fy) * z
            y0, y1, wy0, wy1 = cell(v, height, gh)
            x0, x1, wx0, wx1 = cell(u, width, gw)
            top = g[y0, x0] * wx0 + g[y0, x1] * wx1
            bottom = g[y1, x0] * wx0 + g[y1, x1] * wx1
            a = top * wy0 + bottom * wy1
            q = int(a * np.float32(255.0) + np.float32(0.5))
            rgb = pack_rgb(jet(np.float32(q) / np.float32(255.0)))
            records.append((x, y, z, rgb, a))
    return np.array(records, dtype=ATTENTION_CLOUD_DTYPE)


@pytest.mark.parametrize(("encoding", "stride"), [("32FC1", 1), ("16UC1", 1), ("32FC1", 2)])
def test_matches_a_per_pixel_python_loop_exactly(encoding: str, stride: int) -> None:
    rng = np.random.default_rng(3)
    height, width = 13, 17
    k = np.array([[21.3, 0.0, 8.2], [0.0, 19.7, 6.1], [0.0, 0.0, 1.0]])
    if encoding == "16UC1":
        depth = rng.integers(0, 5000, (height, width), dtype=np.uint16)
    else:
        depth = rng.uniform(0.0, 5.0, (height, width)).astype(np.float32)
        depth[rng.random((height, width)) < 0.1] = np.nan
    grid = rng.random((5, 6)).astype(np.float32)
    ours = AttentionCloudProjector(min_range_m=0.5, max_range_m=4.0, stride=stride).project(
        depth, k, grid, encoding=encoding
    )
    expected = _reference_cloud(depth, k, grid, encoding, 0.5, 4.0, stride)
    assert 0 < len(ours) < height * width
    assert ours.tobytes() == expected.tobytes()
