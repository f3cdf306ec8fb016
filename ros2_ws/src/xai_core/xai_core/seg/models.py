"""Segmentation networks (``nn.Module`` only; sizes live in :mod:`xai_core.seg.build`).

:class:`TinyUNet` - a small U-Net (Ronneberger et al. 2015) for CPU inference: a stride-2 stem,
``len(widths)`` encoder stages (two 3x3 conv + BatchNorm + ReLU each, 2x2 max-pool between
them), a decoder that upsamples bilinearly and fuses the skip connection of the same scale, and
a full-resolution refinement that sees the input again (sharp class borders, thin people).

Conventions: images are float RGB in [0, 1], ``(B, 3, H, W)``; logits are ``(B, K, H, W)`` at the
input size, K = number of classes. Any ``H, W >= 2`` works (skips are resized to match), but the
network is trained at ``input_size`` and the predictor resizes to it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvBlock(nn.Sequential):
    """``(B, C_in, H, W) -> (B, C_out, H, W)``: ``convs`` x (3x3 conv, BatchNorm, ReLU)."""

    def __init__(self, in_channels: int, out_channels: int, convs: int = 2) -> None:
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [
                nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, 3, padding=1,
                          bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(inplace=True),
            ]  # fmt: skip
        super().__init__(*layers)


class TinyUNet(nn.Module):
    """Small encoder-decoder segmenter: RGB ``(B, 3, H, W)`` in [0, 1] -> logits ``(B, K, H, W)``.

    Args:
        num_classes: K output channels.
        widths: channels of the encoder stages, from the stem's half resolution down; stage i
            works at ``1 / 2**(i + 1)`` of the input size.
        refine_width: channels of the full-resolution refinement block.
        input_size: ``(height, width)`` in pixels the network is trained at; stored with the
            checkpoint so the predictor knows what to resize to (the forward pass accepts any).
    """

    def __init__(
        self,
        num_classes: int = 4,
        widths: tuple[int, ...] = (16, 32, 64, 96),
        refine_width: int = 16,
        input_size: tuple[int, int] = (120, 160),
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if len(widths) < 2:
            raise ValueError(f"widths needs at least two stages, got {widths}")
        self.num_classes = int(num_classes)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        # Normalisation of the [0, 1] input is learnt by the stem's BatchNorm.
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        )
        self.encoder = nn.ModuleList(
            ConvBlock(widths[max(i - 1, 0)], w, convs=1 if i == 0 else 2)
            for i, w in enumerate(widths)
        )
        self.decoder = nn.ModuleList(
            ConvBlock(widths[i + 1] + widths[i], widths[i])
            for i in reversed(range(len(widths) - 1))
        )
        self.refine = ConvBlock(widths[0] + 3, refine_width)
        self.head = nn.Conv2d(refine_width, self.num_classes, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` float in [0, 1] -> ``(B, K, H, W)`` class logits."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected (B, 3, H, W) images, got {tuple(images.shape)}")
        x = self.stem(images)
        skips = []
        for i, stage in enumerate(self.encoder):
            if i > 0:
                x = F.max_pool2d(x, 2, ceil_mode=True)
            x = stage(x)
            skips.append(x)
        for block, skip in zip(self.decoder, reversed(skips[:-1]), strict=True):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        x = F.interpolate(x, size=images.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(self.refine(torch.cat([x, images], dim=1)))
