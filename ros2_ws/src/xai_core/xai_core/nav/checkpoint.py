"""Save and load navigation checkpoints (file format: :mod:`xai_core.checkpoint_io`), validating
architecture, task and shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from xai_core.checkpoint_io import CheckpointError, load_weights, read_payload, save_model

from .build import build_model, get_spec

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]

FORMAT = "xai-nav-checkpoint"
VERSION = 1


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    name: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (registry ``name`` built with ``kwargs``) atomically to ``path``."""
    return save_model(path, model, name, kwargs, meta, FORMAT, VERSION)


def load_checkpoint(
    path: str | Path, expected_task: str | None = None
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the model of a checkpoint and load its weights (eval mode, CPU).

    Args:
        expected_task: ``"goal"`` or ``"sketch"`` to refuse a model of the other task.

    Returns:
        ``(model, payload)``; ``payload["meta"]`` holds the manifest-like metadata.

    Raises:
        CheckpointError: missing/corrupted file, unknown format or model, or a state dict whose
            keys or shapes do not match the architecture.
    """
    payload = read_payload(path, FORMAT, VERSION)
    try:
        spec = get_spec(payload["model"])
        model = build_model(payload["model"], **payload["kwargs"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot rebuild the model: {error}") from None
    if expected_task is not None and spec.task != expected_task:
        raise CheckpointError(
            f"{path} holds a {spec.task}-navigation model ({spec.name}), "
            f"but a {expected_task}-navigation model is needed"
        )
    load_weights(path, model, payload["state_dict"], spec.name)
    return model, payload
