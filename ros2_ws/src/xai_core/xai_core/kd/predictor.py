"""Numpy-facing classifier: one image in, top-k labels and the student's attention map out.

Like segment-anything's ``SamPredictor``: the torch model stays inside. Callers pass ``(H, W)``
(grey) or ``(H, W, 3)`` (RGB) uint8 images of any size; they are resized (bilinear) to the
model's input size. Used by the ROS ``kd_classifier_node`` and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

from xai_core.devices import checked_device
from xai_core.images import to_rgb_uint8
from xai_core.paths import resolve_checkpoint

from .attention import AttentionRecorder, cls_attention_map
from .build import grid_size
from .checkpoint import DEFAULT_NAME, load_kd_checkpoint


@dataclass
class Classification:
    """Top-k result of one image.

    Attributes:
        labels: class names, most probable first.
        class_ids: their indices in the model's label list.
        probabilities: softmax probabilities, float in [0, 1], same order.
        attention: ``(H, W)`` uint8 class-token attention of the last block (mean over heads),
            bilinearly upsampled from the patch grid to the input image's size, then scaled so
            its maximum is 255.
    """

    labels: list[str]
    class_ids: list[int]
    probabilities: list[float]
    attention: np.ndarray


class KDClassifier:
    """Classify images with a (distilled) ViT.

    Args:
        model: timm ViT, ``(B, 3, S, S)`` normalised input -> ``(B, classes)`` logits.
        name: registry name of the model.
        labels: class names in output order.
        image_size: ``S``, pixels.
        mean, std: input normalisation of [0, 1] pixels.
        meta: the checkpoint's metadata (training config, evaluation), if loaded from one.
        device: torch device the model runs on (results come back as numpy / Python types).
    """

    def __init__(
        self,
        model: VisionTransformer,
        name: str,
        labels: list[str],
        image_size: int,
        mean: float = 0.5,
        std: float = 0.5,
        meta: dict[str, Any] | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.device = checked_device(device)
        self.model = model.eval().to(self.device)
        self.name = name
        self.labels = list(labels)
        self.image_size = int(image_size)
        self.mean, self.std = float(mean), float(std)
        self.meta = dict(meta or {})
        self.grid = grid_size(model)
        self.path: Path | None = None

    @classmethod
    def from_checkpoint(
        cls, name_or_path: str | Path = "", device: str | torch.device = "cpu"
    ) -> KDClassifier:
        """Load a checkpoint by path or committed name (``""`` = :data:`DEFAULT_NAME`).

        Raises:
            ValueError: an invalid or unavailable ``device``.
            FileNotFoundError: no such file or committed checkpoint.
            CheckpointError: the file is not a usable KD checkpoint.
        """
        path = resolve_checkpoint(name_or_path or DEFAULT_NAME)
        model, payload = load_kd_checkpoint(path)
        meta = payload["meta"]
        predictor = cls(model, payload["model"], meta["labels"], meta["image_size"],
                        meta["mean"], meta["std"], meta, device)  # fmt: skip
        predictor.path = path
        return predictor

    def preprocess(self, image: np.ndarray) -> torch.Tensor:
        """``(1, 3, S, S)`` normalised model input of a uint8 image of any size."""
        rgb = to_rgb_uint8(image)
        x = torch.from_numpy(np.ascontiguousarray(rgb)).to(self.device)
        x = x.permute(2, 0, 1)[None].float() / 255.0
        if x.shape[-2:] != (self.image_size, self.image_size):
            shrink = min(x.shape[-2:]) > self.image_size
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear",
                              align_corners=False, antialias=shrink)  # fmt: skip
        return (x - self.mean) / self.std

    @torch.no_grad()
    def classify(self, image: np.ndarray, top_k: int = 5) -> Classification:
        """Top-``top_k`` classes of ``image`` and the attention map at its size.

        Raises:
            ValueError: the image is not a usable uint8 grey / RGB array.
        """
        rgb = to_rgb_uint8(image)
        with AttentionRecorder(self.model, [-1]) as recorder:
            logits = self.model(self.preprocess(rgb))
        probs = logits.softmax(-1)[0].cpu()
        k = max(1, min(int(top_k), len(self.labels)))
        values, ids = probs.topk(k)
        cls_map = cls_attention_map(recorder.attention(-1), self.grid)[:, None].cpu()
        h, w = rgb.shape[:2]
        up = F.interpolate(cls_map, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
        up = up.clamp_min(0) / up.max().clamp_min(1e-12)  # 255 = the largest upsampled value
        attention = (up * 255).round().to(torch.uint8).numpy()
        return Classification(
            labels=[self.labels[i] for i in ids.tolist()],
            class_ids=[int(i) for i in ids.tolist()],
            probabilities=[float(v) for v in values.tolist()],
            attention=attention,
        )
