"""Save and load LiDAR detector checkpoints (file format: :mod:`xai_core.checkpoint_io`,
``"xai-lidar-checkpoint"``); ``kwargs`` hold the full :class:`PointPillarsConfig` as a dict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xai_core.checkpoint_io import CheckpointError, load_weights, read_payload, save_model

from .build import LIDAR_REGISTRY
from .config import PointPillarsConfig
from .pointpillars import PointPillars

__all__ = ["FORMAT", "VERSION", "CheckpointError", "load_lidar_checkpoint", "save_lidar_checkpoint"]

FORMAT = "xai-lidar-checkpoint"
VERSION = 1


def save_lidar_checkpoint(
    path: str | Path, model: PointPillars, name: str, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``model`` (registry family ``name``, its exact config) atomically to ``path``."""
    return save_model(path, model, name, model.config.to_dict(), meta, FORMAT, VERSION)


def load_lidar_checkpoint(path: str | Path) -> tuple[PointPillars, dict[str, Any]]:
    """Rebuild the detector of a checkpoint (eval mode, CPU).

    Raises:
        CheckpointError: missing/corrupted file, other format, unknown model name, bad config,
            or weights whose keys / shapes do not match.
    """
    payload = read_payload(path, FORMAT, VERSION)
    name = payload.get("model")
    if name not in LIDAR_REGISTRY:
        raise CheckpointError(
            f"{path}: unknown lidar model '{name}'; registered: {', '.join(LIDAR_REGISTRY)}"
        )
    try:
        config = PointPillarsConfig(**payload["kwargs"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot rebuild the model: {error}") from None
    model = PointPillars(config)
    load_weights(path, model, payload["state_dict"], name)
    return model, payload
