"""Segmentation model registry: every segmenter by name, with its sizes (the only place they live).

``build_seg_model("unet_tiny")`` returns a fresh model; checkpoints store the name and the keyword
arguments so :mod:`xai_core.seg.checkpoint` rebuilds exactly the same architecture.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from .models import TinyUNet


@dataclass(frozen=True)
class SegModelSpec:
    """A registered segmenter: its class and default sizes."""

    name: str
    cls: type[nn.Module]
    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""


# Sizes for CPU inference on the robot: unet_tiny runs a 160x120 frame in ~10 ms on one core.
SEG_REGISTRY: dict[str, SegModelSpec] = {
    spec.name: spec
    for spec in [
        SegModelSpec("unet_tiny", TinyUNet,
                     dict(num_classes=4, widths=(16, 32, 64, 96), refine_width=8,
                          input_size=(120, 160)),
                     "U-Net, 4 stages from 1/2 to 1/16 resolution, ~0.39 M parameters"),
        SegModelSpec("unet_nano", TinyUNet,
                     dict(num_classes=4, widths=(12, 24, 48, 64), refine_width=8,
                          input_size=(120, 160)),
                     "U-Net, 4 stages, ~0.2 M parameters (tests, smoke runs)"),
    ]
}  # fmt: skip


def get_seg_spec(name: str) -> SegModelSpec:
    """The spec of a registered segmenter.

    Raises:
        ValueError: unknown name (the message lists the registered ones).
    """
    if name not in SEG_REGISTRY:
        raise ValueError(
            f"unknown segmentation model '{name}'; registered: {', '.join(SEG_REGISTRY)}"
        )
    return SEG_REGISTRY[name]


def seg_model_kwargs(name: str, **overrides: Any) -> dict[str, Any]:
    """Default keyword arguments of ``name`` with ``overrides`` applied (unknown keys rejected)."""
    spec = get_seg_spec(name)
    accepted = set(inspect.signature(spec.cls.__init__).parameters) - {"self"}
    unknown = sorted(set(overrides) - accepted)
    if unknown:
        raise ValueError(f"{name} has no argument(s) {unknown}; accepted: {sorted(accepted)}")
    return {**spec.defaults, **overrides}


def build_seg_model(name: str, **overrides: Any) -> nn.Module:
    """A freshly initialised segmenter ``name`` (sizes from the registry, then ``overrides``)."""
    return get_seg_spec(name).cls(**seg_model_kwargs(name, **overrides))
