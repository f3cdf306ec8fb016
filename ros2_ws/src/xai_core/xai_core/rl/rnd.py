"""Random Network Distillation (Burda et al. 2019) and its sequence extension (issue #11).

* :class:`RunningMeanStd` - parallel running mean / variance (baselines / CleanRL).
* :class:`RewardForwardFilter` - discounted running sum of intrinsic rewards per environment;
  the intrinsic reward is divided by the running standard deviation of that return.
* :class:`RNDModel` - fixed random target network ``f_2`` and trained predictor ``f_1``; the
  input is a stack of ``seq_len`` states ``[s_t, ..., s_{t-n}]`` as channels (``seq_len = 1`` is
  plain RND, ``seq_len = n + 1`` sequence-RND). Intrinsic reward ``||f_1(c) - f_2(c)||^2``.
* :func:`normalize_obs` - whitening with the observation statistics, clipped to [-5, 5].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class RunningMeanStd:
    """Running mean and variance over the leading (batch) axis of ``(B, *shape)`` arrays."""

    def __init__(self, shape: tuple[int, ...] = (), epsilon: float = 1e-4) -> None:
        self.mean = np.zeros(shape, dtype=np.float64)
        self.var = np.ones(shape, dtype=np.float64)
        self.count = float(epsilon)

    def update(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64)
        self.update_from_moments(x.mean(axis=0), x.var(axis=0), x.shape[0])

    def update_from_moments(self, batch_mean: np.ndarray, batch_var: np.ndarray, n: int) -> None:
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean = self.mean + delta * n / total
        m2 = self.var * self.count + batch_var * n + np.square(delta) * self.count * n / total
        self.var = m2 / total
        self.count = total

    def state_dict(self) -> dict[str, np.ndarray | float]:
        return {"mean": self.mean.copy(), "var": self.var.copy(), "count": self.count}

    def load_state_dict(self, state: dict) -> None:
        self.mean = np.asarray(state["mean"], dtype=np.float64)
        self.var = np.asarray(state["var"], dtype=np.float64)
        self.count = float(state["count"])


class RewardForwardFilter:
    """``R <- gamma * R + r`` per environment (the non-episodic intrinsic return estimate)."""

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma
        self.rewems: np.ndarray | None = None

    def update(self, rews: np.ndarray) -> np.ndarray:
        """``rews`` ``(num_envs,)`` -> running discounted sums ``(num_envs,)``."""
        rews = np.asarray(rews, dtype=np.float64)
        self.rewems = rews.copy() if self.rewems is None else self.rewems * self.gamma + rews
        return self.rewems


class IntrinsicRewardNormalizer:
    """Divides intrinsic rewards by the running std of their discounted (non-episodic) return."""

    def __init__(self, gamma: float) -> None:
        self.filter = RewardForwardFilter(gamma)
        self.rms = RunningMeanStd(())

    def update(self, rewards: np.ndarray) -> None:
        """``rewards`` ``(T, num_envs)`` raw intrinsic rewards of one rollout, in time order."""
        returns = np.stack([self.filter.update(r) for r in np.asarray(rewards)])
        self.rms.update(returns.reshape(-1))

    def normalize(self, rewards: np.ndarray) -> np.ndarray:
        return np.asarray(rewards) / np.sqrt(self.rms.var + 1e-8)

    def state_dict(self) -> dict:
        return {"rms": self.rms.state_dict(), "rewems": self.filter.rewems}

    def load_state_dict(self, state: dict) -> None:
        self.rms.load_state_dict(state["rms"])
        self.filter.rewems = state["rewems"]


def normalize_obs(x: torch.Tensor, rms: RunningMeanStd, clip: float = 5.0) -> torch.Tensor:
    """Whiten ``x`` ``(B, *shape)`` (any dtype) with ``rms`` of ``shape``; float32, clipped."""
    mean = torch.as_tensor(rms.mean, dtype=torch.float32, device=x.device)
    std = torch.as_tensor(np.sqrt(rms.var + 1e-8), dtype=torch.float32, device=x.device)
    return ((x.float() - mean) / std).clamp(-clip, clip)


def _orthogonal(layer: nn.Module, gain: float = np.sqrt(2)) -> nn.Module:
    nn.init.orthogonal_(layer.weight, gain)
    nn.init.constant_(layer.bias, 0.0)
    return layer


def _trunk(in_shape: tuple[int, int, int], hidden: int) -> tuple[nn.Module, int]:
    """Leaky-ReLU conv trunk for Atari-sized inputs (>= 36 px), an MLP for small grids."""
    c, h, w = in_shape
    if min(h, w) >= 36:
        conv = nn.Sequential(
            _orthogonal(nn.Conv2d(c, 32, 8, stride=4)),
            nn.LeakyReLU(),
            _orthogonal(nn.Conv2d(32, 64, 4, stride=2)),
            nn.LeakyReLU(),
            _orthogonal(nn.Conv2d(64, 64, 3, stride=1)),
            nn.LeakyReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n = conv(torch.zeros(1, c, h, w)).shape[1]
        return conv, n
    mlp = nn.Sequential(nn.Flatten(), _orthogonal(nn.Linear(c * h * w, hidden)), nn.LeakyReLU())
    return mlp, hidden


class RNDModel(nn.Module):
    """Target ``f_2`` (frozen, random) and predictor ``f_1`` over ``(B, seq_len, H, W)`` inputs.

    Args:
        in_shape: ``(seq_len, H, W)``; the states of the sequence are stacked as channels.
        out_dim: embedding size.
        hidden: hidden width (MLP trunk and heads).
    """

    def __init__(self, in_shape: tuple[int, int, int], out_dim: int = 128, hidden: int = 256):
        super().__init__()
        t_trunk, n = _trunk(in_shape, hidden)
        self.target = nn.Sequential(t_trunk, _orthogonal(nn.Linear(n, out_dim)))
        p_trunk, n = _trunk(in_shape, hidden)
        self.predictor = nn.Sequential(
            p_trunk,
            _orthogonal(nn.Linear(n, hidden)),
            nn.ReLU(),
            _orthogonal(nn.Linear(hidden, hidden)),
            nn.ReLU(),
            _orthogonal(nn.Linear(hidden, out_dim)),
        )
        for p in self.target.parameters():
            p.requires_grad = False

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised input ``(B, seq_len, H, W)`` float32 -> ``(predicted, target)`` features
        ``(B, out_dim)`` each."""
        return self.predictor(x), self.target(x)

    @torch.no_grad()
    def intrinsic_reward(self, x: torch.Tensor) -> torch.Tensor:
        """``||f_1(c) - f_2(c)||^2`` per sample, ``(B,)`` float32 (research eq. 1)."""
        pred, target = self(x)
        return (pred - target).pow(2).sum(dim=1)

    def loss(self, x: torch.Tensor, update_proportion: float = 1.0) -> torch.Tensor:
        """Predictor MSE on a random ``update_proportion`` of the batch (RND's trick to keep the
        predictor from learning faster with more environments)."""
        pred, target = self(x)
        per_sample = (pred - target.detach()).pow(2).mean(dim=1)
        if update_proportion >= 1.0:
            return per_sample.mean()
        mask = (torch.rand(per_sample.shape[0], device=x.device) < update_proportion).float()
        return (per_sample * mask).sum() / mask.sum().clamp(min=1.0)
