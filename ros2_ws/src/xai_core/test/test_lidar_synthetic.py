"""Synthetic LiDAR generator: point counts, surfaces, labels, determinism, KITTI round trip."""

from __future__ import annotations

import numpy as np

from xai_core.lidar.kitti import KittiDataset, read_velodyne
from xai_core.lidar.metrics import in_box_mask
from xai_core.lidar.synthetic import (
    GROUND_ID,
    LidarSpec,
    Primitive,
    Scene,
    cast_rays,
    synthetic_scan,
    write_kitti_split,
)


def test_point_count_and_ranges():
    for seed in range(3):
        scan = synthetic_scan(seed)
        assert 15_000 <= len(scan.points) <= 30_000
        assert scan.points.dtype == np.float32 and scan.points.shape[1] == 4
        r = np.linalg.norm(scan.points[:, :3], axis=1)
        assert r.max() <= LidarSpec().max_range + 0.2
        assert np.all((scan.points[:, 3] >= 0) & (scan.points[:, 3] <= 1))
        assert np.all(scan.points[:, 0] > -1.0)  # 180 degree field of view ahead


def test_deterministic_per_seed():
    a, b, c = synthetic_scan(7), synthetic_scan(7), synthetic_scan(8)
    np.testing.assert_array_equal(a.points, b.points)
    assert a.names == b.names
    assert len(a.points) != len(c.points) or not np.array_equal(a.points, c.points)


def test_points_lie_on_surfaces():
    spec = LidarSpec()
    scan = synthetic_scan(3, spec)
    ground = scan.hit_ids == GROUND_ID
    assert ground.mean() > 0.3
    np.testing.assert_allclose(scan.points[ground, 2], -spec.sensor_height, atol=0.15)
    for box, obj in zip(scan.boxes, scan.object_ids, strict=True):
        on = scan.hit_ids == obj
        assert in_box_mask(scan.points[on], box, margin=0.12).all()
        # on the surface: within a few cm of one face of the box (or the cylinder's side/top)
        inner = in_box_mask(scan.points[on], box, margin=-0.2)
        assert inner.mean() < 0.5


def test_labels_match_generated_objects():
    scan = synthetic_scan(5, min_points=10)
    assert len(scan.names) == len(scan.boxes) > 0
    assert set(scan.names) <= {"Car", "Pedestrian", "Cyclist"}
    assert np.all(scan.point_counts >= 10)
    counts = np.bincount(scan.hit_ids[scan.hit_ids >= 0], minlength=len(scan.scene.primitives))
    for k, prim in enumerate(scan.scene.primitives):
        if prim.label is not None and counts[k] >= 10:
            assert k in scan.object_ids
    for name, box in zip(scan.names, scan.boxes, strict=True):
        if name == "Car":
            assert 3.0 < box[3] < 5.5 and 1.3 < box[4] < 2.3
        # standing on the ground
        assert abs(box[2] - box[5] / 2 + LidarSpec().sensor_height) < 1e-4


def test_ray_box_and_cylinder_hits():
    scene = Scene(
        [Primitive("box", np.array([10.0, 0, 0, 2, 2, 2, 0.0]), "Car", "Car"),
         Primitive("cylinder", np.array([5.0, 5.0, 0, 0.5, 0, 2, 0]), "pole")],
        ground_height=1.73,
    )  # fmt: skip
    d = np.array([[1.0, 0, 0], [0.0, 1, 0], [1 / np.sqrt(2), 1 / np.sqrt(2), 0], [0, 0, -1.0]])
    ranges, ids = cast_rays(np.zeros(3), d, scene, 80.0)
    np.testing.assert_allclose(ranges[[0, 2, 3]], [9.0, np.hypot(5, 5) - 0.5, 1.73])
    assert list(ids) == [0, -2, 1, GROUND_ID] and np.isinf(ranges[1])


def test_kitti_split_round_trip(tmp_path):
    split = write_kitti_split(tmp_path, 4, seed=1)
    assert split == {"train": ["000000", "000001", "000002"], "val": ["000003"]}
    ds = KittiDataset(tmp_path, "train")
    sample = ds[1]
    scan = synthetic_scan(1 * 1_000_003 + 1)
    np.testing.assert_array_equal(sample.points, scan.points)
    np.testing.assert_array_equal(
        read_velodyne(tmp_path / "training" / "velodyne" / "000001.bin"), scan.points
    )
    assert sample.names == scan.names
    d = np.abs(sample.boxes_lidar - scan.boxes)
    d[:, 6] = np.abs((d[:, 6] + np.pi) % (2 * np.pi) - np.pi)
    assert d.max() < 1e-4
