"""Save and load navigation checkpoints, validating architecture and shapes.

A checkpoint is a ``torch.save`` dict of plain types and tensors only (loaded with
``weights_only=True``: no pickled code runs)::

    {"format": "xai-nav-checkpoint", "version": 1, "model": "<registry name>",
     "kwargs": {...}, "state_dict": {...}, "meta": {...}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from .build import build_model, get_spec

FORMAT = "xai-nav-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used, with the reason."""


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    name: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` (registry ``name`` built with ``kwargs``) atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "model": name,
        "kwargs": dict(kwargs),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a crash mid-write never leaves a truncated checkpoint behind
    return path


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
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupted files
        raise CheckpointError(f"{path} is not a readable checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an {FORMAT} file")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path} has version {payload.get('version')}, expected {VERSION}")
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
    expected = model.state_dict()
    state = payload["state_dict"]
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: weights do not match {spec.name}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{path}: '{key}' has shape {tuple(state[key].shape)}, "
                f"{spec.name} needs {tuple(tensor.shape)}"
            )
    model.load_state_dict(state)
    model.eval()
    return model, payload
