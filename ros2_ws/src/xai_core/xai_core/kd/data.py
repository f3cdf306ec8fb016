"""Offline image sets for the distillation experiments and their augmentation.

* ``digits``: scikit-learn's 1,797 8x8 handwritten digits (ships with the package), scaled to
  [0, 1], upsampled bilinearly to ``size`` x ``size`` and repeated to 3 channels; a fixed
  stratified split (``random_state=0``) into training and held-out images.
* an ImageNet-style folder (``root/<class>/<image>``, or ``root/train`` + ``root/val`` with such
  class folders) read lazily with torchvision's ``ImageFolder``.

Every set hands out ``(B, 3, size, size)`` float32 images in [0, 1] and ``(B,)`` int64 labels;
:func:`normalize` maps them to the models' input range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

MEAN, STD = 0.5, 0.5  # the models see (x - MEAN) / STD, x in [0, 1]
DIGIT_LABELS = [str(d) for d in range(10)]


def normalize(images: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` in [0, 1] -> model input ``(x - MEAN) / STD``."""
    return (images - MEAN) / STD


@dataclass
class TensorSet:
    """Images kept in memory: ``images`` ``(N, 3, S, S)`` float32 [0, 1], ``labels`` ``(N,)``."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def batch(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels at ``index``."""
        index_t = torch.as_tensor(index, dtype=torch.long)
        return self.images[index_t], self.labels[index_t]


class FolderSet:
    """An ImageFolder read on demand (resized to ``size`` x ``size``, RGB, [0, 1])."""

    def __init__(self, root: str | Path, size: int, indices: np.ndarray | None = None) -> None:
        from torchvision import datasets, transforms

        transform = transforms.Compose(
            [
                transforms.Lambda(lambda im: im.convert("RGB")),
                transforms.Resize((size, size)),
                transforms.ToTensor(),
            ]
        )
        self.dataset = datasets.ImageFolder(str(root), transform=transform)
        self.classes = list(self.dataset.classes)
        self.indices = np.arange(len(self.dataset)) if indices is None else np.asarray(indices)
        targets = np.asarray(self.dataset.targets)[self.indices]
        self.labels = torch.as_tensor(targets, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.indices)

    def batch(self, index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels at ``index`` (positions in this subset)."""
        images = torch.stack([self.dataset[int(self.indices[i])][0] for i in index])
        return images, self.labels[torch.as_tensor(index, dtype=torch.long)]


def digits_sets(size: int = 32, heldout_fraction: float = 0.3) -> tuple[TensorSet, TensorSet]:
    """Training and held-out digits (fixed stratified split, independent of the run seed)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = images.clamp(0, 1).repeat(1, 3, 1, 1).contiguous()
    labels = torch.from_numpy(digits.target.astype(np.int64))
    train_i, held_i = train_test_split(
        np.arange(len(labels)), test_size=heldout_fraction, random_state=0, stratify=digits.target
    )
    make = lambda i: TensorSet(images[i], labels[i], list(DIGIT_LABELS))  # noqa: E731
    return make(np.sort(train_i)), make(np.sort(held_i))


def folder_sets(root: str | Path, size: int, heldout_fraction: float = 0.3):
    """Training and held-out sets of an image folder: ``root/train`` + ``root/val`` when both
    exist, else a fixed random split (seed 0) of ``root``'s images."""
    root = Path(root)
    if (root / "train").is_dir() and (root / "val").is_dir():
        return FolderSet(root / "train", size), FolderSet(root / "val", size)
    full = FolderSet(root, size)
    order = np.random.default_rng(0).permutation(len(full))
    n_held = max(1, round(len(full) * heldout_fraction))
    return FolderSet(root, size, np.sort(order[n_held:])), FolderSet(
        root, size, np.sort(order[:n_held])
    )


def load_sets(source: str, size: int):
    """``source`` ``"digits"`` or an image-folder path -> ``(train, heldout)``."""
    if source == "digits":
        return digits_sets(size)
    if not Path(source).is_dir():
        raise ValueError(f"data '{source}' is neither 'digits' nor an image folder")
    return folder_sets(source, size)


def augment(
    images: torch.Tensor,
    generator: torch.Generator,
    rotate_deg: float = 12.0,
    scale: tuple[float, float] = (0.85, 1.15),
    translate: float = 0.1,
    crop_scale: float = 1.0,
    jitter: float = 0.0,
    crop_max: float = 1.0,
) -> torch.Tensor:
    """Random affine warp (rotation, zoom, shift; zero padding) and brightness/contrast jitter.

    Args:
        images: ``(B, C, H, W)`` in [0, 1].
        translate: largest shift as a fraction of the image side.
        crop_scale: smallest crop area share (< 1 zooms in further, like RandomResizedCrop).
        crop_max: largest crop area share (DINO's local crops use e.g. 0.1 .. 0.4).
        jitter: largest relative brightness / contrast change.

    Returns:
        ``(B, C, H, W)`` in [0, 1].
    """
    b = images.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(b, generator=generator)  # noqa: E731
    angle = u(-rotate_deg, rotate_deg) * math.pi / 180
    zoom = u(*scale) / torch.sqrt(u(crop_scale, crop_max))
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack(
        [torch.stack([cos, -sin, u(-2 * translate, 2 * translate)], 1),
         torch.stack([sin, cos, u(-2 * translate, 2 * translate)], 1)], 1
    )  # fmt: skip
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    out = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if jitter:
        contrast = u(1 - jitter, 1 + jitter)[:, None, None, None]
        bright = u(-jitter, jitter)[:, None, None, None] * 0.5
        out = (out - 0.5) * contrast + 0.5 + bright
    return out.clamp(0, 1)
