"""Rotated IoU, AP and point-in-box masks."""

from __future__ import annotations

import numpy as np
import pytest

from xai_core.lidar.metrics import (
    FrameResult,
    average_precision,
    clip_polygon,
    in_box_mask,
    in_boxes_mask,
    iou_3d,
    iou_bev,
    polygon_area,
)

CAR = np.array([10.0, 2.0, -1.0, 4.0, 1.8, 1.5, 0.4])


def test_identical_and_disjoint():
    assert iou_bev(CAR, CAR)[0, 0] == pytest.approx(1.0)
    assert iou_3d(CAR, CAR)[0, 0] == pytest.approx(1.0)
    far = CAR.copy()
    far[0] += 10
    assert iou_bev(CAR, far)[0, 0] == 0.0
    above = CAR.copy()
    above[2] += 2.0  # same footprint, no vertical overlap
    assert iou_bev(CAR, above)[0, 0] == pytest.approx(1.0)
    assert iou_3d(CAR, above)[0, 0] == 0.0


def test_rotated_square_known_value():
    # unit square vs the same square rotated 45 deg: intersection = regular octagon
    # of area 2 (sqrt 2 - 1) ~ 0.8284, IoU = 0.8284 / (2 - 0.8284)
    a = np.array([0, 0, 0, 1, 1, 1, 0.0])
    b = np.array([0, 0, 0, 1, 1, 1, np.pi / 4])
    inter = 2 * (np.sqrt(2) - 1)
    assert iou_bev(a, b)[0, 0] == pytest.approx(inter / (2 - inter), rel=1e-9)
    # a 2 x 1 rectangle and the same rotated 90 deg: a 1 x 1 overlap, IoU = 1 / 3
    r = np.array([0, 0, 0, 2, 1, 1, 0.0])
    r90 = np.array([0, 0, 0, 2, 1, 1, np.pi / 2])
    assert iou_bev(r, r90)[0, 0] == pytest.approx(1 / 3)
    assert iou_3d(r, r90)[0, 0] == pytest.approx(1 / 3)
    # half overlap in z
    r_up = np.array([0, 0, 0.5, 2, 1, 1, 0.0])
    assert iou_3d(r, r_up)[0, 0] == pytest.approx(1 / 3)


def test_clip_and_area():
    sq = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    shifted = sq + 0.5
    assert polygon_area(clip_polygon(sq, shifted)) == pytest.approx(0.25)
    assert polygon_area(clip_polygon(sq, sq + 5)) == 0.0


def test_iou_matrix_shape_and_symmetry():
    rng = np.random.default_rng(0)
    boxes = np.column_stack([rng.uniform(0, 5, (6, 3)), rng.uniform(1, 3, (6, 3)),
                             rng.uniform(-3, 3, 6)])  # fmt: skip
    m = iou_bev(boxes, boxes)
    assert m.shape == (6, 6)
    np.testing.assert_allclose(m, m.T, atol=1e-9)
    np.testing.assert_allclose(np.diag(m), 1.0)
    assert np.all((m >= 0) & (m <= 1 + 1e-9))


def test_ap_perfect_and_empty():
    gts = [np.array([CAR, CAR + np.array([0, 5, 0, 0, 0, 0, 0])]), np.array([CAR])]
    perfect = [FrameResult(g, np.linspace(0.9, 0.5, len(g)), ["Car"] * len(g), g,
                           ["Car"] * len(g)) for g in gts]  # fmt: skip
    empty = [FrameResult(np.zeros((0, 7)), np.zeros(0), [], g, ["Car"] * len(g)) for g in gts]
    for points in (11, 40):
        assert average_precision(perfect, "Car", points=points) == pytest.approx(1.0)
        assert average_precision(empty, "Car", points=points) == 0.0
    assert np.isnan(average_precision(perfect, "Pedestrian"))


def test_ap_half_recall_and_false_positives():
    g = np.array([CAR, CAR + np.array([0, 5, 0, 0, 0, 0, 0])])
    shifted = CAR + np.array([0.0, 20, 0, 0, 0, 0, 0])  # a false positive with the top score
    frame = FrameResult(np.array([shifted, CAR]), np.array([0.9, 0.8]), ["Car", "Car"], g,
                        ["Car", "Car"])  # fmt: skip
    # recall reaches 0.5 at precision 0.5: R11 = 6 levels (0..0.5) x 0.5 / 11
    assert average_precision([frame], "Car", points=11) == pytest.approx(6 * 0.5 / 11)
    assert average_precision([frame], "Car", points=40) == pytest.approx(20 * 0.5 / 40)
    # a Car box that overlaps 0.6 passes at IoU 0.5, fails KITTI's 0.7
    near = CAR + np.array([np.cos(0.4), np.sin(0.4), 0, 0, 0, 0, 0])  # 1 m along the heading: 3 / 5
    f2 = FrameResult(near[None], np.array([0.9]), ["Car"], CAR[None], ["Car"])
    assert average_precision([f2], "Car", metric="bev") == 0.0
    assert average_precision([f2], "Car", iou_threshold=0.5, metric="bev") == pytest.approx(1.0)


def test_in_box_mask():
    box = np.array([1.0, 2.0, 0.0, 4.0, 2.0, 1.0, np.pi / 2])  # long axis along y
    pts = np.array([[1.0, 2.0, 0.0], [1.0, 3.9, 0.4], [2.9, 2.0, 0.0], [1.5, 2.0, 0.0],
                    [1.0, 2.0, 0.6], [1.0, 4.0, 0.0]])  # fmt: skip
    np.testing.assert_array_equal(in_box_mask(pts, box), [True, True, False, True, False, True])
    m = in_boxes_mask(np.hstack([pts, np.ones((6, 1))]), np.stack([box, box + 100]))
    assert m.shape == (6, 2) and not m[:, 1].any()
