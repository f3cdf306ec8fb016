"""Segmentation scores: confusion matrix, per-class IoU, mean IoU, pixel accuracy (numpy).

Convention: ``confusion[t, p]`` counts pixels of true class ``t`` predicted as ``p``. A class
absent from both the ground truth and the prediction has IoU NaN and is left out of the mean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def confusion_matrix(target: np.ndarray, prediction: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K, K)`` int64 confusion of two label arrays of the same shape (any shape).

    Raises:
        ValueError: shapes differ, or a label is outside ``0..K-1``.
    """
    target, prediction = np.asarray(target), np.asarray(prediction)
    if target.shape != prediction.shape:
        raise ValueError(f"target {target.shape} and prediction {prediction.shape} differ")
    t = target.ravel().astype(np.int64)
    p = prediction.ravel().astype(np.int64)
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= num_classes):
        raise ValueError(f"labels must be in 0..{num_classes - 1}")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def per_class_iou(confusion: np.ndarray) -> np.ndarray:
    """``(K,)`` float64 IoU = TP / (TP + FP + FN) per class; NaN where the union is empty."""
    confusion = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - tp
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(confusion: np.ndarray) -> float:
    """Mean of the defined per-class IoUs (NaN if none is defined)."""
    iou = per_class_iou(confusion)
    return float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan")


def pixel_accuracy(confusion: np.ndarray) -> float:
    """Share of correctly labelled pixels (NaN for an empty confusion)."""
    confusion = np.asarray(confusion)
    total = confusion.sum()
    return float(np.trace(confusion) / total) if total else float("nan")


def scores(confusion: np.ndarray, class_names: Sequence[str]) -> dict:
    """JSON-ready summary: ``miou``, ``pixel_accuracy``, ``iou`` per class name, ``pixels``."""
    iou = per_class_iou(confusion)
    return {
        "miou": round(mean_iou(confusion), 4),
        "pixel_accuracy": round(pixel_accuracy(confusion), 4),
        "iou": {
            name: (None if np.isnan(v) else round(float(v), 4))
            for name, v in zip(class_names, iou, strict=True)
        },
        "pixels": int(np.asarray(confusion).sum()),
    }


def grouped_scores(
    confusions: Sequence[np.ndarray], groups: Sequence[str], class_names: Sequence[str]
) -> dict:
    """Scores over all images and per group (e.g. the world each image was rendered in).

    Args:
        confusions: one ``(K, K)`` confusion per image.
        groups: the group name of each image.

    Returns:
        :func:`scores` of the summed confusion, plus ``"images"`` and ``"groups"``:
        ``{group: scores(...) + images}`` in first-seen order.
    """
    if len(confusions) != len(groups):
        raise ValueError(f"{len(confusions)} confusions but {len(groups)} group names")
    if not len(confusions):
        raise ValueError("no images to score")
    stack = np.stack([np.asarray(c, dtype=np.int64) for c in confusions])
    names = np.asarray(groups)
    per_group = {
        group: {**scores(stack[names == group].sum(0), class_names),
                "images": int((names == group).sum())}
        for group in dict.fromkeys(groups)
    }  # fmt: skip
    return {**scores(stack.sum(0), class_names), "images": len(stack), "groups": per_group}
