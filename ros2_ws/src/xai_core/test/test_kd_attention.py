"""Attention maps from timm blocks, attention confidence, grid matching, attention distance."""

from __future__ import annotations

import pytest
import torch

from xai_core.kd.attention import (
    AttentionRecorder,
    attention_confidence,
    attention_distance,
    attention_kl,
    cls_attention_map,
    match_attention_grid,
    most_confident_head,
    patch_distances,
)
from xai_core.kd.build import build_vit

torch.set_num_threads(1)


def _model(**kw):
    torch.manual_seed(0)
    return build_vit("kd_nano", **kw).eval()


def test_recorder_matches_the_unfused_softmax_and_keeps_the_output() -> None:
    model = _model()
    x = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        fused_logits = model(x)
    with AttentionRecorder(model) as rec, torch.no_grad():
        logits = model(x)
    recorded = rec.all_attention()
    # Reference: timm's own unfused path, softmax read from attn_drop's input.
    seen = []
    for block in model.blocks:
        block.attn.fused_attn = False
        block.attn.attn_drop.register_forward_hook(lambda m, i, o: seen.append(i[0]))
    with torch.no_grad():
        unfused_logits = model(x)
    assert torch.allclose(logits, fused_logits) and torch.allclose(
        logits, unfused_logits, atol=1e-5
    )
    assert len(recorded) == len(seen) == 2
    for got, ref in zip(recorded, seen, strict=True):
        assert got.shape == (3, 2, 17, 17)
        assert torch.allclose(got, ref, atol=1e-5)
        assert torch.allclose(got.sum(-1), torch.ones(3, 2, 17))


def test_recorder_is_differentiable_and_removes_its_hooks() -> None:
    model = _model().train()
    with AttentionRecorder(model, [-1]) as rec:
        model(torch.randn(2, 3, 16, 16))
    rec.attention(-1)[:, 0, 0, 1].sum().backward()
    assert model.blocks[-1].attn.qkv.weight.grad.abs().sum() > 0
    # Nothing after the attention weights of the last block is on the path.
    assert model.head.weight.grad is None and model.blocks[-1].mlp.fc2.weight.grad is None
    with pytest.raises(KeyError):
        rec.attention(0)
    assert not model.blocks[-1].attn.q_norm._forward_hooks


def test_attention_confidence_ranks_a_peaked_head_first() -> None:
    n = 5
    uniform = torch.full((2, 1, n, n), 1.0 / n)
    peaked = torch.eye(n).expand(2, 1, n, n)
    attn = torch.cat([uniform, peaked, 0.5 * uniform + 0.5 * peaked], 1)
    conf = attention_confidence(attn)
    assert torch.allclose(conf, torch.tensor([1 / n, 1.0, 0.5 + 0.5 / n]))
    head, chosen = most_confident_head(attn)
    assert head == 1 and torch.equal(chosen, attn[:, 1])


def _random_attention(b: int, n: int) -> torch.Tensor:
    return torch.randn(b, n, n).softmax(-1)


def test_match_grid_shrinks_keeps_cls_and_renormalises() -> None:
    torch.manual_seed(0)
    attn = _random_attention(2, 1 + 64)
    out = match_attention_grid(attn, (8, 8), (4, 4))
    assert out.shape == (2, 17, 17)
    assert torch.allclose(out.sum(-1), torch.ones(2, 17), atol=1e-6)
    assert torch.allclose(out[:, 0, 0], attn[:, 0, 0], atol=1e-6)  # CLS->CLS weight kept
    # Patch mass of the CLS row is summed within each 2x2 block of teacher patches.
    cls_patches = attn[:, 0, 1:].reshape(2, 4, 2, 4, 2).sum((2, 4)).reshape(2, 16)
    assert torch.allclose(out[:, 0, 1:], cls_patches, atol=1e-6)
    # A teacher whose every query looks at patch (0, 0): student queries look at patch (0, 0).
    focused = torch.zeros(1, 65, 65)
    focused[:, :, 1] = 1.0
    f = match_attention_grid(focused, (8, 8), (4, 4))
    assert torch.allclose(f[0, :, 1], torch.ones(17)) and f[0, :, 2:].abs().max() < 1e-6


def test_match_grid_grows_identity_and_shape_errors() -> None:
    attn = _random_attention(3, 5)
    grown = match_attention_grid(attn, (2, 2), (4, 4))
    assert grown.shape == (3, 17, 17) and torch.allclose(grown.sum(-1), torch.ones(3, 17))
    assert match_attention_grid(attn, (2, 2), (2, 2)) is attn
    with pytest.raises(ValueError, match="not 1"):
        match_attention_grid(attn, (3, 3), (2, 2))


def test_attention_kl_is_zero_only_for_equal_maps() -> None:
    a, b = _random_attention(2, 6), _random_attention(2, 6)
    assert attention_kl(a, a).abs() < 1e-6
    assert attention_kl(a, b) > 0.01
    with pytest.raises(ValueError):
        attention_kl(a, b[:, :5, :5])


def test_attention_distance_in_pixels() -> None:
    grid, px = (3, 3), 4.0
    d = patch_distances(grid, px)
    assert d[0, 1] == 4.0 and d[0, 8] == pytest.approx(4.0 * 2**0.5 * 2)
    self_attn = torch.zeros(1, 1, 10, 10)
    self_attn[0, 0, torch.arange(10), torch.arange(10)] = 1.0
    assert attention_distance(self_attn, grid, px) == pytest.approx(0.0)
    # Every patch query attends to patch 0 (plus some CLS, which is ignored).
    to_first = torch.zeros(1, 1, 10, 10)
    to_first[..., 0], to_first[..., 1] = 0.5, 0.5
    expected = float(d[:, 0].mean())
    assert attention_distance(to_first, grid, px) == pytest.approx(expected, rel=1e-5)


def test_cls_attention_map_shape_and_scale() -> None:
    attn = _random_attention(2, 17)[:, None].repeat(1, 3, 1, 1)
    cls_map = cls_attention_map(attn, (4, 4))
    assert cls_map.shape == (2, 4, 4)
    assert torch.allclose(cls_map.amax(dim=(1, 2)), torch.ones(2))
