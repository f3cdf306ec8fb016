"""Held-out evaluation shared by the distillation scripts: top-1 accuracy, kNN accuracy of
class-token features, latency."""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

from .data import normalize


@torch.no_grad()
def predict_logits(model: torch.nn.Module, data, batch: int = 256) -> torch.Tensor:
    """``(N, classes)`` logits of every image of ``data`` (eval mode, restored afterwards)."""
    was_training = model.training
    model.eval()
    out = []
    for i0 in range(0, len(data), batch):
        images, _ = data.batch(np.arange(i0, min(i0 + batch, len(data))))
        out.append(model(normalize(images)))
    model.train(was_training)
    return torch.cat(out)


def top1_accuracy(model: torch.nn.Module, data, batch: int = 256) -> float:
    """Share of ``data`` whose arg-max class is the label, in [0, 1]."""
    return float((predict_logits(model, data, batch).argmax(1) == data.labels).float().mean())


@torch.no_grad()
def cls_features(model: VisionTransformer, data, batch: int = 256) -> torch.Tensor:
    """``(N, dim)`` L2-normalised class-token features (after the final norm)."""
    was_training = model.training
    model.eval()
    out = []
    for i0 in range(0, len(data), batch):
        images, _ = data.batch(np.arange(i0, min(i0 + batch, len(data))))
        feats = model.forward_head(model.forward_features(normalize(images)), pre_logits=True)
        out.append(F.normalize(feats, dim=-1))
    model.train(was_training)
    return torch.cat(out)


def knn_accuracy(model: VisionTransformer, train, heldout, k: int = 10) -> float:
    """Weighted kNN (cosine, DINO's protocol, temperature 0.07) top-1 on ``heldout``, [0, 1]."""
    f_train, f_held = cls_features(model, train), cls_features(model, heldout)
    sim = f_held @ f_train.T
    top, index = sim.topk(min(k, len(train)), dim=1)
    votes = torch.zeros(len(heldout), int(train.labels.max()) + 1)
    votes.scatter_add_(1, train.labels[index], (top / 0.07).exp())
    return float((votes.argmax(1) == heldout.labels).float().mean())


@torch.no_grad()
def latency_ms(model: torch.nn.Module, image_size: int, batch: int = 1, repeats: int = 20):
    """Median forward time in milliseconds of a ``(batch, 3, S, S)`` input (after warm-up)."""
    model.eval()
    x = torch.randn(batch, 3, image_size, image_size)
    for _ in range(3):
        model(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)
