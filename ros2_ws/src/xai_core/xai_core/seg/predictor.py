"""Numpy-facing segmentation predictor: one RGB image in, one label image out.

Like segment-anything's ``SamPredictor``: the torch model stays inside; callers pass
``(H, W, 3)`` uint8 RGB of any size and get ``(H, W)`` uint8 labels at that size. Used by the
evaluation script and the ROS segmentation node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from xai_core.devices import checked_device
from xai_core.nav.obs import PaletteCodec, image_to_chw
from xai_core.nav.predictor import resize_nearest
from xai_core.paths import resolve_checkpoint

from .checkpoint import DEFAULT_NAME, load_seg_checkpoint


def validate_rgb(rgb: np.ndarray) -> np.ndarray:
    """Check that ``rgb`` is an ``(H, W, 3)`` uint8 image with pixels; returns it as an array.

    Raises:
        ValueError: wrong type, dtype, shape or an empty image (the message says which).
    """
    if not isinstance(rgb, np.ndarray):
        raise ValueError(f"expected a numpy (H, W, 3) uint8 RGB image, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image (0..255), got dtype {rgb.dtype}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError(f"image has no pixels ({rgb.shape[1]}x{rgb.shape[0]})")
    return rgb


def label_palette() -> np.ndarray:
    """``(4, 3)`` uint8 colour of each class: the simulator's ``LABEL_COLORS`` (policy input)."""
    from xai_sim import LABEL_COLORS

    return LABEL_COLORS


class SegmentationPredictor:
    """Segment RGB images with a trained segmenter.

    Args:
        model: ``(B, 3, h, w)`` float in [0, 1] -> ``(B, K, h, w)`` logits.
        name: registry name of the model.
        input_size: ``(h, w)`` pixels the model runs at; inputs are resized to it (nearest) and
            the labels back to the input size (nearest).
        palette: ``(K, 3)`` uint8 class colours for :meth:`colorize` (default:
            :func:`label_palette`).
        device: torch device of the model.
        meta: the checkpoint's metadata (training config, evaluation), if loaded from one.

    Attributes:
        path: the checkpoint file (set by :meth:`from_checkpoint`), else None.
    """

    def __init__(
        self,
        model: nn.Module,
        name: str,
        input_size: tuple[int, int],
        palette: np.ndarray | None = None,
        device: str | torch.device = "cpu",
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.meta = dict(meta or {})
        self.path: Path | None = None
        self.device = checked_device(device)
        self.model = model.eval().to(self.device)
        self.name = name
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.codec = PaletteCodec(label_palette() if palette is None else palette)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path | None = None, device: str | torch.device = "cpu"
    ) -> SegmentationPredictor:
        """Load a segmentation checkpoint: a path, the name of a committed checkpoint, or None /
        "" for the committed ``segmentation`` (see :func:`xai_core.paths.resolve_checkpoint`).

        Raises:
            FileNotFoundError: no such file or committed checkpoint.
            CheckpointError: see :func:`load_seg_checkpoint`.
        """
        path = resolve_checkpoint(path or DEFAULT_NAME)
        model, payload = load_seg_checkpoint(path)
        input_size = tuple(payload["kwargs"]["input_size"])
        predictor = cls(model, payload["model"], input_size, device=device, meta=payload["meta"])
        predictor.path = path
        return predictor

    @property
    def num_classes(self) -> int:
        return len(self.codec.palette)

    @torch.no_grad()
    def logits(self, rgb: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB -> ``(K, h, w)`` float32 logits at the model's input size."""
        rgb = validate_rgb(rgb)
        h, w = self.input_size
        if rgb.shape[:2] != (h, w):
            rgb = resize_nearest(rgb, h, w)
        images = torch.from_numpy(image_to_chw(rgb))[None].to(self.device)
        return self.model(images)[0].float().cpu().numpy()

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB (any size) -> ``(H, W)`` uint8 labels 0..K-1.

        Raises:
            ValueError: not an ``(H, W, 3)`` uint8 image with at least one pixel.
        """
        labels = self.logits(rgb).argmax(0).astype(np.uint8)
        height, width = rgb.shape[:2]
        if labels.shape != (height, width):
            labels = resize_nearest(labels, height, width)
        return labels

    def colorize(self, labels: np.ndarray) -> np.ndarray:
        """``(H, W)`` integer labels -> ``(H, W, 3)`` uint8 class colours.

        Raises:
            ValueError: not a 2-D integer array, or a label outside ``0..K-1``.
        """
        labels = np.asarray(labels)
        if labels.ndim != 2 or labels.dtype.kind not in "ui":
            raise ValueError(f"expected (H, W) integer labels, got {labels.shape} {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"labels must be in 0..{self.num_classes - 1}")
        return self.codec.decode(labels)
