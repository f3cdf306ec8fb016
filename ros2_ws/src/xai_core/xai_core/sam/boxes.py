"""Box prompts: bounding rectangles of masks, random and fixed size shifts, the change rate.

Boxes are ``float32`` XYXY in image pixels, ``x`` right and ``y`` down, half-open: a mask whose
pixels span columns ``c0..c1`` and rows ``r0..r1`` has the box ``[c0, r0, c1 + 1, r1 + 1]``
(its width is the pixel count across).
"""

from __future__ import annotations

import numpy as np

# Issue #9 training schedule: (relative size change, probability); the sign is drawn per side.
TRAIN_SHIFTS: tuple[tuple[float, float], ...] = ((0.0, 0.6), (0.1, 0.2), (0.2, 0.2))


def mask_to_box(mask: np.ndarray) -> np.ndarray | None:
    """``(4,)`` float32 bounding rectangle of a boolean ``(H, W)`` mask, None when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], dtype=np.float32)


def boxes_from_instances(instances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding rectangles of every instance of an ``(H, W)`` integer id map (0 = background).

    Returns:
        ``(ids (K,) int32, boxes (K, 4) float32)`` in increasing id order (ids may have gaps).

    Raises:
        ValueError: not a 2-D integer map, or a negative id.
    """
    instances = np.asarray(instances)
    if instances.ndim != 2 or instances.dtype.kind not in "iub":
        raise ValueError(
            f"instances must be an (H, W) integer map, got {instances.dtype} {instances.shape}"
        )
    ys, xs = np.nonzero(instances)
    if len(ys) == 0:
        return np.zeros(0, np.int32), np.zeros((0, 4), np.float32)
    ids = instances[ys, xs].astype(np.int64)
    if ids.min() < 0:
        raise ValueError(f"instance ids must be >= 0, found {int(ids.min())}")
    order = np.argsort(ids, kind="stable")
    ids, ys, xs = ids[order], ys[order], xs[order]
    present, first = np.unique(ids, return_index=True)
    boxes = np.stack(
        [
            np.minimum.reduceat(xs, first),
            np.minimum.reduceat(ys, first),
            np.maximum.reduceat(xs, first) + 1,
            np.maximum.reduceat(ys, first) + 1,
        ],
        axis=1,
    )
    return present.astype(np.int32), boxes.astype(np.float32)


def resize_boxes(boxes: np.ndarray, scale_w: np.ndarray | float, scale_h: np.ndarray | float):
    """Scale ``(N, 4)`` boxes about their centres: width ``*(1 + scale_w)``, height likewise.

    ``scale_*`` are relative changes (0.4 = 40 % bigger, -0.4 = 40 % smaller), scalars or
    ``(N,)``. Returns float32 ``(N, 4)``; sides never shrink below 1 pixel.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    w = np.maximum((boxes[:, 2] - boxes[:, 0]) * (1 + np.asarray(scale_w, np.float32)), 1.0)
    h = np.maximum((boxes[:, 3] - boxes[:, 1]) * (1 + np.asarray(scale_h, np.float32)), 1.0)
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)


def random_shift_boxes(
    boxes: np.ndarray,
    rng: np.random.Generator,
    schedule: tuple[tuple[float, float], ...] = TRAIN_SHIFTS,
) -> np.ndarray:
    """The training-time prompt resize of issue #9, per box.

    Each box draws a magnitude from ``schedule`` (default: 0 % with p 0.6, 10 % with p 0.2,
    20 % with p 0.2) and an independent sign for its width and its height.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    sizes = np.array([s for s, _ in schedule], dtype=np.float32)
    probs = np.array([p for _, p in schedule], dtype=np.float64)
    magnitude = sizes[rng.choice(len(sizes), size=len(boxes), p=probs / probs.sum())]
    signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=(len(boxes), 2))
    return resize_boxes(boxes, magnitude * signs[:, 0], magnitude * signs[:, 1])


def clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(N, 4)`` boxes clipped to the image ``[0, width] x [0, height]`` (float32)."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    return boxes


def change_rate(previous: np.ndarray, current: np.ndarray, box: np.ndarray) -> float:
    """Issue #9's stopping criterion: ``sum |M_t - M_t-1| / (H_b * W_b)``.

    Args:
        previous, current: boolean ``(H, W)`` masks of two consecutive iterations.
        box: the ``(4,)`` XYXY box prompt of the current iteration (its area normalises).
    """
    area = max(float((box[2] - box[0]) * (box[3] - box[1])), 1.0)
    return float(np.count_nonzero(previous != current)) / area


def mask_iou(pred: np.ndarray, target: np.ndarray) -> float:
    """IoU of two boolean masks (1.0 when both are empty)."""
    union = np.count_nonzero(pred | target)
    return 1.0 if union == 0 else float(np.count_nonzero(pred & target)) / union
