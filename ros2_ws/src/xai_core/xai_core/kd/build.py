"""ViT registry of the distillation line: every teacher and student by name, with its sizes (the
only place they live).

All models are timm ``VisionTransformer`` s with a class token and ``global_pool="token"`` (the
layout of the official DINO / MAE ViTs), built with random weights (``pretrained=False``: timm
never downloads here). ``build_vit("kd_teacher")`` returns a fresh model; checkpoints store the
name and keyword arguments so :mod:`xai_core.kd.checkpoint` rebuilds the same architecture.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from timm.models.vision_transformer import VisionTransformer


@dataclass(frozen=True)
class VitSpec:
    """A registered ViT: default keyword arguments of timm's ``VisionTransformer``."""

    name: str
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""


_COMMON = dict(in_chans=3, class_token=True, global_pool="token", mlp_ratio=4.0, qkv_bias=True)

# Small sizes are scaled for a 2-core CPU and 32x32 inputs (digits); the B/16 and Ti/16 entries
# are the research's architectures (official DINO / MAE checkpoints load into vit_base_patch16).
VIT_REGISTRY: dict[str, VitSpec] = {
    spec.name: spec
    for spec in [
        VitSpec("kd_teacher", dict(_COMMON, img_size=32, patch_size=4, embed_dim=64, depth=6,
                                   num_heads=4, num_classes=10),
                "teacher for this machine: 8x8 patch grid of 4 px, dim 64, 6 blocks, ~0.3 M"),
        VitSpec("kd_student", dict(_COMMON, img_size=32, patch_size=8, embed_dim=48, depth=4,
                                   num_heads=3, num_classes=10),
                "student for this machine: 4x4 grid of 8 px, dim 48, 4 blocks, ~0.12 M"),
        VitSpec("kd_nano", dict(_COMMON, img_size=16, patch_size=4, embed_dim=16, depth=2,
                                num_heads=2, num_classes=10),
                "tests and smoke runs"),
        VitSpec("vit_base_patch16", dict(_COMMON, img_size=224, patch_size=16, embed_dim=768,
                                         depth=12, num_heads=12, num_classes=1000),
                "ViT-B/16 (official DINO / MAE checkpoints), 86 M"),
        VitSpec("vit_tiny_patch16", dict(_COMMON, img_size=224, patch_size=16, embed_dim=192,
                                         depth=12, num_heads=3, num_classes=1000),
                "ViT-Ti/16 (the research's student, DeiT-Ti sizes), 5.7 M"),
    ]
}  # fmt: skip


def get_vit_spec(name: str) -> VitSpec:
    """The spec of a registered ViT.

    Raises:
        ValueError: unknown name (the message lists the registered ones).
    """
    if name not in VIT_REGISTRY:
        raise ValueError(f"unknown ViT '{name}'; registered: {', '.join(VIT_REGISTRY)}")
    return VIT_REGISTRY[name]


def vit_kwargs(name: str, **overrides: Any) -> dict[str, Any]:
    """Default keyword arguments of ``name`` with ``overrides`` applied (unknown keys rejected)."""
    spec = get_vit_spec(name)
    accepted = set(inspect.signature(VisionTransformer.__init__).parameters) - {"self", "kwargs"}
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(f"{name}: VisionTransformer has no argument(s) {unknown}")
    kwargs = {**spec.defaults, **overrides}
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def build_vit(name: str, **overrides: Any) -> VisionTransformer:
    """A freshly initialised ViT ``name`` (sizes from the registry, then ``overrides``)."""
    return VisionTransformer(**vit_kwargs(name, **overrides))


def grid_size(model: VisionTransformer) -> tuple[int, int]:
    """``(rows, cols)`` of the model's patch grid at its configured input size."""
    return tuple(int(g) for g in model.patch_embed.grid_size)  # type: ignore[return-value]


def patch_size(model: VisionTransformer) -> int:
    """Side of one (square) patch in input pixels."""
    return int(model.patch_embed.patch_size[0])


def count_parameters(model: VisionTransformer, trainable_only: bool = False) -> int:
    """Number of parameters (only those with ``requires_grad`` when ``trainable_only``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
