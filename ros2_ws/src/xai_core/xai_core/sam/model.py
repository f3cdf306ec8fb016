"""The box-tolerance prompt token of issue #9 (``nn.Module`` only; sizes in :mod:`.build`).

SAM's prompt encoder turns a box into two sparse tokens (its corners: positional encoding plus
SAM's *learned embeddings* ``point_embeddings[2]`` / ``[3]``). Prompt tuning adds one more learned
vector: a ``token_dim``-dimensional (128) parameter, mapped by a linear layer to the prompt
embedding size (256), added to every sparse embedding of the prompt. Training it together with
the mask decoder, on boxes resized at random, teaches the decoder that box edges are only
approximate.
"""

from __future__ import annotations

import torch
from segment_anything.modeling import PromptEncoder
from torch import nn


class BoxToleranceToken(nn.Module):
    """A learnable ``(token_dim,)`` vector mapped to ``(embed_dim,)`` by a linear layer.

    Initialised small (std 0.02 token, zero bias) so that a freshly added token barely changes a
    pre-trained SAM.
    """

    def __init__(self, token_dim: int = 128, embed_dim: int = 256) -> None:
        super().__init__()
        self.token = nn.Parameter(torch.randn(token_dim) * 0.02)
        self.proj = nn.Linear(token_dim, embed_dim)
        nn.init.zeros_(self.proj.bias)

    def forward(self) -> torch.Tensor:
        """``(embed_dim,)`` float: the embedding added to each sparse prompt token."""
        return self.proj(self.token)


class PromptTunedPromptEncoder(nn.Module):
    """SAM's :class:`PromptEncoder` with a :class:`BoxToleranceToken` added to its sparse output.

    A drop-in replacement (same ``forward`` / ``get_dense_pe`` and attributes), so
    :class:`segment_anything.SamPredictor` and :class:`segment_anything.modeling.Sam` use it
    unchanged. State-dict keys: the wrapped encoder's under ``base.`` and the token's under
    ``tolerance.``.
    """

    def __init__(self, base: PromptEncoder, token_dim: int = 128) -> None:
        super().__init__()
        self.base = base
        self.tolerance = BoxToleranceToken(token_dim, base.embed_dim)

    def __getattr__(self, name: str):  # embed_dim, image_embedding_size, ... of the base
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(super().__getattr__("base"), name)

    def get_dense_pe(self) -> torch.Tensor:
        """``(1, C, h, w)`` positional encoding of the image embedding grid."""
        return self.base.get_dense_pe()

    def forward(
        self,
        points: tuple[torch.Tensor, torch.Tensor] | None,
        boxes: torch.Tensor | None,
        masks: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sparse ``(B, N, C)`` (+ tolerance embedding) and dense ``(B, C, h, w)`` embeddings."""
        sparse, dense = self.base(points=points, boxes=boxes, masks=masks)
        return sparse + self.tolerance().to(sparse.dtype), dense
