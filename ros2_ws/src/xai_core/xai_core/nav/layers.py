"""Transformer building blocks that return their attention weights (``nn.Module`` only).

``torch.nn.TransformerEncoderLayer`` hides its attention; explanation needs it, so these small
pre-norm blocks wrap ``nn.MultiheadAttention`` with ``need_weights=True`` and return the weights
per head. Shapes: B batch, N tokens, Q queries, D model width, H heads.
"""

from __future__ import annotations

import torch
from torch import nn


class MLP(nn.Module):
    """Two-layer perceptron ``D -> hidden -> D`` with GELU."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class EncoderBlock(nn.Module):
    """Pre-norm self-attention block.

    ``forward(x: (B, N, D)) -> (x: (B, N, D), attention: (B, H, N, N))``; each attention row
    (a query token) sums to 1 over the N keys. ``need_weights=False`` returns None instead.
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, int(dim * mlp_ratio))

    def forward(
        self, x: torch.Tensor, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.norm1(x)
        # need_weights=False lets PyTorch use the fused attention kernel (training fast path).
        out, attention = self.attn(h, h, h, need_weights=need_weights, average_attn_weights=False)
        x = x + out
        x = x + self.mlp(self.norm2(x))
        return x, attention


class DecoderBlock(nn.Module):
    """Pre-norm decoder block: query self-attention, cross-attention to memory, MLP.

    ``forward(queries: (B, Q, D), memory: (B, N, D))`` returns the updated queries, the query
    self-attention ``(B, H, Q, Q)`` and the cross-attention ``(B, H, Q, N)`` (rows sum to 1).
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 2.0) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.norm_memory = nn.LayerNorm(dim)
        self.cross_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm3 = nn.LayerNorm(dim)
        self.mlp = MLP(dim, int(dim * mlp_ratio))

    def forward(
        self, queries: torch.Tensor, memory: torch.Tensor, need_weights: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        h = self.norm1(queries)
        out, self_attention = self.self_attn(
            h, h, h, need_weights=need_weights, average_attn_weights=False
        )
        queries = queries + out
        h = self.norm2(queries)
        m = self.norm_memory(memory)
        out, cross_attention = self.cross_attn(
            h, m, m, need_weights=need_weights, average_attn_weights=False
        )
        queries = queries + out
        queries = queries + self.mlp(self.norm3(queries))
        return queries, self_attention, cross_attention


class PatchEmbed(nn.Module):
    """Split ``(B, C, S, S)`` images into ``P x P`` patches, embed each linearly.

    Returns ``(B, (S/P)^2, D)`` tokens in row-major grid order (token ``r * G + c`` is the patch
    at grid row ``r``, column ``c``; row 0 = top of the image).
    """

    def __init__(self, image_size: int, patch_size: int, channels: int, dim: int) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image size {image_size} is not a multiple of patch {patch_size}")
        self.grid = image_size // patch_size
        # A strided convolution is exactly "flatten each patch, then a shared linear layer".
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.proj(images).flatten(2).transpose(1, 2)


class ConvTokenizer(nn.Module):
    """The original AQT tokeniser: the DQN convolution stack, its 7x7 output cells as tokens.

    ``(B, C, 84, 84) -> (B, 49, D)`` (row-major 7x7 grid).
    """

    def __init__(self, channels: int, dim: int) -> None:
        super().__init__()
        self.grid = 7
        self.net = nn.Sequential(
            nn.Conv2d(channels, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, dim, 3, stride=1), nn.ReLU(),
        )  # fmt: skip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-2:] != (84, 84):
            raise ValueError(f"ConvTokenizer needs 84x84 images, got {tuple(images.shape[-2:])}")
        return self.net(images).flatten(2).transpose(1, 2)


class NatureCNN(nn.Module):
    """DQN (Mnih et al. 2015) convolution stack: ``(B, C, S, S) -> (B, out_features)``.

    84x84 gives the classic 64 x 7 x 7 = 3136 features.
    """

    def __init__(self, channels: int, image_size: int = 84) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(),
        )  # fmt: skip
        side = ((image_size - 8) // 4 + 1 - 4) // 2 + 1 - 2
        self.out_features = 64 * side * side

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)
