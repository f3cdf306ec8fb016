"""Adaptation modes, distillation losses and the SSL objectives."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from xai_core.kd.adapt import forward_adapted, set_adaptation, trainable_parameters
from xai_core.kd.attention import AttentionRecorder, match_attention_grid
from xai_core.kd.build import build_vit
from xai_core.kd.losses import (
    AttentionTarget,
    attention_kd_loss,
    dino_loss,
    info_nce,
    kd_kl,
    koleo_loss,
    mae_loss,
    output_kd_loss,
)
from xai_core.kd.models import DinoModel, MaskedAutoencoder, MocoModel, vit_features

torch.set_num_threads(1)


def test_adaptation_modes_count_and_freeze() -> None:
    torch.manual_seed(0)
    model = build_vit("kd_nano", num_classes=10)
    head = 16 * 10 + 10
    block = sum(p.numel() for p in model.blocks[-1].parameters())
    total = sum(p.numel() for p in model.parameters())
    assert set_adaptation(model, "linear") == head
    assert set_adaptation(model, "partial1") == head + block + 2 * 16  # + final norm
    assert set_adaptation(model, "full") == total == trainable_parameters(model)
    with pytest.raises(ValueError, match="unknown adaptation"):
        set_adaptation(model, "partial2")
    x = torch.randn(2, 3, 16, 16)
    for mode in ("linear", "partial1"):
        set_adaptation(model, mode)
        model.zero_grad(set_to_none=True)
        out = forward_adapted(model, x, mode)
        assert torch.allclose(out, model(x), atol=1e-6)
        out.sum().backward()
        grads = {n for n, p in model.named_parameters() if p.grad is not None}
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        assert grads == trainable


def test_output_kd_weights_the_teachers() -> None:
    torch.manual_seed(0)
    s, cl, mim = torch.randn(4, 10), torch.randn(4, 10), torch.randn(4, 10)
    assert kd_kl(s, s).abs() < 1e-6 and kd_kl(cl, s) > 0
    manual = 0.5 * kd_kl(cl, s) + 0.5 * kd_kl(mim, s)
    assert torch.allclose(output_kd_loss(s, cl, mim, 0.5), manual)
    assert torch.allclose(output_kd_loss(s, cl, None, 1.0), kd_kl(cl, s))
    assert torch.allclose(output_kd_loss(s, cl, mim, 0.0), kd_kl(mim, s))
    # Temperature softens both: KL(T=4) * 16 equals the formula by hand.
    t = 4.0
    p = F.softmax(cl / t, -1)
    by_hand = (p * (p.log() - F.log_softmax(s / t, -1))).sum(-1).mean() * t * t
    assert torch.allclose(kd_kl(cl, s, t), by_hand, atol=1e-6)
    # The teacher receives no gradient from KD.
    cl.requires_grad_(True)
    output_kd_loss(s.requires_grad_(True), cl, None, 1.0).backward()
    assert cl.grad is None and s.grad.abs().sum() > 0


def test_attention_kd_default_uses_only_the_mim_teacher_into_head_2() -> None:
    torch.manual_seed(0)
    teacher_attn = torch.randn(2, 4, 65, 65).softmax(-1)
    teacher_attn[:, 2] = torch.eye(65)  # the most confident head
    student_logits = torch.randn(2, 3, 17, 17, requires_grad=True)
    student = student_logits.softmax(-1)
    cl = AttentionTarget(torch.randn(2, 4, 65, 65).softmax(-1), (8, 8))
    mim = AttentionTarget(teacher_attn, (8, 8))
    loss, heads = attention_kd_loss(student, (4, 4), cl, mim, lambda2=0.0)
    assert heads == {"mim_head": 2}
    loss.backward()
    grad = student_logits.grad
    assert (
        grad[:, 1].abs().sum() > 0 and grad[:, 0].abs().sum() == 0 and grad[:, 2].abs().sum() == 0
    )
    # A student head equal to the matched teacher head has zero loss.
    target = match_attention_grid(teacher_attn[:, 2], (8, 8), (4, 4))
    perfect = torch.stack([target, target, target], 1)
    zero, _ = attention_kd_loss(perfect, (4, 4), None, mim, 0.0)
    assert zero.abs() < 1e-5
    both, heads = attention_kd_loss(student.detach(), (4, 4), cl, mim, lambda2=0.5)
    assert set(heads) == {"cl_head", "mim_head"} and both > 0
    with pytest.raises(ValueError, match="2 heads"):
        attention_kd_loss(student[:, :1], (4, 4), cl, mim)


def test_student_attention_loss_trains_the_student() -> None:
    torch.manual_seed(0)
    student = build_vit("kd_nano")
    target = AttentionTarget(torch.eye(17).expand(4, 2, 17, 17).contiguous(), (4, 4))
    opt = torch.optim.Adam(student.parameters(), lr=1e-2)
    x = torch.randn(4, 3, 16, 16)
    losses = []
    for _ in range(15):
        with AttentionRecorder(student, [-1]) as rec:
            student(x)
        loss, _ = attention_kd_loss(rec.attention(-1), (4, 4), None, target, 0.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_ssl_objectives_run_and_learn() -> None:
    torch.manual_seed(0)
    x = torch.randn(4, 3, 16, 16)
    mae = MaskedAutoencoder(build_vit("kd_nano", num_classes=0), 8, 1, 2, mask_ratio=0.75)
    pred, mask = mae(x)
    assert pred.shape == (4, 16, 48) and mask.shape == (4, 16)
    assert torch.all(mask.sum(1) == 12)
    target = mae.patchify(x)
    assert torch.equal(target[0, 1], x[0, :, 0:4, 4:8].permute(1, 2, 0).reshape(-1))
    assert mae_loss(target, target, mask) == 0 and mae_loss(pred, target, mask) > 0
    dino = DinoModel(build_vit("kd_nano", num_classes=0), out_dim=32)
    out = [dino(x), dino(x.flip(-1))]
    center = torch.zeros(1, 32)
    loss = dino_loss(out, [o.detach() for o in out], center)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert dino.backbone.cls_token.grad.abs().sum() > 0
    moco = MocoModel(build_vit("kd_nano", num_classes=0), out_dim=8, hidden=16)
    q, k = moco(x), moco(x, predict=False)
    assert q.shape == k.shape == (4, 8)
    # InfoNCE: matching keys score lower than shuffled ones; no gradient into the keys.
    keys = torch.randn(4, 8, requires_grad=True)
    assert info_nce(keys * 5, keys) < info_nce(keys * 5, keys.roll(1, 0))
    info_nce(q, keys).backward()
    assert keys.grad is None and moco.backbone.cls_token.grad.abs().sum() > 0


def test_dino_multi_crop_head_and_local_crops() -> None:
    torch.manual_seed(0)
    vit = build_vit("kd_nano", num_classes=0).eval()
    x = torch.randn(4, 3, 16, 16)
    # the configured size goes through timm unchanged; a smaller local crop gets its own grid
    assert torch.equal(vit_features(vit, x), vit.forward_features(x))
    assert vit_features(vit, torch.randn(4, 3, 8, 8)).shape == (4, 1 + 2 * 2, 16)
    dino = DinoModel(build_vit("kd_nano", num_classes=0), out_dim=32, use_bn=True)
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in dino.head.modules())
    globals_ = list(dino(torch.cat([x, x.flip(-2)])).chunk(2))
    local = list(dino(torch.randn(8, 3, 8, 8)).chunk(2))
    # two teacher (global) targets against four student views: 2 * 4 - 2 same-view pairs
    loss = dino_loss(globals_ + local, [g.detach() for g in globals_], torch.zeros(1, 32))
    assert torch.isfinite(loss)
    loss.backward()
    assert dino.backbone.pos_embed.grad.abs().sum() > 0
    # a collapsed (constant) teacher gives the uniform target: loss ln(out_dim) for a uniform
    # student, which is what the committed DINO run must stay below
    flat = torch.zeros(4, 32)
    assert dino_loss([flat, flat], [flat, flat], torch.zeros(1, 32)) == pytest.approx(
        torch.log(torch.tensor(32.0)).item(), rel=1e-5
    )


def test_koleo_prefers_spread_features() -> None:
    torch.manual_seed(0)
    spread = torch.eye(8)
    clustered = torch.ones(8, 8) + 0.01 * torch.randn(8, 8)
    assert koleo_loss(spread) < koleo_loss(clustered)
    x = clustered.clone().requires_grad_(True)
    koleo_loss(x).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
