"""Torch box operations of the PointPillars detector: anchors, SECOND box coding, anchor
assignment and BEV NMS.

Boxes are 7-DoF LiDAR-frame ``(x, y, z, l, w, h, yaw)`` (centre, metres, yaw in rad about +z,
0 = length along +x).

Approximation (documented choice): anchor assignment and NMS use SECOND's *nearest-axis* BEV
IoU: each box is replaced by the axis-aligned rectangle obtained by rounding its yaw to the
nearest multiple of 90 degrees (l and w swap when that is 90 degrees), then ordinary axis-aligned
IoU is taken. It is exact for the 0 / 90 degree anchors and for boxes aligned with the axes and
is an approximation otherwise; exact rotated IoU lives in :mod:`xai_core.lidar.metrics`.
"""

from __future__ import annotations

import math

import torch
import torchvision

from .config import PointPillarsConfig


def limit_period(val: torch.Tensor, offset: float = 0.5, period: float = math.pi) -> torch.Tensor:
    """``val - floor(val / period + offset) * period``: into ``[-offset * period,
    (1 - offset) * period)``."""
    return val - torch.floor(val / period + offset) * period


def generate_anchors(config: PointPillarsConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchors of the detection head's feature map.

    Returns:
        ``(anchors (H*W*A, 7) float32, anchor_class (H*W*A,) int64)``, ordered (row y, column x,
        class, rotation) so they line up with the head outputs; ``H = ny / stride``,
        ``W = nx / stride``, ``A = classes * rotations``. Centres sit at the head cells'
        centres, z = bottom height + h / 2.
    """
    nx, ny = config.grid_size
    s = config.feature_stride
    w_cells, h_cells = nx // s, ny // s
    x0, y0, _, x1, y1, _ = config.point_cloud_range
    xs = x0 + (torch.arange(w_cells, dtype=torch.float64) + 0.5) * (x1 - x0) / w_cells
    ys = y0 + (torch.arange(h_cells, dtype=torch.float64) + 0.5) * (y1 - y0) / h_cells
    nc, nr = len(config.class_names), len(config.anchor_rotations)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    anchors = torch.zeros(h_cells, w_cells, nc, nr, 7, dtype=torch.float64)
    anchors[..., 0] = xx[:, :, None, None]
    anchors[..., 1] = yy[:, :, None, None]
    sizes = torch.tensor(config.anchor_sizes, dtype=torch.float64)  # (nc, 3)
    bottoms = torch.tensor(config.anchor_bottom_heights, dtype=torch.float64)
    anchors[..., 2] = (bottoms + sizes[:, 2] / 2)[:, None]
    anchors[..., 3:6] = sizes[:, None, :]
    anchors[..., 6] = torch.tensor(config.anchor_rotations, dtype=torch.float64)
    cls = torch.arange(nc)[:, None].expand(nc, nr)
    anchor_class = cls.expand(h_cells, w_cells, nc, nr).reshape(-1)
    return anchors.reshape(-1, 7).float(), anchor_class.clone()


def encode_boxes(boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """SECOND residuals ``(..., 7)``: ``dx/d, dy/d, dz/ha, log(l/la), log(w/wa), log(h/ha),
    yaw - yaw_a`` with ``d = sqrt(la^2 + wa^2)``."""
    xa, ya, za, la, wa, ha, ra = anchors.unbind(-1)
    xg, yg, zg, lg, wg, hg, rg = boxes.unbind(-1)
    diag = torch.sqrt(la**2 + wa**2)
    return torch.stack(
        [(xg - xa) / diag, (yg - ya) / diag, (zg - za) / ha, torch.log(lg / la),
         torch.log(wg / wa), torch.log(hg / ha), rg - ra], dim=-1,
    )  # fmt: skip


def decode_boxes(deltas: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`encode_boxes` (size residuals clamped at 10 before ``exp``)."""
    xa, ya, za, la, wa, ha, ra = anchors.unbind(-1)
    xt, yt, zt, lt, wt, ht, rt = deltas.unbind(-1)
    diag = torch.sqrt(la**2 + wa**2)
    return torch.stack(
        [xt * diag + xa, yt * diag + ya, zt * ha + za, torch.exp(lt.clamp(max=10)) * la,
         torch.exp(wt.clamp(max=10)) * wa, torch.exp(ht.clamp(max=10)) * ha, rt + ra], dim=-1,
    )  # fmt: skip


def nearest_bev_rects(boxes: torch.Tensor) -> torch.Tensor:
    """``(M, 7)`` boxes -> ``(M, 4)`` axis-aligned BEV rectangles ``(x1, y1, x2, y2)`` after
    rounding yaw to the nearest multiple of 90 degrees (see the module docstring)."""
    rot = limit_period(boxes[:, 6], 0.5, math.pi).abs()
    swap = rot > math.pi / 4
    length = torch.where(swap, boxes[:, 4], boxes[:, 3])
    width = torch.where(swap, boxes[:, 3], boxes[:, 4])
    x, y = boxes[:, 0], boxes[:, 1]
    return torch.stack([x - length / 2, y - width / 2, x + length / 2, y + width / 2], dim=1)


def nearest_bev_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(M, N)`` nearest-axis BEV IoU of boxes ``a`` (M, 7) and ``b`` (N, 7)."""
    return torchvision.ops.box_iou(nearest_bev_rects(a), nearest_bev_rects(b))


def nms_bev(
    boxes: torch.Tensor, scores: torch.Tensor, labels: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """Per-class NMS on nearest-axis BEV rectangles (``torchvision.ops.batched_nms``).

    Returns:
        ``(K,)`` int64 indices of kept boxes, by decreasing score.
    """
    return torchvision.ops.batched_nms(nearest_bev_rects(boxes), scores, labels, iou_threshold)


@torch.no_grad()
def assign_targets(
    anchors: torch.Tensor,
    anchor_class: torch.Tensor,
    gt_boxes: torch.Tensor,
    gt_labels: torch.Tensor,
    config: PointPillarsConfig,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Anchor targets of one scan (class-wise, nearest-axis BEV IoU).

    An anchor of class c is positive when its best IoU with a class-c box is
    ``>= matched_thresholds[c]`` or it is the best anchor of a box (IoU > 0); negative when
    below ``unmatched_thresholds[c]``; ignored otherwise.

    Args:
        anchors: (Na, 7). anchor_class: (Na,) int64. gt_boxes: (G, 7). gt_labels: (G,) int64
            class indices.

    Returns:
        ``(labels (Na,) int64: -1 ignore, 0 background, c + 1 class c; matched (Na, 7) the
        box assigned to each positive anchor, zeros elsewhere)``.
    """
    labels = torch.full((len(anchors),), -1, dtype=torch.int64)
    matched = torch.zeros_like(anchors)
    for c in range(len(config.class_names)):
        a_idx = torch.nonzero(anchor_class == c).squeeze(1)
        g_idx = torch.nonzero(gt_labels == c).squeeze(1)
        if len(g_idx) == 0:
            labels[a_idx] = 0
            continue
        iou = nearest_bev_iou(anchors[a_idx], gt_boxes[g_idx])  # (Nc, Gc)
        best_iou, best_gt = iou.max(dim=1)
        lab = torch.full((len(a_idx),), -1, dtype=torch.int64)
        lab[best_iou < config.unmatched_thresholds[c]] = 0
        pos = best_iou >= config.matched_thresholds[c]
        gt_best_iou, gt_best_anchor = iou.max(dim=0)
        ok = gt_best_iou > 0
        pos[gt_best_anchor[ok]] = True
        best_gt[gt_best_anchor[ok]] = torch.nonzero(ok).squeeze(1)
        lab[pos] = c + 1
        labels[a_idx] = lab
        matched[a_idx[pos]] = gt_boxes[g_idx[best_gt[pos]]]
    return labels, matched
