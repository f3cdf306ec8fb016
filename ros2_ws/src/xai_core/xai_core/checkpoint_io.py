"""Model checkpoint files shared by every model family (navigation, segmentation, ...).

A checkpoint is a ``torch.save`` dict of plain types and tensors only (loaded with
``weights_only=True``: no pickled code runs)::

    {"format": "<family format>", "version": 1, "model": "<registry name>",
     "kwargs": {...}, "state_dict": {...}, "meta": {...}}

Each family (``xai_core.nav.checkpoint``, ``xai_core.seg.checkpoint``) names its format and
rebuilds its models from its own registry; the file handling and checks live here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used, with the reason."""


def save_model(
    path: str | Path,
    model: nn.Module,
    name: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any] | None,
    file_format: str,
    version: int = 1,
) -> Path:
    """Write ``model`` (registry ``name`` built with ``kwargs``) atomically to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": file_format,
        "version": version,
        "model": name,
        "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a crash mid-write never leaves a truncated checkpoint behind
    return path


def read_payload(path: str | Path, file_format: str, version: int = 1) -> dict[str, Any]:
    """Load and check a checkpoint's outer dict (CPU tensors).

    Raises:
        CheckpointError: missing or unreadable file, another format, another version.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupted files
        raise CheckpointError(f"{path} is not a readable checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != file_format:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path} is not an {file_format} file (format: {found})")
    if payload.get("version") != version:
        raise CheckpointError(f"{path} has version {payload.get('version')}, expected {version}")
    return payload


def check_state_dict(
    expected: dict[str, torch.Tensor], state: dict[str, Any], where: str, name: str
) -> None:
    """Check ``state`` has exactly the keys of ``expected``, with the same shapes.

    Raises:
        CheckpointError: ``"<where>: weights do not match <name>: missing [...], unexpected
            [...]"`` or naming the first mismatched shape.
    """
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{where}: weights do not match {name}: {len(missing)} missing {missing[:5]}, "
            f"{len(unexpected)} unexpected {unexpected[:5]}"
        )
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{where}: '{key}' has shape {tuple(state[key].shape)}, "
                f"{name} needs {tuple(tensor.shape)}"
            )


def load_weights(path: str | Path, model: nn.Module, state: dict[str, Any], name: str) -> None:
    """Load ``state`` into ``model`` (eval mode) after checking every key and shape.

    Raises:
        CheckpointError: naming missing / unexpected keys or the first mismatched shape.
    """
    check_state_dict(model.state_dict(), state, str(path), name)
    model.load_state_dict(state)
    model.eval()
