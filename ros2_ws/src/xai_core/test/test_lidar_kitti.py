"""KITTI I/O: round trips, frame conversions, dataset and error messages."""

from __future__ import annotations

import numpy as np
import pytest

from xai_core.lidar.kitti import (
    Calibration,
    KittiDataset,
    KittiFormatError,
    KittiObject,
    boxes_camera_to_lidar,
    boxes_lidar_to_camera,
    lidar_box_to_object,
    objects_to_lidar_boxes,
    read_calib,
    read_imageset,
    read_label,
    read_velodyne,
    write_calib,
    write_imageset,
    write_label,
    write_velodyne,
)

# A real KITTI calibration (training/calib/000000.txt).
KITTI_CALIB = """P0: 7.070493e+02 0.000000e+00 6.040814e+02 0.000000e+00 0.000000e+00 7.070493e+02 1.805066e+02 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00
P1: 7.070493e+02 0.000000e+00 6.040814e+02 -3.797842e+02 0.000000e+00 7.070493e+02 1.805066e+02 0.000000e+00 0.000000e+00 0.000000e+00 1.000000e+00 0.000000e+00
P2: 7.070493e+02 0.000000e+00 6.040814e+02 4.575831e+01 0.000000e+00 7.070493e+02 1.805066e+02 -3.454157e-01 0.000000e+00 0.000000e+00 1.000000e+00 4.981016e-03
P3: 7.070493e+02 0.000000e+00 6.040814e+02 -3.341081e+02 0.000000e+00 7.070493e+02 1.805066e+02 2.330660e+00 0.000000e+00 0.000000e+00 1.000000e+00 3.201153e-03
R0_rect: 9.999128e-01 1.009263e-02 -8.511932e-03 -1.012729e-02 9.999406e-01 -4.037671e-03 8.470675e-03 4.123522e-03 9.999556e-01
Tr_velo_to_cam: 6.927964e-03 -9.999722e-01 -2.757829e-03 -2.457729e-02 -1.162982e-03 2.749836e-03 -9.999955e-01 -6.127237e-02 9.999753e-01 6.931141e-03 -1.143899e-03 -3.321029e-01
Tr_imu_to_velo: 9.999976e-01 7.553071e-04 -2.035826e-03 -8.086759e-01 -7.854027e-04 9.998898e-01 -1.482298e-02 3.195559e-01 2.024406e-03 1.482454e-02 9.998881e-01 -7.997231e-01
"""  # noqa: E501

LABEL = "Pedestrian 0.00 0 -0.20 712.40 143.00 810.73 307.92 1.89 0.48 1.20 1.84 1.47 8.41 0.01\n"


def test_velodyne_round_trip_and_errors(tmp_path):
    pts = np.random.default_rng(0).normal(size=(100, 4)).astype(np.float32)
    path = write_velodyne(tmp_path / "velodyne" / "000000.bin", pts)
    np.testing.assert_array_equal(read_velodyne(path), pts)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\0" * 18)
    with pytest.raises(KittiFormatError, match=r"bad\.bin.*multiple of 16"):
        read_velodyne(bad)
    with pytest.raises(KittiFormatError, match="does not exist"):
        read_velodyne(tmp_path / "missing.bin")
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        write_velodyne(tmp_path / "x.bin", pts[:, :3])


def test_calib_read_write_round_trip(tmp_path):
    (tmp_path / "c.txt").write_text(KITTI_CALIB)
    calib = read_calib(tmp_path / "c.txt")
    assert calib.P.shape == (4, 3, 4) and calib.R0_rect.shape == (3, 3)
    assert calib.P[2, 0, 3] == pytest.approx(45.75831)
    write_calib(tmp_path / "d.txt", calib)
    again = read_calib(tmp_path / "d.txt")
    for name in ("P", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"):
        np.testing.assert_allclose(getattr(again, name), getattr(calib, name))


def test_calib_errors_name_file_and_line(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(KITTI_CALIB.replace("R0_rect: 9.999128e-01 ", "R0_rect: "))
    with pytest.raises(KittiFormatError, match=r"c\.txt:5: R0_rect needs 9 values, got 8"):
        read_calib(path)
    path.write_text("P0: 1 2 x\n")
    with pytest.raises(KittiFormatError, match=r"c\.txt:1: non-numeric"):
        read_calib(path)
    path.write_text(KITTI_CALIB.splitlines()[0] + "\n")
    with pytest.raises(KittiFormatError, match="missing calibration keys"):
        read_calib(path)


def test_label_round_trip_and_errors(tmp_path):
    path = tmp_path / "000000.txt"
    path.write_text(LABEL + "DontCare -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n")
    objs = read_label(path)
    assert [o.type for o in objs] == ["Pedestrian", "DontCare"]
    assert objs[0].dimensions == (1.89, 0.48, 1.20) and objs[0].location == (1.84, 1.47, 8.41)
    scored = [*objs, KittiObject("Car", 0, 1, 0.1, (1, 2, 3, 4), (1.5, 1.6, 3.9), (1, 2, 3), 0.2,
                                 0.75)]  # fmt: skip
    write_label(tmp_path / "out.txt", scored)
    again = read_label(tmp_path / "out.txt")
    assert again[2].score == pytest.approx(0.75) and again[0].score is None
    assert again[0].location == pytest.approx(objs[0].location)
    path.write_text(LABEL + "Car 0 0 0 1 2\n")
    with pytest.raises(KittiFormatError, match=r"000000\.txt:2: expected 15 or 16 fields, got 6"):
        read_label(path)
    path.write_text(LABEL.replace("8.41", "eight"))
    with pytest.raises(KittiFormatError, match=r"000000\.txt:1: non-numeric"):
        read_label(path)


def test_box_conversion_with_real_calib(tmp_path):
    (tmp_path / "c.txt").write_text(KITTI_CALIB)
    calib = read_calib(tmp_path / "c.txt")
    obj = read_label_text(tmp_path, LABEL)[0]
    box = objects_to_lidar_boxes([obj], calib)[0]
    # the pedestrian is ~8.4 m ahead, ~1.8 m to the right, its centre about h/2 above its feet
    assert box[0] == pytest.approx(8.41 + 0.27, abs=0.1) and box[1] == pytest.approx(-1.85, abs=0.1)
    np.testing.assert_allclose(box[3:6], [1.20, 0.48, 1.89])
    assert box[6] == pytest.approx(-(0.01 + np.pi / 2))
    cam = boxes_lidar_to_camera(box[None], calib)[0]
    np.testing.assert_allclose(cam, [1.84, 1.47, 8.41, 1.89, 0.48, 1.20, 0.01], atol=1e-9)


def read_label_text(tmp_path, text):
    (tmp_path / "l.txt").write_text(text)
    return read_label(tmp_path / "l.txt")


def test_conversion_round_trip_default_calib():
    calib = Calibration.default()
    rng = np.random.default_rng(1)
    boxes = np.column_stack([rng.uniform(1, 40, 20), rng.uniform(-20, 20, 20),
                             rng.uniform(-2, 0, 20), rng.uniform(0.5, 5, (20, 3)),
                             rng.uniform(-np.pi, np.pi - 1e-6, 20)])  # fmt: skip
    back = boxes_camera_to_lidar(boxes_lidar_to_camera(boxes, calib), calib)
    np.testing.assert_allclose(back, boxes, atol=1e-9)
    obj = lidar_box_to_object(boxes[0], "Car", calib)
    assert obj.bbox[2] > obj.bbox[0] and obj.bbox[3] > obj.bbox[1]


def test_dataset_reads_a_tiny_tree(tmp_path):
    d = tmp_path / "training"
    calib = Calibration.default()
    boxes = np.array([[10.0, 2.0, -0.9, 4.0, 1.7, 1.5, 0.3]])
    for frame in ("000000", "000001"):
        write_velodyne(d / "velodyne" / f"{frame}.bin", np.ones((5, 4), np.float32))
        write_calib(d / "calib" / f"{frame}.txt", calib)
        objs = [lidar_box_to_object(boxes[0], "Car", calib)]
        objs.append(KittiObject("DontCare", -1, -1, -10, (0, 0, 1, 1), (-1, -1, -1),
                                (-1000, -1000, -1000), -10))  # fmt: skip
        write_label(d / "label_2" / f"{frame}.txt", objs)
    write_imageset(tmp_path / "ImageSets" / "train.txt", ["000000"])
    write_imageset(tmp_path / "ImageSets" / "val.txt", ["000001"])
    assert read_imageset(tmp_path / "ImageSets" / "train.txt") == ["000000"]
    ds = KittiDataset(tmp_path, "val")
    assert len(ds) == 1
    sample = ds[0]
    assert sample.frame_id == "000001" and sample.names == ["Car"]
    assert sample.points.shape == (5, 4) and sample.boxes_lidar.dtype == np.float32
    np.testing.assert_allclose(sample.boxes_lidar, boxes, atol=1e-5)
    (tmp_path / "ImageSets" / "val.txt").write_text("000001\nabc\n")
    with pytest.raises(KittiFormatError, match=r"val\.txt:2"):
        KittiDataset(tmp_path, "val")
    with pytest.raises(KittiFormatError, match=r"test\.txt"):
        KittiDataset(tmp_path, "test")
