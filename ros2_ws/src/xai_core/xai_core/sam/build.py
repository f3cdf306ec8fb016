"""SAM sizes in one registry, built with ``segment-anything``'s own modules.

``vit_b`` / ``vit_l`` / ``vit_h`` are the published configurations (1024 px input, load the
official ``sam_vit_*.pth`` files); ``sam_small`` is this machine's configuration: a 256 px input,
a 192-wide, 4-deep image encoder (16x16 embedding grid) and SAM's unchanged prompt encoder and
mask decoder (prompt embedding size 256). All configurations can carry the box-tolerance prompt
token of :mod:`.model`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import torch
from segment_anything.modeling import (
    ImageEncoderViT,
    MaskDecoder,
    PromptEncoder,
    Sam,
    TwoWayTransformer,
)

from xai_core.checkpoint_io import CheckpointError, check_state_dict

from .model import PromptTunedPromptEncoder

PROMPT_EMBED_DIM = 256
PATCH_SIZE = 16


@dataclass(frozen=True)
class SamConfig:
    """Image-encoder size of one SAM variant (the prompt encoder and mask decoder are fixed)."""

    image_size: int  # square input side after resize-longest-side + padding (pixels)
    embed_dim: int
    depth: int
    num_heads: int
    global_attn_indexes: tuple[int, ...]
    window_size: int


SAM_CONFIGS: dict[str, SamConfig] = {
    "vit_b": SamConfig(1024, 768, 12, 12, (2, 5, 8, 11), 14),
    "vit_l": SamConfig(1024, 1024, 24, 16, (5, 11, 17, 23), 14),
    "vit_h": SamConfig(1024, 1280, 32, 16, (7, 15, 23, 31), 14),
    "sam_small": SamConfig(256, 192, 4, 3, (1, 3), 8),
}


def build_sam(
    name: str = "sam_small",
    prompt_token: bool = True,
    token_dim: int = 128,
    checkpoint: str | Path | None = None,
) -> Sam:
    """A SAM of registry ``name`` (eval mode, CPU), random weights unless ``checkpoint``.

    Args:
        prompt_token: wrap the prompt encoder in :class:`PromptTunedPromptEncoder`.
        checkpoint: an official ``segment-anything`` state dict (``sam_vit_b_01ec64.pth`` ...),
            loaded into the SAM part; the prompt token (if any) keeps its initialisation.

    Raises:
        KeyError: unknown ``name``.
        CheckpointError: the checkpoint does not fit the configuration.
    """
    if name not in SAM_CONFIGS:
        raise KeyError(f"unknown SAM '{name}'; known: {', '.join(SAM_CONFIGS)}")
    cfg = SAM_CONFIGS[name]
    grid = cfg.image_size // PATCH_SIZE
    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=cfg.depth,
            embed_dim=cfg.embed_dim,
            img_size=cfg.image_size,
            mlp_ratio=4,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
            num_heads=cfg.num_heads,
            patch_size=PATCH_SIZE,
            qkv_bias=True,
            use_rel_pos=True,
            global_attn_indexes=cfg.global_attn_indexes,
            window_size=cfg.window_size,
            out_chans=PROMPT_EMBED_DIM,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=PROMPT_EMBED_DIM,
            image_embedding_size=(grid, grid),
            input_image_size=(cfg.image_size, cfg.image_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3,
            transformer=TwoWayTransformer(
                depth=2, embedding_dim=PROMPT_EMBED_DIM, mlp_dim=2048, num_heads=8
            ),
            transformer_dim=PROMPT_EMBED_DIM,
            iou_head_depth=3,
            iou_head_hidden_dim=256,
        ),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    if checkpoint is not None:
        load_official_weights(sam, checkpoint)
    if prompt_token:
        sam.prompt_encoder = PromptTunedPromptEncoder(sam.prompt_encoder, token_dim)
    return sam.eval()


def load_official_weights(sam: Sam, path: str | Path) -> None:
    """Load an official ``segment-anything`` checkpoint (a plain state dict) into ``sam``.

    The published files hold ``image_encoder.*``, ``prompt_encoder.*`` and ``mask_decoder.*``
    keys for a SAM *without* the prompt token; ``sam`` must not be wrapped yet.

    Raises:
        CheckpointError: unreadable file, not a state dict, missing / unexpected keys or a
            shape mismatch (e.g. a vit_l file for a vit_b model), naming the first offender.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"SAM checkpoint {path} does not exist")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for corrupted files
        raise CheckpointError(f"{path} is not a readable checkpoint ({error})") from None
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]  # some fine-tuning repos wrap the state dict
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path} is not a SAM state dict (a mapping of names to tensors)")
    check_state_dict(sam.state_dict(), state, str(path), "this SAM (another variant?)")
    sam.load_state_dict(state)


def config_dict(name: str) -> dict:
    """The registry entry ``name`` as a plain dict (for manifests)."""
    return asdict(SAM_CONFIGS[name])
