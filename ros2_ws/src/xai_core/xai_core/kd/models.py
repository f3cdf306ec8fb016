"""``nn.Module`` s of the SSL pre-training: DINO and MoCo v3 heads and the MAE wrapper.

The backbones are timm ViTs from :mod:`xai_core.kd.build`; these modules only add what the
pre-training objectives need and are dropped afterwards (the MAE decoder's weights are saved
with the ``decoder_`` / ``mask_token`` names of the official checkpoint, which the loader drops).
"""

from __future__ import annotations

import torch
from timm.layers import resample_abs_pos_embed
from timm.models.vision_transformer import Block, VisionTransformer
from torch import nn


def vit_features(vit: VisionTransformer, images: torch.Tensor) -> torch.Tensor:
    """``vit.forward_features`` for any input side divisible by the patch size.

    Inputs of the configured size go through timm unchanged; other sizes (DINO's small local
    crops) get the position embedding resampled to their patch grid, as DINO does.
    ``(B, C, H, W)`` -> ``(B, 1 + gh*gw, dim)`` tokens after the final norm.
    """
    if tuple(images.shape[-2:]) == tuple(vit.patch_embed.img_size):
        return vit.forward_features(images)
    p = int(vit.patch_embed.patch_size[0])
    grid = (images.shape[-2] // p, images.shape[-1] // p)
    x = vit.patch_embed.norm(vit.patch_embed.proj(images).flatten(2).transpose(1, 2))
    pos = resample_abs_pos_embed(vit.pos_embed, list(grid), num_prefix_tokens=1)
    x = torch.cat([vit.cls_token.expand(len(x), -1, -1), x], 1) + pos
    x = vit.blocks(vit.norm_pre(vit.pos_drop(x)))
    return vit.norm(x)


class DinoHead(nn.Module):
    """MLP -> L2-normalised bottleneck -> weight-normalised prototypes (DINO's head, smaller).

    ``use_bn`` adds BatchNorm after the hidden layers (DINO's ``use_bn_in_head``): it keeps the
    per-image outputs apart, which the small ViT on digits needs to escape the uniform collapse.
    ``(B, dim)`` features -> ``(B, out_dim)`` logits.
    """

    def __init__(
        self,
        dim: int,
        out_dim: int = 256,
        hidden: int = 256,
        bottleneck: int = 64,
        use_bn: bool = False,
    ) -> None:
        super().__init__()
        norm = (lambda: nn.BatchNorm1d(hidden)) if use_bn else nn.Identity
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), norm(), nn.GELU(), nn.Linear(hidden, hidden), norm(),
            nn.GELU(), nn.Linear(hidden, bottleneck),
        )  # fmt: skip
        self.last = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck, out_dim, False))
        self.last.parametrizations.weight.original0.data.fill_(1.0)
        self.last.parametrizations.weight.original0.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.normalize(self.mlp(x), dim=-1)
        return self.last(x)


class DinoModel(nn.Module):
    """ViT backbone (class-token features, no classifier) + :class:`DinoHead`."""

    def __init__(
        self, backbone: VisionTransformer, out_dim: int = 256, use_bn: bool = False
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = DinoHead(backbone.embed_dim, out_dim, use_bn=use_bn)

    def forward(self, images: torch.Tensor, with_features: bool = False):
        """``(B, C, H, W)`` (any side divisible by the patch size) -> ``(B, out_dim)``, and the
        ``(B, dim)`` class-token features too when ``with_features``."""
        feats = self.backbone.forward_head(vit_features(self.backbone, images), True)
        out = self.head(feats)
        return (out, feats) if with_features else out


class MocoModel(nn.Module):
    """ViT backbone + projection MLP (+ prediction MLP on the query side), MoCo v3 style.

    ``(B, C, H, W)`` -> ``(B, out_dim)``; the EMA key encoder is a copy without ``predictor``.
    """

    def __init__(self, backbone: VisionTransformer, out_dim: int = 128, hidden: int = 256):
        super().__init__()
        self.backbone = backbone
        dim = backbone.embed_dim
        self.projector = nn.Sequential(
            nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, out_dim)
        )
        self.predictor = nn.Sequential(
            nn.Linear(out_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
            nn.Linear(hidden, out_dim),
        )  # fmt: skip

    def forward(self, images: torch.Tensor, predict: bool = True) -> torch.Tensor:
        x = self.backbone.forward_head(self.backbone.forward_features(images), True)
        x = self.projector(x)
        return self.predictor(x) if predict else x


class MaskedAutoencoder(nn.Module):
    """MAE around a timm ViT encoder: random masking, a small Transformer decoder, pixel targets.

    Args:
        encoder: the ViT (its class token, pos_embed and blocks are used, not its head).
        decoder_dim, decoder_depth, decoder_heads: decoder sizes.
        mask_ratio: share of patches hidden from the encoder.
    """

    def __init__(
        self,
        encoder: VisionTransformer,
        decoder_dim: int = 48,
        decoder_depth: int = 2,
        decoder_heads: int = 3,
        mask_ratio: float = 0.75,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.mask_ratio = mask_ratio
        self.patch = int(encoder.patch_embed.patch_size[0])
        self.in_chans = int(encoder.patch_embed.proj.in_channels)
        n = encoder.patch_embed.num_patches
        self.decoder_embed = nn.Linear(encoder.embed_dim, decoder_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_dim))
        self.decoder_pos_embed = nn.Parameter(torch.randn(1, n + 1, decoder_dim) * 0.02)
        self.decoder_blocks = nn.ModuleList(
            Block(decoder_dim, decoder_heads, 4.0, qkv_bias=True) for _ in range(decoder_depth)
        )
        self.decoder_norm = nn.LayerNorm(decoder_dim)
        self.decoder_pred = nn.Linear(decoder_dim, self.patch**2 * self.in_chans)
        nn.init.normal_(self.mask_token, std=0.02)

    def patchify(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, L, p*p*C)`` row-major patches."""
        b, c, h, w = images.shape
        p = self.patch
        x = images.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(b, (h // p) * (w // p), p * p * c)

    def forward(
        self, images: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Predicted patches ``(B, L, p*p*C)`` and the mask ``(B, L)`` (1 = hidden)."""
        enc = self.encoder
        x = enc.patch_embed(images) + enc.pos_embed[:, 1:]
        b, n, d = x.shape
        keep = max(1, round(n * (1 - self.mask_ratio)))
        noise = torch.rand(b, n, generator=generator, device=x.device)
        shuffle = noise.argsort(1)
        restore = shuffle.argsort(1)
        kept = torch.gather(x, 1, shuffle[:, :keep, None].expand(-1, -1, d))
        cls = (enc.cls_token + enc.pos_embed[:, :1]).expand(b, -1, -1)
        x = enc.norm(enc.blocks(torch.cat([cls, kept], 1)))
        x = self.decoder_embed(x)
        tokens = torch.cat([x[:, 1:], self.mask_token.expand(b, n - keep, -1)], 1)
        tokens = torch.gather(tokens, 1, restore[:, :, None].expand(-1, -1, x.shape[-1]))
        x = torch.cat([x[:, :1], tokens], 1) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            x = block(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:]
        mask = torch.ones(b, n, device=x.device)
        mask[:, :keep] = 0
        return pred, torch.gather(mask, 1, restore)

    def checkpoint_state(self) -> dict[str, torch.Tensor]:
        """The official MAE layout: encoder keys as timm names them, decoder keys prefixed."""
        state = {k: v for k, v in self.encoder.state_dict().items() if not k.startswith("head.")}
        for k, v in self.state_dict().items():
            if not k.startswith("encoder."):
                state[k] = v
        return {k: v.detach().cpu().clone() for k, v in state.items()}
