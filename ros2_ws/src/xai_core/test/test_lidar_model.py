"""PointPillars: pillarisation, shapes, anchors, box coding, NMS, loss, gradients, predictor."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from xai_core.checkpoint_io import CheckpointError
from xai_core.lidar.box_ops import decode_boxes, encode_boxes, nms_bev
from xai_core.lidar.build import LIDAR_REGISTRY, build_lidar_model, lidar_config
from xai_core.lidar.checkpoint import load_lidar_checkpoint, save_lidar_checkpoint
from xai_core.lidar.pointpillars import pillarize
from xai_core.lidar.predictor import LidarDetector
from xai_core.lidar.synthetic import synthetic_scan

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small_cfg():
    return lidar_config("pointpillars_small")


def test_decoration_of_a_hand_made_pillar(small_cfg):
    # voxel 0.32 m, x from 0, y from -23.04: the cell (ix 3, iy 72) spans x 0.96..1.28, y 0..0.32
    pts = np.array([[1.0, 0.1, -1.0, 0.5], [1.2, 0.3, 0.0, 0.1], [1.1, 0.2, 0.5, 0.3],
                    [-5.0, 0.0, 0.0, 0.2],  # behind: out of range
                    [30.0, 10.0, -1.0, 0.9]], dtype=np.float32)  # fmt: skip
    p = pillarize(pts, small_cfg)
    assert p.features.shape == (2, small_cfg.max_points_per_pillar, 9)
    assert p.coords.tolist() == [[72, 3], [int((10 + 23.04) / 0.32), int(30 / 0.32)]]
    np.testing.assert_array_equal(p.point_to_pillar, [0, 0, 0, -1, 1])
    np.testing.assert_array_equal(p.point_to_slot, [0, 1, 2, -1, 0])
    assert p.mask.sum() == 4 and p.mask[0, :3].all() and not p.mask[0, 3]
    mean = pts[:3, :3].mean(axis=0)
    centre = np.array([3.5 * 0.32, -23.04 + 72.5 * 0.32])
    expected = np.column_stack([pts[:3], pts[:3, :3] - mean, pts[:3, :2] - centre])
    np.testing.assert_allclose(p.features[0, :3], expected, atol=1e-5)
    assert not p.features[0, 3:].any()


def test_pillar_limits(small_cfg):
    cfg = lidar_config("pointpillars_small", max_points_per_pillar=2, max_pillars=1)
    pts = np.array([[1.0, 0.1, 0, 0], [1.1, 0.1, 0, 0], [1.2, 0.1, 0, 0], [20, 5, 0, 0]],
                   dtype=np.float32)  # fmt: skip
    p = pillarize(pts, cfg)
    assert p.features.shape == (1, 2, 9)  # the fullest pillar is kept
    np.testing.assert_array_equal(p.point_to_pillar, [0, 0, 0, -1])
    np.testing.assert_array_equal(p.point_to_slot, [0, 1, -1, -1])


def test_shapes_scatter_and_anchor_count(small_cfg):
    model = build_lidar_model("pointpillars_small").eval()
    scans = [synthetic_scan(0).points, synthetic_scan(1).points]
    batch = model.pillarize(scans)
    with torch.no_grad():
        out = model(batch, return_intermediates=True)
    nx, ny = small_cfg.grid_size
    assert (nx, ny) == (144, 144)
    n_anchors = (ny // 2) * (nx // 2) * 3 * 2
    assert model.anchors.shape == (n_anchors, 7)
    assert out.cls_preds.shape == (2, n_anchors, 3)
    assert out.box_preds.shape == (2, n_anchors, 7) and out.dir_preds.shape == (2, n_anchors, 2)
    p = batch.features.shape[0]
    assert out.pillar_features.shape == (p, 32)
    assert out.pseudo_image.shape == (2, 32, ny, nx)
    assert out.backbone_features.shape == (2, 192, ny // 2, nx // 2)
    # every pillar lands at its (b, iy, ix) cell; everything else is zero
    b, iy, ix = batch.coords.unbind(1)
    torch.testing.assert_close(out.pseudo_image[b, :, iy, ix], out.pillar_features)
    occupied = torch.zeros(2, ny, nx, dtype=torch.bool)
    occupied[b, iy, ix] = True
    assert not out.pseudo_image.permute(0, 2, 3, 1)[~occupied].any()
    # point -> pillar indices line up with the second scan's rows
    rows = batch.point_to_pillar[1]
    assert rows[rows >= 0].min() >= int((batch.coords[:, 0] == 0).sum())
    # anchors: class-major inside a cell, car anchors at the car bottom height + h / 2
    a = model.anchors.view(ny // 2, nx // 2, 3, 2, 7)
    assert a[0, 0, 0, 0, 2].item() == pytest.approx(-1.78 + 1.56 / 2)
    assert a[0, 1, 0, 0, 0].item() - a[0, 0, 0, 0, 0].item() == pytest.approx(0.64, abs=1e-5)


def test_kitti_config_grid():
    cfg = LIDAR_REGISTRY["pointpillars_kitti"]
    assert cfg.grid_size == (432, 496) and cfg.num_filters == (64, 128, 256)
    with pytest.raises(ValueError, match="unknown lidar model"):
        build_lidar_model("nope")
    with pytest.raises(ValueError, match="not divisible"):
        lidar_config("pointpillars_small", voxel_size=(0.3, 0.32, 4.0))


def test_encode_decode_round_trip():
    g = torch.Generator().manual_seed(0)
    anchors = torch.cat([torch.rand(50, 3, generator=g) * 20, torch.rand(50, 3, generator=g) + 1,
                         torch.rand(50, 1, generator=g) * 3], dim=1)  # fmt: skip
    boxes = torch.cat([torch.rand(50, 3, generator=g) * 20, torch.rand(50, 3, generator=g) + 0.5,
                       torch.rand(50, 1, generator=g) * 6 - 3], dim=1)  # fmt: skip
    torch.testing.assert_close(decode_boxes(encode_boxes(boxes, anchors), anchors), boxes)
    assert encode_boxes(anchors, anchors).abs().max() < 1e-6


def test_nms_removes_duplicates():
    car = torch.tensor([10.0, 0, -1, 4, 1.8, 1.5, 0.1])
    boxes = torch.stack([car, car + torch.tensor([0.2, 0.1, 0, 0, 0, 0, 0.05]),
                         car + torch.tensor([0, 8.0, 0, 0, 0, 0, 0])])  # fmt: skip
    keep = nms_bev(boxes, torch.tensor([0.6, 0.9, 0.5]), torch.zeros(3, dtype=torch.long), 0.2)
    assert keep.tolist() == [1, 2]
    # another class at the same place is kept
    keep = nms_bev(boxes, torch.tensor([0.6, 0.9, 0.5]), torch.tensor([0, 1, 0]), 0.2)
    assert sorted(keep.tolist()) == [0, 1, 2]


def _targets(scan, cfg):
    labels = torch.tensor([cfg.class_names.index(n) for n in scan.names])
    return [torch.from_numpy(scan.boxes)], [labels]


def test_overfit_one_scene_and_gradients(small_cfg):
    torch.manual_seed(0)
    model = build_lidar_model("pointpillars_small")
    scan = synthetic_scan(2)
    batch = model.pillarize(scan.points)
    boxes, labels = _targets(scan, small_cfg)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        out = model(batch)
        loss = model.loss(out, boxes, labels)
        opt.zero_grad()
        loss["loss"].backward()
        opt.step()
        losses.append(loss["loss"].item())
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:3]), losses
    # gradients of a detection's score reach the pseudo-image and the decorated points
    model.eval()
    batch.features.requires_grad_(True)
    out = model(batch, return_intermediates=True)
    det = model.post_process(out)[0]
    anchor = int(det.anchor_indices[0]) if len(det.scores) else 0
    score = out.cls_preds[0, anchor].max()
    g_img, g_pts = torch.autograd.grad(score, [out.pseudo_image, batch.features])
    assert g_img.shape == out.pseudo_image.shape and g_img.abs().sum() > 0
    assert g_pts.abs().sum() > 0


def test_checkpoint_and_predictor(tmp_path):
    model = build_lidar_model("pointpillars_small")
    path = save_lidar_checkpoint(tmp_path / "pp.pt", model, "pointpillars_small", {"epochs": 0})
    again, payload = load_lidar_checkpoint(path)
    assert payload["meta"] == {"epochs": 0} and again.config == model.config
    det = LidarDetector.from_checkpoint(path)
    dets = det.detect(synthetic_scan(0).points)
    assert isinstance(dets, list)
    for d in dets:
        assert d.cls in ("Car", "Pedestrian", "Cyclist") and d.box.shape == (7,)
    far = np.array([[-10.0, 0, 0, 0.1]], dtype=np.float32)  # nothing in range
    assert det.detect(far) == []
    with pytest.raises(ValueError, match="empty"):
        det.detect(np.zeros((0, 4), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        det.detect(np.zeros((10, 3), np.float32))
    bad = np.ones((10, 4), np.float32)
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="1 of 10 points contain NaN"):
        det.detect(bad)
    with pytest.raises(ValueError, match="2000000"):
        det.detect(np.zeros((2_000_001, 4), np.float32))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match=r"junk\.pt"):
        LidarDetector.from_checkpoint(tmp_path / "junk.pt")
