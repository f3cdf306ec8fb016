"""Save and load segmentation checkpoints (file format: :mod:`xai_core.checkpoint_io`).

Its own format tag (``xai-seg-checkpoint``) keeps the navigation and segmentation loaders from
accepting each other's files. The committed checkpoint is ``training/checkpoints/segmentation.pt``
(:data:`DEFAULT_NAME` for :func:`xai_core.paths.resolve_checkpoint`) with its manifest
``segmentation.json`` beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from xai_core.checkpoint_io import CheckpointError, load_weights, read_payload, save_model

from .build import build_seg_model

FORMAT = "xai-seg-checkpoint"
VERSION = 1
DEFAULT_NAME = "segmentation"  # the committed checkpoint, by name

__all__ = ["DEFAULT_NAME", "CheckpointError", "load_seg_checkpoint", "save_seg_checkpoint"]


def save_seg_checkpoint(
    path: str | Path,
    model: nn.Module,
    name: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (registry ``name`` built with ``kwargs``) atomically to ``path``."""
    return save_model(path, model, name, kwargs, meta, FORMAT, VERSION)


def load_seg_checkpoint(path: str | Path) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the segmenter of a checkpoint and load its weights (eval mode, CPU).

    Returns:
        ``(model, payload)``; ``payload["meta"]`` holds the manifest-like metadata.

    Raises:
        CheckpointError: missing/corrupted file, another format (e.g. a navigation checkpoint),
            unknown model, or weights whose keys or shapes do not match the architecture.
    """
    payload = read_payload(path, FORMAT, VERSION)
    try:
        model = build_seg_model(payload["model"], **payload["kwargs"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot rebuild the model: {error}") from None
    load_weights(path, model, payload["state_dict"], payload["model"])
    return model, payload
