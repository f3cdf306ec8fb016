"""Losses of the multi-teacher distillation (research eqs. 1, 3, 4) and of the SSL pre-training.

Distributions are over the classes (output KD) or the keys (attention KD); every KL is
``KL(teacher || student)`` with the teacher detached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .attention import attention_kl, match_attention_grid, most_confident_head


def kd_kl(teacher_logits: torch.Tensor, student_logits: torch.Tensor, temperature: float = 1.0):
    """``T^2 * KL(softmax(t/T) || softmax(s/T))`` averaged over the batch (Hinton et al.)."""
    t = F.log_softmax(teacher_logits.detach() / temperature, dim=-1)
    s = F.log_softmax(student_logits / temperature, dim=-1)
    return F.kl_div(s, t, log_target=True, reduction="batchmean") * temperature**2


def output_kd_loss(
    student_logits: torch.Tensor,
    cl_logits: torch.Tensor | None,
    mim_logits: torch.Tensor | None,
    lambda1: float = 0.5,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Eq. 1: ``lambda1 KL(p_CL || p_S) + (1 - lambda1) KL(p_MIM || p_S)``.

    A missing teacher (None) contributes nothing; its weight is not given to the other one, so
    single-teacher KD passes ``lambda1 = 1`` (CL) or ``0`` (MIM).
    """
    loss = student_logits.new_zeros(())
    if cl_logits is not None and lambda1 != 0:
        loss = loss + lambda1 * kd_kl(cl_logits, student_logits, temperature)
    if mim_logits is not None and lambda1 != 1:
        loss = loss + (1 - lambda1) * kd_kl(mim_logits, student_logits, temperature)
    return loss


@dataclass
class AttentionTarget:
    """A teacher's attention of one block: ``(B, heads, 1 + gh*gw, 1 + gh*gw)`` and its grid."""

    attn: torch.Tensor
    grid: tuple[int, int]


def attention_kd_loss(
    student_attn: torch.Tensor,
    student_grid: Sequence[int],
    cl: AttentionTarget | None,
    mim: AttentionTarget | None,
    lambda2: float = 0.0,
) -> tuple[torch.Tensor, dict[str, int]]:
    """Eq. 3: ``lambda2 KL(A_CL || A_S1) + (1 - lambda2) KL(A_MIM || A_S2)``.

    Each teacher's head with the highest attention confidence (eq. 2, batch mean) is resampled
    to the student's patch grid (:func:`match_attention_grid`) and distilled into student head 0
    (CL) or head 1 (MIM). A teacher whose weight is 0 is skipped (the default ``lambda2 = 0``
    uses only the MIM teacher).

    Args:
        student_attn: ``(B, heads >= 2, N_s, N_s)`` student attention (with gradient).

    Returns:
        The loss and the chosen teacher heads (``{"cl_head": h, "mim_head": h}`` when used).
    """
    if student_attn.shape[1] < 2:
        raise ValueError("attention KD needs a student with at least 2 heads")
    loss = student_attn.new_zeros(())
    heads: dict[str, int] = {}
    for key, target, weight, student_head in (
        ("cl_head", cl, lambda2, 0),
        ("mim_head", mim, 1.0 - lambda2, 1),
    ):
        if target is None or weight == 0:
            continue
        head, chosen = most_confident_head(target.attn.detach())
        chosen = match_attention_grid(chosen, target.grid, student_grid)
        loss = loss + weight * attention_kl(chosen, student_attn[:, student_head])
        heads[key] = head
    return loss, heads


def dino_loss(
    student_out: Sequence[torch.Tensor],
    teacher_out: Sequence[torch.Tensor],
    center: torch.Tensor,
    student_temp: float = 0.1,
    teacher_temp: float = 0.04,
) -> torch.Tensor:
    """DINO cross-entropy between the centred, sharpened teacher and the student, over all
    pairs of different views; outputs ``(B, out_dim)`` per view."""
    total, pairs = 0.0, 0
    targets = [F.softmax((t.detach() - center) / teacher_temp, dim=-1) for t in teacher_out]
    for i, target in enumerate(targets):
        for j, s in enumerate(student_out):
            if i == j:
                continue
            total = total + torch.sum(-target * F.log_softmax(s / student_temp, dim=-1), -1).mean()
            pairs += 1
    return total / pairs


def koleo_loss(features: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """KoLeo regulariser (DINOv2): ``-mean_i log(min_j ||x_i - x_j||)`` over L2-normalised
    ``(B, D)`` features; it spreads the batch out and so works against DINO's collapse."""
    x = F.normalize(features, dim=-1)
    with torch.no_grad():
        sim = x @ x.T
        sim.fill_diagonal_(-2.0)
        nearest = sim.argmax(1)
    dist = (x - x[nearest]).norm(dim=-1)
    return -torch.log(dist + eps).mean()


def info_nce(query: torch.Tensor, key: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Contrastive InfoNCE (MoCo v3): ``query[i]`` must pick ``key[i]`` among the batch's keys.

    ``(B, D)`` each; keys are detached; scaled by ``2 * temperature`` as in MoCo v3.
    """
    q = F.normalize(query, dim=-1)
    k = F.normalize(key.detach(), dim=-1)
    logits = q @ k.T / temperature
    labels = torch.arange(len(q), device=q.device)
    return F.cross_entropy(logits, labels) * 2 * temperature


def mae_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared pixel error over the masked patches (MAE); ``mask`` ``(B, L)`` 1 = masked."""
    per_patch = ((pred - target) ** 2).mean(-1)
    return (per_patch * mask).sum() / mask.sum().clamp_min(1)
