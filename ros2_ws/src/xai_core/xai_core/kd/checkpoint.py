"""Save and load distilled ViT classifiers (file format: :mod:`xai_core.checkpoint_io`).

Format tag ``xai-kd-checkpoint``; ``meta`` carries what inference needs besides the weights:
``labels`` (class names in output order), ``image_size`` (pixels), ``mean`` / ``std`` (input
normalisation of [0, 1] pixels). The committed student is ``training/checkpoints/kd_student.pt``
(:data:`DEFAULT_NAME`) with its manifest ``kd_student.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from timm.models.vision_transformer import VisionTransformer

from xai_core.checkpoint_io import CheckpointError, load_weights, read_payload, save_model

from .build import build_vit

FORMAT = "xai-kd-checkpoint"
VERSION = 1
DEFAULT_NAME = "kd_student"
REQUIRED_META = ("labels", "image_size", "mean", "std")

__all__ = ["DEFAULT_NAME", "CheckpointError", "load_kd_checkpoint", "save_kd_checkpoint"]


def save_kd_checkpoint(
    path: str | Path,
    model: VisionTransformer,
    name: str,
    kwargs: dict[str, Any],
    meta: dict[str, Any],
) -> Path:
    """Write ``model`` (registry ``name`` built with ``kwargs``) atomically to ``path``.

    Raises:
        ValueError: ``meta`` lacks one of :data:`REQUIRED_META`, or the label count differs
            from the classifier's outputs.
    """
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ValueError(f"checkpoint meta needs {missing}")
    if len(meta["labels"]) != model.num_classes:
        raise ValueError(f"{len(meta['labels'])} labels for {model.num_classes} outputs")
    return save_model(path, model, name, kwargs, meta, FORMAT, VERSION)


def load_kd_checkpoint(path: str | Path) -> tuple[VisionTransformer, dict[str, Any]]:
    """Rebuild the ViT of a checkpoint and load its weights (eval mode, CPU).

    Raises:
        CheckpointError: missing/corrupted file, another format, unknown model, weights whose
            keys or shapes do not match, or metadata without labels / input size.
    """
    payload = read_payload(path, FORMAT, VERSION)
    try:
        model = build_vit(payload["model"], **payload["kwargs"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot rebuild the model: {error}") from None
    load_weights(path, model, payload["state_dict"], payload["model"])
    meta = payload.get("meta", {})
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise CheckpointError(f"{path}: metadata lacks {missing}")
    if len(meta["labels"]) != model.num_classes:
        raise CheckpointError(f"{path}: {len(meta['labels'])} labels, {model.num_classes} outputs")
    return model, payload
