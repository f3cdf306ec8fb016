"""Save and load SAM checkpoints of this project (file format: :mod:`xai_core.checkpoint_io`).

Its own format tag (``xai-sam-checkpoint``) keeps other loaders from accepting these files.
Weights are stored as float16 (half the size; loaded back into float32 modules) unless
``half=False``. Official ``segment-anything`` files load through :func:`.build.build_sam`
(``checkpoint=``) instead. The committed checkpoint is ``training/checkpoints/sam_em_prompt.pt``
(:data:`DEFAULT_NAME`), the prompt-tuned small SAM fine-tuned on synthetic EM cells.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from segment_anything.modeling import Sam

from xai_core.checkpoint_io import CheckpointError, load_weights, read_payload, save_model

from .build import SAM_CONFIGS, build_sam
from .model import PromptTunedPromptEncoder

FORMAT = "xai-sam-checkpoint"
VERSION = 1
DEFAULT_NAME = "sam_em_prompt"

__all__ = ["DEFAULT_NAME", "CheckpointError", "load_sam", "save_sam"]


def save_sam(
    path: str | Path,
    model: Sam,
    name: str = "sam_small",
    meta: dict[str, Any] | None = None,
    half: bool = True,
) -> Path:
    """Write ``model`` (registry ``name``; with or without the prompt token) atomically."""
    token = model.prompt_encoder
    kwargs = {
        "prompt_token": isinstance(token, PromptTunedPromptEncoder),
        "token_dim": token.tolerance.token.numel()
        if isinstance(token, PromptTunedPromptEncoder)
        else 128,
    }
    stored = copy.deepcopy(model).half() if half else model
    return save_model(path, stored, name, kwargs, meta, FORMAT, VERSION)


def load_sam(path: str | Path) -> tuple[Sam, dict[str, Any]]:
    """Rebuild the SAM of a checkpoint and load its weights (float32, eval mode, CPU).

    Returns:
        ``(model, payload)``: ``payload["meta"]`` holds the training metadata.

    Raises:
        CheckpointError: unreadable file, another format, unknown model or mismatched weights.
    """
    payload = read_payload(path, FORMAT, VERSION)
    name = payload.get("model")
    if name not in SAM_CONFIGS:
        raise CheckpointError(f"{path}: unknown SAM '{name}' (known: {', '.join(SAM_CONFIGS)})")
    model = build_sam(name, **payload.get("kwargs", {}))
    load_weights(path, model, payload["state_dict"], name)
    return model.float().eval(), payload
