"""Adapting a pre-trained ViT to a downstream task: linear probing, Partial-1, fine-tuning.

``linear``: only the classification head trains. ``partial1`` (the research's choice for its
teachers): the head, the final norm and the last Transformer block train. ``full``: everything.
:func:`forward_adapted` runs the frozen part without building a graph (no memory for it).
"""

from __future__ import annotations

import torch
from timm.models.vision_transformer import VisionTransformer

MODES = ("linear", "partial1", "full")


def _trainable_blocks(model: VisionTransformer, mode: str) -> int:
    if mode not in MODES:
        raise ValueError(f"unknown adaptation mode '{mode}'; choose one of {', '.join(MODES)}")
    return {"linear": 0, "partial1": 1, "full": len(model.blocks)}[mode]


def set_adaptation(model: VisionTransformer, mode: str) -> int:
    """Freeze ``model`` for ``mode`` (``requires_grad``); returns the trainable parameter count.

    Raises:
        ValueError: unknown mode.
    """
    blocks = _trainable_blocks(model, mode)
    for p in model.parameters():
        p.requires_grad_(mode == "full")
    trainable = list(model.head.parameters())
    if blocks:
        trainable += list(model.norm.parameters())
        for block in model.blocks[len(model.blocks) - blocks :]:
            trainable += list(block.parameters())
    for p in trainable:
        p.requires_grad_(True)
    return trainable_parameters(model)


def trainable_parameters(model: torch.nn.Module) -> int:
    """Number of parameters with ``requires_grad``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def forward_adapted(model: VisionTransformer, images: torch.Tensor, mode: str) -> torch.Tensor:
    """Logits ``(B, classes)`` of ``images`` ``(B, C, H, W)``; the frozen prefix runs in no_grad.

    Same result as ``model(images)``; only the autograd graph differs.
    """
    blocks = _trainable_blocks(model, mode)
    if blocks == len(model.blocks):
        return model(images)
    frozen = len(model.blocks) - blocks
    with torch.no_grad():
        x = model.patch_embed(images)
        x = model._pos_embed(x)
        x = model.patch_drop(x)
        x = model.norm_pre(x)
        for block in model.blocks[:frozen]:
            x = block(x)
        if blocks == 0:
            x = model.norm(x)
    for block in model.blocks[frozen:]:
        x = block(x)
    if blocks:
        x = model.norm(x)
    return model.forward_head(x)
