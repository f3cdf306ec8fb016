"""Torch device names from parameters and flags, checked before a model moves there."""

from __future__ import annotations

import torch


def checked_device(device: str | torch.device) -> torch.device:
    """``torch.device`` of ``device``; ValueError for a malformed or unavailable device."""
    try:
        checked = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"invalid torch device {device!r}: {error}") from None
    if checked.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested, but CUDA is not available (use cpu)")
    return checked
