"""Attention maps of timm ViT blocks, attention confidence, token-grid matching, distance.

timm's ``Attention`` runs fused ``scaled_dot_product_attention`` and never materialises the
softmax. :class:`AttentionRecorder` hooks the (identity) ``q_norm`` / ``k_norm`` modules every
``Attention.forward`` calls, keeps the normalised queries and keys of the chosen blocks, and
computes ``softmax(q k^T * scale)`` on request: exactly the weights the fused kernel applies
(no attention mask / dropout in these models), differentiable when the forward pass was.

All attention tensors are ``(B, heads, N, N)`` float rows (query) summing to 1 over keys, token 0
the class token, tokens ``1..`` the patches in row-major grid order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import VisionTransformer
from torch.utils.hooks import RemovableHandle


class AttentionRecorder:
    """Context manager recording the attention of ``layers`` (block indices, negative allowed).

    Usage::

        with AttentionRecorder(model, [-1]) as rec:
            logits = model(images)
        attn = rec.attention(-1)  # (B, heads, N, N)
    """

    def __init__(self, model: VisionTransformer, layers: Iterable[int] | None = None) -> None:
        depth = len(model.blocks)
        chosen = range(depth) if layers is None else layers
        self.layers = sorted({i % depth for i in chosen})
        self.model = model
        self._q: dict[int, torch.Tensor] = {}
        self._k: dict[int, torch.Tensor] = {}
        self._handles: list[RemovableHandle] = []

    def __enter__(self) -> AttentionRecorder:
        for i in self.layers:
            attn = self.model.blocks[i].attn
            self._handles.append(attn.q_norm.register_forward_hook(self._store(self._q, i)))
            self._handles.append(attn.k_norm.register_forward_hook(self._store(self._k, i)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @staticmethod
    def _store(target: dict[int, torch.Tensor], index: int):
        def hook(_module: torch.nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            target[index] = output  # (B, heads, N, head_dim)

        return hook

    def attention(self, layer: int) -> torch.Tensor:
        """``(B, heads, N, N)`` softmax attention of block ``layer`` from the last forward.

        Raises:
            KeyError: the block was not recorded, or no forward pass ran inside the context.
        """
        index = layer % len(self.model.blocks)
        if index not in self._q:
            raise KeyError(f"block {layer} not recorded (recorded: {self.layers}) or no forward")
        scale = self.model.blocks[index].attn.scale
        q, k = self._q[index], self._k[index]
        return (q @ k.transpose(-2, -1) * scale).softmax(dim=-1)

    def all_attention(self) -> list[torch.Tensor]:
        """Attention of every recorded block, in block order."""
        return [self.attention(i) for i in self.layers]


def attention_maps(
    model: VisionTransformer, images: torch.Tensor, layers: Iterable[int] | None = None
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Logits ``(B, classes)`` and attention ``(B, heads, N, N)`` of ``layers`` (default all)."""
    with AttentionRecorder(model, layers) as recorder:
        logits = model(images)
    return logits, recorder.all_attention()


def attention_confidence(attn: torch.Tensor) -> torch.Tensor:
    """Attention confidence per head (Voita et al. 2019; research eq. 2), averaged over the batch.

    ``C_h = mean_q max_k A_h(q, k)``.

    Args:
        attn: ``(B, heads, N, N)`` attention.

    Returns:
        ``(heads,)`` float in ``[1/N, 1]``.
    """
    return attn.amax(dim=-1).mean(dim=(0, 2))


def most_confident_head(attn: torch.Tensor) -> tuple[int, torch.Tensor]:
    """Index of the head with the highest :func:`attention_confidence` and its ``(B, N, N)`` map."""
    head = int(attention_confidence(attn).argmax())
    return head, attn[:, head]


def _resize_grid(x: torch.Tensor, src: Sequence[int], dst: Sequence[int]) -> torch.Tensor:
    """Resize the trailing token axis of ``x`` (``(M, gh*gw)``) from grid ``src`` to ``dst``."""
    if tuple(src) == tuple(dst):
        return x
    m = x.shape[0]
    grid = x.reshape(m, 1, src[0], src[1])
    if dst[0] <= src[0] and dst[1] <= src[1]:
        out = F.adaptive_avg_pool2d(grid, tuple(dst))  # area average of the covered patches
    else:
        out = F.interpolate(grid, size=tuple(dst), mode="bilinear", align_corners=False)
    return out.reshape(m, dst[0] * dst[1])


def match_attention_grid(
    attn: torch.Tensor, src_grid: Sequence[int], dst_grid: Sequence[int], eps: float = 1e-8
) -> torch.Tensor:
    """Bring a class-token attention map from patch grid ``src_grid`` to ``dst_grid``.

    The teacher and the student may cut the image into different patch grids (here 8x8 vs 4x4),
    so their maps have different token counts. The class token's row and column are kept as
    they are; the patch-query rows and patch-key columns are each resampled on their 2-D grid
    (area averaging when shrinking, bilinear interpolation when growing), then every row is
    renormalised to sum to 1 over the ``1 + dst`` keys (the patch keys' share of a row is scaled
    back to what it was before resampling, so the class-token weight is unchanged).

    Args:
        attn: ``(..., 1 + gh*gw, 1 + gh*gw)`` attention rows over keys.
        src_grid: ``(gh, gw)`` of ``attn``.
        dst_grid: ``(gh', gw')`` wanted.

    Returns:
        ``(..., 1 + gh'*gw', 1 + gh'*gw')`` rows summing to 1.
    """
    n_src = src_grid[0] * src_grid[1]
    if attn.shape[-1] != 1 + n_src or attn.shape[-2] != 1 + n_src:
        raise ValueError(f"attention of shape {tuple(attn.shape)} is not 1 + {src_grid} tokens")
    if tuple(src_grid) == tuple(dst_grid):
        return attn
    lead = attn.shape[:-2]
    a = attn.reshape(-1, 1 + n_src, 1 + n_src)
    m = a.shape[0]
    # Keys: resample the patch columns of every row, keep the patch mass of the row.
    cls_key = a[:, :, :1]
    patch_keys = a[:, :, 1:]
    mass = patch_keys.sum(-1, keepdim=True)
    resized = _resize_grid(patch_keys.reshape(-1, n_src), src_grid, dst_grid)
    resized = resized.reshape(m, 1 + n_src, -1).clamp_min(0)
    resized = resized / resized.sum(-1, keepdim=True).clamp_min(eps) * mass
    a = torch.cat([cls_key, resized], dim=-1)  # (m, 1 + n_src, 1 + n_dst)
    # Queries: resample the patch rows (an average of rows is still a distribution).
    n_dst = dst_grid[0] * dst_grid[1]
    patch_rows = a[:, 1:, :].transpose(1, 2).reshape(-1, n_src)  # (m * (1+n_dst), n_src)
    patch_rows = _resize_grid(patch_rows, src_grid, dst_grid).reshape(m, 1 + n_dst, n_dst)
    a = torch.cat([a[:, :1, :], patch_rows.transpose(1, 2)], dim=1)
    a = a.clamp_min(0)
    a = a / a.sum(-1, keepdim=True).clamp_min(eps)
    return a.reshape(*lead, 1 + n_dst, 1 + n_dst)


def attention_kl(target: torch.Tensor, student: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``KL(target || student)`` summed over keys, averaged over queries and the batch.

    Args:
        target: ``(B, N, N)`` teacher rows (no gradient is taken through it).
        student: ``(B, N, N)`` student rows, same shape.
    """
    if target.shape != student.shape:
        raise ValueError(f"attention shapes differ: {tuple(target.shape)} vs {student.shape}")
    target = target.detach()
    kl = target * (torch.log(target + eps) - torch.log(student + eps))
    return kl.sum(-1).mean()


def patch_distances(grid: Sequence[int], patch_px: float) -> torch.Tensor:
    """``(gh*gw, gh*gw)`` Euclidean distance in input pixels between patch centres."""
    rows, cols = torch.meshgrid(
        torch.arange(grid[0], dtype=torch.float32),
        torch.arange(grid[1], dtype=torch.float32),
        indexing="ij",
    )
    centres = torch.stack([rows.reshape(-1), cols.reshape(-1)], 1) * patch_px
    return torch.cdist(centres, centres)


def attention_distance(attn: torch.Tensor, grid: Sequence[int], patch_px: float) -> float:
    """Mean attention distance (Dosovitskiy et al. 2021; research fig. 1), pixels.

    Patch queries only; each query's weights over the patch keys (class-token key dropped,
    renormalised to 1) times the query-key pixel distance, summed over keys and averaged over
    queries, heads and the batch.

    Args:
        attn: ``(B, heads, 1 + gh*gw, 1 + gh*gw)`` attention of one block.
    """
    weights = attn[..., 1:, 1:]
    weights = weights / weights.sum(-1, keepdim=True).clamp_min(1e-8)
    distance = patch_distances(grid, patch_px).to(weights)
    return float((weights * distance).sum(-1).mean())


def cls_attention_map(attn: torch.Tensor, grid: Sequence[int]) -> torch.Tensor:
    """``(B, gh, gw)`` class-token attention over the patches, averaged over heads, max 1."""
    cls = attn[:, :, 0, 1:].mean(1).reshape(-1, grid[0], grid[1])
    return cls / cls.amax(dim=(1, 2), keepdim=True).clamp_min(1e-12)
