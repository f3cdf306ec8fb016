"""PointPillars (Lang et al., CVPR 2019) for 3D detection on LiDAR scans, built for Guided ODAM.

Pipeline (shapes for a batch of B scans, P pillars in total, N points per pillar, C channels):

1. :func:`pillarize` (numpy, per scan): points in ``point_cloud_range`` are grouped into
   vx x vy pillars and decorated to D = 9 features ``x, y, z, r, x - xm, y - ym, z - zm,
   x - xc, y - yc`` (m; ``(xm, ym, zm)`` the mean of the pillar's encoded points, ``(xc, yc)``
   the pillar's centre) -> (P, N, 9) + mask. It also returns, for every input point, its pillar
   row and slot, so per-pillar values (ODAM attention) can be given back to the points.
2. :class:`PillarFeatureNet`: Linear(9, C) + BN + ReLU per point, max over the pillar -> (P, C).
3. :class:`PointPillarsScatter`: pillars back to their cells -> BEV pseudo-image
   (B, C, ny, nx); ``pseudo_image[b, :, iy, ix]`` with ``ix = floor((x - x_min) / vx)``
   (columns: x forward), ``iy = floor((y - y_min) / vy)`` (rows: y left).
4. :class:`Backbone`: three stride-2 conv blocks, each deconvolved to the first block's stride
   and concatenated -> (B, sum(up filters), ny / s, nx / s), s = ``config.feature_stride``.
5. :class:`AnchorHead` (SSD): per anchor class logits (B, Na, classes), SECOND box residuals
   (B, Na, 7) and direction logits (B, Na, 2); Na = (ny / s) * (nx / s) * classes * rotations.

Losses: sigmoid focal loss (classes), smooth-L1 with sin-difference yaw (boxes), cross entropy
(direction), anchors assigned with nearest-axis BEV IoU (see :mod:`.box_ops`). Decoding: score
threshold, top-k, per-class BEV NMS on nearest-axis rectangles (torchvision).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .box_ops import (
    assign_targets,
    decode_boxes,
    encode_boxes,
    generate_anchors,
    limit_period,
    nms_bev,
)
from .config import PointPillarsConfig

__all__ = [
    "AnchorHead",
    "Backbone",
    "DetectionSet",
    "PillarBatch",
    "PillarFeatureNet",
    "Pillars",
    "PointPillars",
    "PointPillarsOutput",
    "PointPillarsScatter",
    "collate_pillars",
    "pillarize",
]

NUM_POINT_FEATURES = 9


# --------------------------------------------------------------------------- pillarisation


@dataclass
class Pillars:
    """Pillars of one scan (numpy).

    Attributes:
        features: (P, N, 9) float32 decorated points (zeros in unused slots).
        mask: (P, N) bool, True where a slot holds a point.
        coords: (P, 2) int64 (iy, ix) cell of each pillar.
        point_to_pillar: (M,) int64 pillar row of each input point, -1 when the point is out
            of range or its pillar was dropped (more than ``max_pillars``).
        point_to_slot: (M,) int64 slot of each input point in its pillar, -1 when not encoded
            (also for points beyond ``max_points_per_pillar``, which keep their pillar).
    """

    features: np.ndarray
    mask: np.ndarray
    coords: np.ndarray
    point_to_pillar: np.ndarray
    point_to_slot: np.ndarray


def pillarize(points: np.ndarray, config: PointPillarsConfig) -> Pillars:
    """Group a scan into pillars and decorate its points (see the module docstring).

    Args:
        points: (M, 4) float x, y, z (LiDAR frame, m), reflectance.

    Pillars are ordered by cell index ``iy * nx + ix``; when there are more than
    ``max_pillars``, the fullest are kept. Inside a pillar points keep their input order and
    the first ``max_points_per_pillar`` are encoded.
    """
    pts = np.asarray(points, dtype=np.float32)
    x0, y0, z0, x1, y1, z1 = config.point_cloud_range
    vx, vy, _ = config.voxel_size
    nx, _ = config.grid_size
    n_max = config.max_points_per_pillar
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    inside = (x >= x0) & (x < x1) & (y >= y0) & (y < y1) & (z >= z0) & (z < z1)
    idx = np.flatnonzero(inside)
    p = pts[idx]
    ix = np.clip(np.floor((p[:, 0] - x0) / vx).astype(np.int64), 0, nx - 1)
    iy = np.clip(np.floor((p[:, 1] - y0) / vy).astype(np.int64), 0, config.grid_size[1] - 1)
    cell = iy * nx + ix
    uniq, inv, counts = np.unique(cell, return_inverse=True, return_counts=True)
    row_of_uniq = np.arange(len(uniq))
    if len(uniq) > config.max_pillars:
        keep = np.sort(np.argsort(-counts, kind="stable")[: config.max_pillars])
        row_of_uniq = np.full(len(uniq), -1)
        row_of_uniq[keep] = np.arange(len(keep))
        uniq = uniq[keep]
    row = row_of_uniq[inv]
    order = np.argsort(inv, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.empty(len(p), dtype=np.int64)
    slot[order] = np.arange(len(p)) - starts[inv[order]]
    valid = (row >= 0) & (slot < n_max)
    n_pillars = len(uniq)
    features = np.zeros((n_pillars, n_max, NUM_POINT_FEATURES), dtype=np.float32)
    mask = np.zeros((n_pillars, n_max), dtype=bool)
    r, s, q = row[valid], slot[valid], p[valid]
    n_in = np.bincount(r, minlength=n_pillars).astype(np.float64)
    mean = (
        np.stack([np.bincount(r, weights=q[:, k], minlength=n_pillars) for k in range(3)], axis=1)
        / np.maximum(n_in, 1)[:, None]
    )
    features[r, s, :4] = q
    features[r, s, 4:7] = q[:, :3] - mean[r].astype(np.float32)
    features[r, s, 7] = q[:, 0] - (x0 + (ix[valid] + 0.5) * vx)
    features[r, s, 8] = q[:, 1] - (y0 + (iy[valid] + 0.5) * vy)
    mask[r, s] = True
    coords = np.stack([uniq // nx, uniq % nx], axis=1).astype(np.int64)
    point_to_pillar = np.full(len(pts), -1, dtype=np.int64)
    point_to_pillar[idx] = row
    point_to_slot = np.full(len(pts), -1, dtype=np.int64)
    point_to_slot[idx[valid]] = s
    return Pillars(features, mask, coords, point_to_pillar, point_to_slot)


@dataclass
class PillarBatch:
    """Pillars of B scans as tensors.

    Attributes:
        features: (P, N, 9) float32 (set ``requires_grad`` for input gradients).
        mask: (P, N) bool. coords: (P, 3) int64 (batch index, iy, ix).
        batch_size: B.
        point_to_pillar / point_to_slot: per scan, (M_b,) int64 rows into ``features``
            (offsets of earlier scans added; -1 kept).
    """

    features: torch.Tensor
    mask: torch.Tensor
    coords: torch.Tensor
    batch_size: int
    point_to_pillar: list[np.ndarray]
    point_to_slot: list[np.ndarray]


def collate_pillars(pillars: list[Pillars]) -> PillarBatch:
    """Stack per-scan pillars into one :class:`PillarBatch`."""
    offsets = np.cumsum([0] + [len(p.coords) for p in pillars])
    coords = np.concatenate(
        [np.column_stack([np.full(len(p.coords), b), p.coords]) for b, p in enumerate(pillars)]
    ).astype(np.int64)
    return PillarBatch(
        torch.from_numpy(np.concatenate([p.features for p in pillars])),
        torch.from_numpy(np.concatenate([p.mask for p in pillars])),
        torch.from_numpy(coords.reshape(-1, 3)),
        len(pillars),
        [np.where(p.point_to_pillar >= 0, p.point_to_pillar + o, -1)
         for p, o in zip(pillars, offsets, strict=False)],
        [p.point_to_slot for p in pillars],
    )  # fmt: skip


# --------------------------------------------------------------------------- modules


class PillarFeatureNet(nn.Module):
    """Simplified PointNet: Linear(9, C, no bias) + BN + ReLU on every encoded point, then the
    max over each pillar's points. (P, N, 9) + mask (P, N) -> (P, C)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.linear = nn.Linear(NUM_POINT_FEATURES, channels, bias=False)
        self.norm = nn.BatchNorm1d(channels, eps=1e-3, momentum=0.01)

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        rows = torch.nonzero(mask)[:, 0]  # pillar of each encoded point, (K,)
        x = F.relu(self.norm(self.linear(features[mask])))  # (K, C), padding never seen
        out = x.new_zeros(features.shape[0], x.shape[1])
        return out.scatter_reduce(0, rows[:, None].expand_as(x), x, "amax", include_self=False)


class PointPillarsScatter(nn.Module):
    """Pillar features (P, C) + coords (P, 3: b, iy, ix) -> pseudo-image (B, C, ny, nx)
    (empty cells are zero; differentiable w.r.t. the pillar features)."""

    def __init__(self, nx: int, ny: int) -> None:
        super().__init__()
        self.nx, self.ny = nx, ny

    def forward(
        self, pillar_features: torch.Tensor, coords: torch.Tensor, batch_size: int
    ) -> torch.Tensor:
        c = pillar_features.shape[1]
        flat = (coords[:, 0] * self.ny + coords[:, 1]) * self.nx + coords[:, 2]
        canvas = pillar_features.new_zeros(batch_size * self.ny * self.nx, c)
        canvas = canvas.index_copy(0, flat, pillar_features)
        return canvas.view(batch_size, self.ny, self.nx, c).permute(0, 3, 1, 2).contiguous()


def _conv_bn(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
            nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]  # fmt: skip


class Backbone(nn.Module):
    """Three blocks (a strided 3x3 conv then ``layer_nums[i]`` 3x3 convs), each upsampled by a
    transposed conv (or 1x1 conv for stride 1) and concatenated.
    (B, C, ny, nx) -> (B, sum(num_upsample_filters), ny / s, nx / s)."""

    def __init__(self, config: PointPillarsConfig) -> None:
        super().__init__()
        self.blocks = nn.ModuleList()
        self.deblocks = nn.ModuleList()
        cin = config.pillar_channels
        for n, stride, cout, up, up_c in zip(
            config.layer_nums, config.layer_strides, config.num_filters,
            config.upsample_strides, config.num_upsample_filters, strict=True,
        ):  # fmt: skip
            layers = _conv_bn(cin, cout, stride)
            for _ in range(n):
                layers += _conv_bn(cout, cout)
            self.blocks.append(nn.Sequential(*layers))
            deconv = (
                nn.ConvTranspose2d(cout, up_c, up, up, bias=False)
                if up > 1
                else nn.Conv2d(cout, up_c, 1, bias=False)
            )
            self.deblocks.append(
                nn.Sequential(deconv, nn.BatchNorm2d(up_c, eps=1e-3, momentum=0.01), nn.ReLU())
            )
            cin = cout
        self.out_channels = sum(config.num_upsample_filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ups = []
        for block, deblock in zip(self.blocks, self.deblocks, strict=True):
            x = block(x)
            ups.append(deblock(x))
        return torch.cat(ups, dim=1)


class AnchorHead(nn.Module):
    """SSD head: 1x1 convs to A x classes logits, A x 7 box residuals and A x 2 direction
    logits per cell, flattened to (B, H*W*A, K) in the anchors' order."""

    def __init__(self, in_channels: int, num_anchors: int, num_classes: int) -> None:
        super().__init__()
        self.num_anchors, self.num_classes = num_anchors, num_classes
        self.conv_cls = nn.Conv2d(in_channels, num_anchors * num_classes, 1)
        self.conv_box = nn.Conv2d(in_channels, num_anchors * 7, 1)
        self.conv_dir = nn.Conv2d(in_channels, num_anchors * 2, 1)
        nn.init.constant_(self.conv_cls.bias, -math.log((1 - 0.01) / 0.01))
        nn.init.normal_(self.conv_box.weight, std=0.001)
        nn.init.zeros_(self.conv_box.bias)

    @staticmethod
    def _flat(x: torch.Tensor, k: int) -> torch.Tensor:
        b = x.shape[0]
        return x.permute(0, 2, 3, 1).reshape(b, -1, k)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (
            self._flat(self.conv_cls(x), self.num_classes),
            self._flat(self.conv_box(x), 7),
            self._flat(self.conv_dir(x), 2),
        )


@dataclass
class PointPillarsOutput:
    """Raw outputs (Na anchors, see :attr:`PointPillars.anchors`).

    Attributes:
        cls_preds: (B, Na, classes) logits. box_preds: (B, Na, 7) SECOND residuals.
        dir_preds: (B, Na, 2) direction logits.
        pillar_features / pseudo_image / backbone_features: (P, C), (B, C, ny, nx) and
            (B, C', ny / s, nx / s), only with ``return_intermediates=True`` (None otherwise);
            they are part of the autograd graph, so ``torch.autograd.grad(score, pseudo_image)``
            gives ODAM's gradients.
    """

    cls_preds: torch.Tensor
    box_preds: torch.Tensor
    dir_preds: torch.Tensor
    pillar_features: torch.Tensor | None = None
    pseudo_image: torch.Tensor | None = None
    backbone_features: torch.Tensor | None = None


@dataclass
class DetectionSet:
    """Detections of one scan: ``boxes`` (K, 7) LiDAR frame, ``scores`` (K,), ``labels`` (K,)
    int64 class indices, ``anchor_indices`` (K,) int64 rows of the raw head outputs they came
    from (what ODAM back-propagates from)."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor
    anchor_indices: torch.Tensor


class PointPillars(nn.Module):
    """The detector. Build through :func:`xai_core.lidar.build.build_lidar_model`."""

    def __init__(self, config: PointPillarsConfig) -> None:
        super().__init__()
        self.config = config
        nx, ny = config.grid_size
        self.pfn = PillarFeatureNet(config.pillar_channels)
        self.scatter = PointPillarsScatter(nx, ny)
        self.backbone = Backbone(config)
        self.head = AnchorHead(
            self.backbone.out_channels, config.num_anchors_per_location, len(config.class_names)
        )
        anchors, anchor_class = generate_anchors(config)
        self.register_buffer("anchors", anchors, persistent=False)
        self.register_buffer("anchor_class", anchor_class, persistent=False)

    def pillarize(self, points: list[np.ndarray] | np.ndarray) -> PillarBatch:
        """Pillars of one ``(M, 4)`` scan or a list of scans, batched."""
        scans = [points] if isinstance(points, np.ndarray) else list(points)
        return collate_pillars([pillarize(p, self.config) for p in scans])

    def forward(self, batch: PillarBatch, return_intermediates: bool = False) -> PointPillarsOutput:
        """Raw head outputs for a :class:`PillarBatch`."""
        pillar_features = self.pfn(batch.features, batch.mask)
        pseudo = self.scatter(pillar_features, batch.coords, batch.batch_size)
        spatial = self.backbone(pseudo)
        cls, box, direction = self.head(spatial)
        if not return_intermediates:
            return PointPillarsOutput(cls, box, direction)
        return PointPillarsOutput(cls, box, direction, pillar_features, pseudo, spatial)

    # ----------------------------------------------------------------------- training

    def loss(
        self,
        output: PointPillarsOutput,
        gt_boxes: list[torch.Tensor],
        gt_labels: list[torch.Tensor],
    ) -> dict[str, torch.Tensor]:
        """Detection loss of a batch.

        Args:
            gt_boxes: per scan (G_b, 7) float LiDAR boxes. gt_labels: per scan (G_b,) int64
                class indices into ``config.class_names``.

        Returns:
            ``{"loss", "cls", "box", "dir"}``: scalars; each term is normalised by the number
            of positive anchors of its scan and averaged over the batch.
        """
        cfg = self.config
        b = output.cls_preds.shape[0]
        targets = [
            assign_targets(self.anchors, self.anchor_class, g.float(), lab.long(), cfg)
            for g, lab in zip(gt_boxes, gt_labels, strict=True)
        ]
        labels = torch.stack([t[0] for t in targets])  # (B, Na)
        matched = torch.stack([t[1] for t in targets])  # (B, Na, 7)
        pos = labels > 0
        norm = pos.sum(dim=1, keepdim=True).clamp(min=1).float()  # (B, 1)
        cls_w = (labels >= 0).float() / norm
        onehot = F.one_hot(labels.clamp(min=0), len(cfg.class_names) + 1)[..., 1:].float()
        logits = output.cls_preds
        p = torch.sigmoid(logits)
        ce = F.binary_cross_entropy_with_logits(logits, onehot, reduction="none")
        p_t = p * onehot + (1 - p) * (1 - onehot)
        alpha_t = cfg.focal_alpha * onehot + (1 - cfg.focal_alpha) * (1 - onehot)
        focal = alpha_t * (1 - p_t) ** cfg.focal_gamma * ce
        cls_loss = (focal.sum(-1) * cls_w).sum() / b

        anchors = self.anchors.expand(b, -1, -1)
        safe = torch.where(pos[..., None], matched, anchors)  # keeps log() finite off positives
        target = encode_boxes(safe, anchors)
        pred = output.box_preds
        # sin-difference: sin(p - t) = sin p cos t - cos p sin t, split over the two tensors
        pred_r = torch.sin(pred[..., 6:7]) * torch.cos(target[..., 6:7])
        tgt_r = torch.cos(pred[..., 6:7]) * torch.sin(target[..., 6:7])
        diff = torch.cat([pred[..., :6] - target[..., :6], pred_r - tgt_r], dim=-1)
        box_l = F.smooth_l1_loss(diff, torch.zeros_like(diff), reduction="none", beta=1 / 9)
        reg_w = pos.float() / norm
        box_loss = (box_l.sum(-1) * reg_w).sum() / b

        rot = limit_period(safe[..., 6] - cfg.dir_offset, 0.0, 2 * math.pi)
        dir_target = torch.floor(rot / math.pi).long().clamp(0, 1)
        dir_ce = F.cross_entropy(
            output.dir_preds.reshape(-1, 2), dir_target.reshape(-1), reduction="none"
        ).view(b, -1)
        dir_loss = (dir_ce * reg_w).sum() / b
        total = cfg.cls_weight * cls_loss + cfg.loc_weight * box_loss + cfg.dir_weight * dir_loss
        return {"loss": total, "cls": cls_loss, "box": box_loss, "dir": dir_loss}

    # ----------------------------------------------------------------------- inference

    def decode(self, output: PointPillarsOutput, index: int = 0) -> torch.Tensor:
        """All (Na, 7) decoded LiDAR boxes of scan ``index`` (yaw from the direction bins,
        wrapped to [-pi, pi))."""
        boxes = decode_boxes(output.box_preds[index], self.anchors)
        dir_label = output.dir_preds[index].argmax(dim=-1).to(boxes.dtype)
        off = self.config.dir_offset
        yaw = limit_period(boxes[:, 6] - off, 0.0, math.pi) + off + math.pi * dir_label
        return torch.cat([boxes[:, :6], limit_period(yaw, 0.5, 2 * math.pi)[:, None]], dim=1)

    @torch.no_grad()
    def post_process(self, output: PointPillarsOutput) -> list[DetectionSet]:
        """Scores -> threshold -> top ``nms_pre`` -> decode -> per-class BEV NMS -> top
        ``max_detections``, for every scan of the batch."""
        cfg = self.config
        results = []
        for i in range(output.cls_preds.shape[0]):
            scores, labels = torch.sigmoid(output.cls_preds[i]).max(dim=-1)
            idx = torch.nonzero(scores >= cfg.score_threshold).squeeze(1)
            if len(idx) > cfg.nms_pre:
                idx = idx[scores[idx].topk(cfg.nms_pre).indices]
            boxes = self.decode(output, i)[idx]
            keep = nms_bev(boxes, scores[idx], labels[idx], cfg.nms_iou_threshold)
            keep = keep[: cfg.max_detections]
            results.append(DetectionSet(boxes[keep], scores[idx][keep], labels[idx][keep],
                                        idx[keep]))  # fmt: skip
        return results
