"""Per-detection visual explanations of PointPillars: ODAM, Guided Backprop, Guided ODAM and
Guided Grad-CAM, as one attention value per input point (LiDAR Guided ODAM, see
``shared/research/theses-2023.txt``).

A detection is identified by its anchor row ``a`` of the raw head outputs
(:attr:`DetectionSet.anchor_indices`) and its class ``k``. Its *outputs* are the class logit
``cls_preds[0, a, k]`` (the pre-sigmoid score: the sigmoid's saturation would flatten the
gradients of confident detections) and the 7 SECOND box residuals ``box_preds[0, a, :]``
(x, y, z, l, w, h, yaw).

* **ODAM** (per output o): ``A_o = ReLU(sum_c dY_o/dF_c * F_c)`` at every BEV cell of the
  pseudo-image ``F`` (B, C, ny, nx) (gradient-weighted feature maps, kept per location, not
  globally pooled); ``A = max_o A_o`` element-wise, divided by its maximum -> [0, 1]; every
  point gets its pillar's cell value (``point_to_pillar``), points in no pillar get 0.
* **Guided backprop**: the class logit is back-propagated to the decorated input point
  features (P, N, 9) with every ReLU passing only positive gradients at positive inputs
  (:func:`guided_relu`); the per-point value ``g_input`` is the L2 norm of its 9-dim feature
  gradient (the norm, not the positive part: the first layer is linear, so the sign of an input
  gradient says nothing about relevance), divided by its maximum. Points that were not encoded
  (out of range, pillar dropped, beyond ``max_points_per_pillar``) get 0. Note that the
  PillarFeatureNet's max-pool only passes gradient to the points that win a channel.
* **Guided ODAM**: ``(A_ODAM + g_input)^2`` per point, divided by its maximum (eq. 1).
* **Guided Grad-CAM** (comparison): Grad-CAM of the class logit on the pseudo-image
  (``w_c`` = spatial mean of dY/dF_c, ``ReLU(sum_c w_c F_c)``, normalised, given to points by
  pillar) times ``g_input``, normalised.

All maps are float32 in [0, 1]; an all-zero map stays zero (no division by zero).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import in_box_mask
from .pointpillars import PillarBatch, PointPillars, collate_pillars, pillarize

__all__ = [
    "METHODS",
    "DetectionRef",
    "GuidedReLU",
    "explain",
    "explain_all",
    "guided_relu",
    "in_box_attention_share",
]

METHODS = ("odam", "guided_backprop", "guided_odam", "guided_gradcam")


@dataclass(frozen=True)
class DetectionRef:
    """Which detection to explain: ``anchor_index`` (row of the raw head outputs) and ``label``
    (class index into ``config.class_names``)."""

    anchor_index: int
    label: int


class GuidedReLU(torch.autograd.Function):
    """ReLU whose backward passes ``grad * (x > 0) * (grad > 0)`` (guided backpropagation)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad * (x > 0).to(grad.dtype) * (grad > 0).to(grad.dtype)


@contextlib.contextmanager
def guided_relu() -> Iterator[None]:
    """Inside the block every ``torch.nn.functional.relu`` call (hence every ``nn.ReLU``
    module, whose forward calls it) is a :class:`GuidedReLU`. Not thread-safe: it swaps the
    module attribute for the duration of the block and restores it afterwards."""
    original = F.relu

    def relu(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        return GuidedReLU.apply(x)

    F.relu = relu  # type: ignore[assignment]
    try:
        yield
    finally:
        F.relu = original  # type: ignore[assignment]


def _normalise(x: np.ndarray) -> np.ndarray:
    """Divide by the maximum (non-negative input) -> float32 in [0, 1]."""
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)
    top = x.max() if x.size else 0.0
    return (x / top if top > 0 else x).astype(np.float32)


def _as_ref(detection: Any) -> DetectionRef:
    if isinstance(detection, DetectionRef):
        return detection
    if isinstance(detection, tuple | list):
        return DetectionRef(int(detection[0]), int(detection[1]))
    return DetectionRef(int(detection.anchor_index), int(detection.label))


def _targets(out: Any, ref: DetectionRef) -> list[torch.Tensor]:
    """The detection's 8 scalar outputs: class logit, then the 7 box residuals."""
    a = ref.anchor_index
    return [out.cls_preds[0, a, ref.label], *out.box_preds[0, a, :7].unbind()]


def _cells_to_points(cell_map: np.ndarray, batch: PillarBatch) -> np.ndarray:
    """(ny, nx) BEV map -> (M,) value of each input point's pillar cell (0 outside pillars)."""
    rows = batch.point_to_pillar[0]
    coords = batch.coords.cpu().numpy()
    per_pillar = cell_map[coords[:, 1], coords[:, 2]]
    values = np.zeros(len(rows), dtype=np.float64)
    values[rows >= 0] = per_pillar[rows[rows >= 0]]
    return values


def _prepare(model: PointPillars, points: np.ndarray) -> PillarBatch:
    batch = collate_pillars([pillarize(np.asarray(points, dtype=np.float32), model.config)])
    device = next(model.parameters()).device
    batch.features = batch.features.to(device).requires_grad_(True)
    batch.mask = batch.mask.to(device)
    batch.coords = batch.coords.to(device)
    return batch


def explain_all(
    model: PointPillars,
    points: np.ndarray,
    detections: Sequence[Any],
    methods: Sequence[str] = METHODS,
) -> list[dict[str, np.ndarray]]:
    """Every requested method for every detection of one scan, sharing two forward passes
    (a vanilla one for ODAM / Grad-CAM and a guided one for the input gradients).

    Args:
        model: the detector (put in eval mode here; BatchNorm uses running statistics).
        points: (M, 4) float x, y, z (LiDAR frame, m), reflectance.
        detections: :class:`DetectionRef`, ``(anchor_index, label)`` tuples, or objects with
            ``anchor_index`` / ``label`` attributes.
        methods: subset of :data:`METHODS`.

    Returns:
        Per detection ``{method: (M,) float32 in [0, 1]}``.
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    model.eval()
    refs = [_as_ref(d) for d in detections]
    n_points = len(points)
    results: list[dict[str, np.ndarray]] = [{} for _ in refs]
    need_odam = {"odam", "guided_odam"} & set(methods)
    need_cam = "guided_gradcam" in methods
    need_guided = {"guided_backprop", "guided_odam", "guided_gradcam"} & set(methods)
    if not refs:
        return results

    odam: list[np.ndarray] = []
    cam: list[np.ndarray] = []
    if need_odam or need_cam:
        batch = _prepare(model, points)
        out = model(batch, return_intermediates=True)
        feat = out.pseudo_image  # (1, C, ny, nx)
        assert feat is not None
        for ref in refs:
            targets = _targets(out, ref)
            if need_odam:
                maps = []
                for t in targets:
                    (g,) = torch.autograd.grad(t, feat, retain_graph=True)
                    maps.append(F.relu((g * feat).sum(1))[0])
                cell = torch.stack(maps).amax(0).detach().cpu().numpy()
                odam.append(_normalise(_cells_to_points(_normalise(cell), batch)))
            if need_cam:
                (g,) = torch.autograd.grad(targets[0], feat, retain_graph=True)
                weights = g.mean(dim=(2, 3), keepdim=True)
                cell = F.relu((weights * feat).sum(1))[0].detach().cpu().numpy()
                cam.append(_cells_to_points(_normalise(cell), batch))
        del out

    guided: list[np.ndarray] = []
    if need_guided:
        batch = _prepare(model, points)
        with guided_relu():
            out = model(batch)
            rows, slots = batch.point_to_pillar[0], batch.point_to_slot[0]
            ok = (rows >= 0) & (slots >= 0)
            for ref in refs:
                (g,) = torch.autograd.grad(
                    out.cls_preds[0, ref.anchor_index, ref.label], batch.features,
                    retain_graph=True,
                )  # fmt: skip
                norm = g.norm(dim=-1).detach().cpu().numpy()  # (P, N)
                per_point = np.zeros(n_points, dtype=np.float64)
                per_point[ok] = norm[rows[ok], slots[ok]]
                guided.append(_normalise(per_point))

    for i in range(len(refs)):
        r = results[i]
        if "odam" in methods:
            r["odam"] = odam[i]
        if "guided_backprop" in methods:
            r["guided_backprop"] = guided[i]
        if "guided_odam" in methods:
            r["guided_odam"] = _normalise((odam[i].astype(np.float64) + guided[i]) ** 2)
        if "guided_gradcam" in methods:
            r["guided_gradcam"] = _normalise(cam[i].astype(np.float64) * guided[i])
    return results


def explain(model: PointPillars, points: np.ndarray, detection: Any, method: str) -> np.ndarray:
    """Attention of one detection on every point of a scan.

    Args:
        points: (M, 4) float x, y, z (LiDAR frame, m), reflectance.
        detection: :class:`DetectionRef`, ``(anchor_index, label)`` or an object with those
            attributes.
        method: one of :data:`METHODS`.

    Returns:
        (M,) float32 in [0, 1].
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
    return explain_all(model, points, [detection], [method])[0][method]


def in_box_attention_share(points: np.ndarray, attention: np.ndarray, box: np.ndarray) -> float:
    """Share of the total attention that falls on points inside ``box`` (the per-detection
    value averaged into mAPB).

    Args:
        points: (M, >=3) x, y, z in the box's frame (LiDAR, m). attention: (M,) >= 0.
        box: (7,) x, y, z (centre), l, w, h, yaw.

    Returns:
        ``sum(attention[inside]) / sum(attention)`` in [0, 1]; 0.0 when the total is 0.
    """
    attention = np.asarray(attention, dtype=np.float64)
    total = float(attention.sum())
    if total <= 0:
        return 0.0
    return float(attention[in_box_mask(points, box)].sum() / total)
