"""Official DINO and MAE ViT checkpoints (local files) -> timm ``VisionTransformer`` s.

Published layouts (both use timm's key names: ``cls_token``, ``pos_embed``,
``patch_embed.proj.weight``, ``blocks.<i>.attn.qkv.weight``, ``norm.weight``, ...):

* DINO ``dino_vitbase16_pretrain.pth``: the backbone state dict itself (no classifier). The
  training checkpoints (``checkpoint.pth``) hold ``{"teacher": ..., "student": ...}`` with
  ``module.`` / ``backbone.`` prefixes and the projection head under ``head.``; the teacher's
  backbone is used.
* MAE ``mae_pretrain_vit_base.pth``: ``{"model": state_dict}``; the visualisation checkpoints
  add the decoder (``decoder_*``, ``mask_token``), which is dropped.

The classifier (``head.*``) is never loaded: it belongs to the downstream task. A ``pos_embed``
for another patch grid is resized bicubically (class-token entry kept). Anything else that does
not match raises :class:`~xai_core.checkpoint_io.CheckpointError` naming the keys or shapes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer

from xai_core.checkpoint_io import CheckpointError

DROPPED_PREFIXES = ("decoder_", "mask_token", "head.", "fc_norm.")


def interpolate_pos_embed(pos_embed: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """``(1, 1 + n, D)`` position embedding of a square grid resized to ``grid`` (bicubic)."""
    n = pos_embed.shape[1] - 1
    side = math.isqrt(n)
    if side * side != n:
        raise CheckpointError(f"pos_embed has {n} patch entries: not a square grid")
    cls, patches = pos_embed[:, :1], pos_embed[:, 1:]
    patches = patches.reshape(1, side, side, -1).permute(0, 3, 1, 2).float()
    patches = F.interpolate(patches, size=grid, mode="bicubic", align_corners=False)
    patches = patches.permute(0, 2, 3, 1).reshape(1, grid[0] * grid[1], -1)
    return torch.cat([cls, patches.to(pos_embed.dtype)], 1)


def _read(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupted files
        raise CheckpointError(f"{path} is not a readable checkpoint ({error})") from None


def _strip(state: dict[str, Any], prefixes: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for key, value in state.items():
        for prefix in prefixes:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        out[key] = value
    return out


def dino_backbone_state(payload: Any, path: str | Path = "<dino>") -> dict[str, torch.Tensor]:
    """The ViT backbone weights of a DINO file's content (either published layout)."""
    if not isinstance(payload, dict):
        raise CheckpointError(f"{path}: expected a state dict, got {type(payload).__name__}")
    if "teacher" in payload and isinstance(payload["teacher"], dict):
        state = _strip(payload["teacher"], ("module.",))
        state = {k[len("backbone.") :]: v for k, v in state.items() if k.startswith("backbone.")}
        if not state:
            raise CheckpointError(f"{path}: 'teacher' holds no 'backbone.' weights")
        return state
    return _strip(payload, ("module.", "backbone."))


def mae_backbone_state(payload: Any, path: str | Path = "<mae>") -> dict[str, torch.Tensor]:
    """The ViT encoder weights of an MAE file's content (``{"model": state_dict}``)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("model"), dict):
        found = sorted(payload)[:5] if isinstance(payload, dict) else type(payload).__name__
        raise CheckpointError(f"{path}: not an MAE checkpoint (no 'model' dict; found {found})")
    return _strip(payload["model"], ("module.",))


def load_backbone_state(
    model: VisionTransformer, state: dict[str, torch.Tensor], source: str
) -> dict[str, Any]:
    """Load backbone ``state`` into ``model`` (its head keeps its initialisation).

    Returns:
        ``{"loaded": n_tensors, "dropped": [...], "pos_embed_resized": bool}``.

    Raises:
        CheckpointError: missing or unexpected keys, or a shape mismatch, naming them.
    """
    dropped = sorted(k for k in state if k.startswith(DROPPED_PREFIXES))
    state = {k: v for k, v in state.items() if not k.startswith(DROPPED_PREFIXES)}
    expected = {k: v for k, v in model.state_dict().items() if not k.startswith(("head.",))}
    if isinstance(model.fc_norm, torch.nn.Identity):
        expected = {k: v for k, v in expected.items() if not k.startswith("fc_norm.")}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{source}: weights do not match the ViT ({len(model.blocks)} blocks, dim "
            f"{model.embed_dim}): missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    resized = False
    if state["pos_embed"].shape != expected["pos_embed"].shape:
        if state["pos_embed"].shape[-1] != expected["pos_embed"].shape[-1]:
            raise CheckpointError(
                f"{source}: 'pos_embed' has shape {tuple(state['pos_embed'].shape)}, the ViT "
                f"needs {tuple(expected['pos_embed'].shape)}"
            )
        grid = tuple(int(g) for g in model.patch_embed.grid_size)
        state["pos_embed"] = interpolate_pos_embed(state["pos_embed"], grid)
        resized = True
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{source}: '{key}' has shape {tuple(state[key].shape)}, the ViT needs "
                f"{tuple(tensor.shape)}"
            )
    model.load_state_dict(state, strict=False)
    return {"loaded": len(state), "dropped": dropped, "pos_embed_resized": resized}


def load_dino_checkpoint(path: str | Path, model: VisionTransformer) -> dict[str, Any]:
    """Load an official DINO ViT checkpoint file into ``model`` (see module docstring)."""
    return load_backbone_state(model, dino_backbone_state(_read(path), path), str(path))


def load_mae_checkpoint(path: str | Path, model: VisionTransformer) -> dict[str, Any]:
    """Load an official MAE ViT checkpoint file into ``model`` (see module docstring)."""
    return load_backbone_state(model, mae_backbone_state(_read(path), path), str(path))


def load_teacher_checkpoint(path: str | Path, model: VisionTransformer, kind: str):
    """Load a ``kind`` = ``"dino"`` or ``"mae"`` file (:func:`load_dino_checkpoint` or
    :func:`load_mae_checkpoint`)."""
    loaders = {"dino": load_dino_checkpoint, "mae": load_mae_checkpoint}
    if kind not in loaders:
        raise ValueError(f"unknown teacher checkpoint kind '{kind}' (dino or mae)")
    return loaders[kind](path, model)
