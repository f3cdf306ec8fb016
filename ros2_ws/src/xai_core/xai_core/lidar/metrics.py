"""Evaluation geometry for 7-DoF LiDAR boxes ``(x, y, z, l, w, h, yaw)`` (LiDAR frame, centre,
metres, yaw rad about +z): exact rotated BEV / 3D IoU (Sutherland-Hodgman clipping of the BEV
rectangles, no shapely), KITTI-style AP (11- and 40-point interpolation) and point-in-box masks
(used by the mAPB explanation metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .kitti import box_corners_lidar

KITTI_IOU_THRESHOLDS = {"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}


def bev_corners(boxes: np.ndarray) -> np.ndarray:
    """``(M, 7)`` boxes -> ``(M, 4, 2)`` BEV corners, counter-clockwise."""
    return box_corners_lidar(boxes)[:, :4, :2]


def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float((a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]))


def clip_polygon(subject: np.ndarray, clipper: np.ndarray) -> np.ndarray:
    """Sutherland-Hodgman: the part of polygon ``subject`` (K, 2) inside the convex,
    counter-clockwise polygon ``clipper`` (4, 2). Returns (K', 2), possibly empty."""
    out = [p for p in subject]
    for i in range(len(clipper)):
        a, b = clipper[i], clipper[(i + 1) % len(clipper)]
        inp, out = out, []
        if not inp:
            break
        prev = inp[-1]
        prev_in = _cross(a, b, prev) >= 0
        for cur in inp:
            cur_in = _cross(a, b, cur) >= 0
            if cur_in != prev_in:
                d1, d2 = _cross(a, b, prev), _cross(a, b, cur)
                out.append(prev + (cur - prev) * (d1 / (d1 - d2)))
            if cur_in:
                out.append(cur)
            prev, prev_in = cur, cur_in
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def polygon_area(poly: np.ndarray) -> float:
    """Shoelace area of a simple polygon (K, 2) (0 for fewer than 3 vertices)."""
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


def _intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, N) rotated BEV intersection areas (m^2)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 7)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 7)
    inter = np.zeros((len(a), len(b)))
    ca, cb = bev_corners(a), bev_corners(b)
    ra = np.hypot(a[:, 3], a[:, 4]) / 2
    rb = np.hypot(b[:, 3], b[:, 4]) / 2
    dist = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    for i, j in zip(*np.nonzero(dist < ra[:, None] + rb[None, :]), strict=True):
        inter[i, j] = polygon_area(clip_polygon(ca[i], cb[j]))
    return inter


def iou_bev(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, N) exact BEV IoU of rotated boxes ``a`` (M, 7) and ``b`` (N, 7)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 7)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 7)
    inter = _intersections(a, b)
    union = (a[:, 3] * a[:, 4])[:, None] + (b[:, 3] * b[:, 4])[None, :] - inter
    return inter / np.maximum(union, 1e-12)


def iou_3d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, N) exact 3D IoU (rotated BEV intersection x z overlap) of ``a`` (M, 7), ``b`` (N, 7)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 7)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 7)
    inter_bev = _intersections(a, b)
    top = np.minimum((a[:, 2] + a[:, 5] / 2)[:, None], (b[:, 2] + b[:, 5] / 2)[None, :])
    bottom = np.maximum((a[:, 2] - a[:, 5] / 2)[:, None], (b[:, 2] - b[:, 5] / 2)[None, :])
    inter = inter_bev * np.clip(top - bottom, 0, None)
    va, vb = np.prod(a[:, 3:6], axis=1), np.prod(b[:, 3:6], axis=1)
    return inter / np.maximum(va[:, None] + vb[None, :] - inter, 1e-12)


def in_box_mask(points: np.ndarray, box: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """(N,) bool: which points (N, >=3; x, y, z in the box's frame) lie inside the 7-DoF
    ``box`` (7,) grown by ``margin`` metres on every side (boundary counts as inside)."""
    pts = np.asarray(points, dtype=np.float64)[:, :3]
    b = np.asarray(box, dtype=np.float64).reshape(7)
    rel = pts - b[:3]
    c, s = np.cos(b[6]), np.sin(b[6])
    lx = c * rel[:, 0] + s * rel[:, 1]
    ly = -s * rel[:, 0] + c * rel[:, 1]
    half = b[3:6] / 2 + margin
    return (np.abs(lx) <= half[0]) & (np.abs(ly) <= half[1]) & (np.abs(rel[:, 2]) <= half[2])


def in_boxes_mask(points: np.ndarray, boxes: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """(N, M) bool: point n inside box m (see :func:`in_box_mask`)."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 7)
    return np.stack([in_box_mask(points, b, margin) for b in boxes], axis=1).reshape(
        len(points), len(boxes)
    )


@dataclass
class FrameResult:
    """Detections and ground truth of one frame: ``det_boxes`` (K, 7), ``det_scores`` (K,),
    ``det_names`` (K,), ``gt_boxes`` (G, 7), ``gt_names`` (G,)."""

    det_boxes: np.ndarray
    det_scores: np.ndarray
    det_names: Sequence[str]
    gt_boxes: np.ndarray
    gt_names: Sequence[str]


def interpolated_ap(recall: np.ndarray, precision: np.ndarray, points: int = 40) -> float:
    """KITTI interpolated AP: mean over recall levels r of max precision at recall >= r;
    ``points=11``: r in {0, 0.1, ..., 1}; ``points=40``: r in {1/40, ..., 1} (R40)."""
    if points == 11:
        levels = np.linspace(0, 1, 11)
    elif points == 40:
        levels = np.linspace(0, 1, 41)[1:]
    else:
        raise ValueError(f"points must be 11 or 40, got {points}")
    total = 0.0
    for r in levels:
        above = precision[recall >= r - 1e-12]
        total += float(above.max()) if len(above) else 0.0
    return total / len(levels)


def average_precision(
    frames: Sequence[FrameResult],
    cls: str,
    iou_threshold: float | None = None,
    metric: str = "3d",
    points: int = 40,
) -> float:
    """AP of class ``cls`` over ``frames`` (greedy matching by decreasing score, each ground
    truth matched once; ``metric`` ``"3d"`` or ``"bev"``; threshold defaults to KITTI's:
    Car 0.7, Pedestrian / Cyclist 0.5). NaN when there is no ground truth of ``cls``."""
    thr = KITTI_IOU_THRESHOLDS.get(cls, 0.5) if iou_threshold is None else iou_threshold
    iou_fn = iou_3d if metric == "3d" else iou_bev
    records: list[tuple[float, bool]] = []
    n_gt = 0
    for f in frames:
        gt = np.asarray(f.gt_boxes).reshape(-1, 7)[np.asarray(f.gt_names) == cls]
        sel = np.asarray(f.det_names) == cls
        det = np.asarray(f.det_boxes).reshape(-1, 7)[sel]
        sc = np.asarray(f.det_scores)[sel]
        n_gt += len(gt)
        order = np.argsort(-sc, kind="stable")
        iou = iou_fn(det[order], gt) if len(det) and len(gt) else np.zeros((len(det), len(gt)))
        used = np.zeros(len(gt), dtype=bool)
        for k, d in enumerate(order):
            ok = False
            if len(gt):
                cand = np.where(used, -1.0, iou[k])
                j = int(np.argmax(cand))
                if cand[j] >= thr:
                    used[j] = ok = True
            records.append((float(sc[d]), ok))
    if n_gt == 0:
        return float("nan")
    if not records:
        return 0.0
    records.sort(key=lambda r: -r[0])
    tp = np.cumsum([r[1] for r in records])
    fp = np.cumsum([not r[1] for r in records])
    return interpolated_ap(tp / n_gt, tp / np.maximum(tp + fp, 1), points)
