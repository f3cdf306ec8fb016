"""PPO pieces for the curiosity experiments (issue #11), after CleanRL's ``ppo_rnd_envpool``.

* :func:`compute_gae` - generalised advantage estimation, episodic or not.
* :class:`ActorCritic` - shared trunk, policy logits and two value heads (extrinsic and
  intrinsic, as in RND).
* :class:`RolloutStorage` - preallocated ``(num_steps, num_envs, ...)`` rollout buffers.
* :func:`ppo_loss` - clipped surrogate + clipped-free value losses + entropy bonus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.distributions import Categorical

from .rnd import _orthogonal


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    lam: float,
    episodic: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016).

    Args:
        rewards: ``(T, N)`` reward of transition ``t``.
        values: ``(T, N)`` ``V(s_t)``.
        dones: ``(T, N)`` 1.0 where transition ``t`` ended the episode (no bootstrap from
            ``s_{t+1}``, which is then the first state of the next episode).
        last_value: ``(N,)`` ``V(s_T)`` of the state after the rollout.
        gamma, lam: discount and GAE lambda.
        episodic: False for the intrinsic stream (RND): episode ends are ignored.

    Returns:
        ``(advantages, returns)``, both ``(T, N)`` float32, ``returns = advantages + values``.
    """
    T = rewards.shape[0]
    advantages = torch.zeros_like(rewards, dtype=torch.float32)
    last_gae = torch.zeros_like(last_value, dtype=torch.float32)
    for t in reversed(range(T)):
        next_value = last_value if t == T - 1 else values[t + 1]
        nonterminal = torch.ones_like(last_gae) if not episodic else 1.0 - dones[t].float()
        delta = rewards[t] + gamma * next_value * nonterminal - values[t]
        last_gae = delta + gamma * lam * nonterminal * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


class ActorCritic(nn.Module):
    """Policy with extrinsic and intrinsic value heads over uint8 observations ``(B, C, H, W)``.

    Atari-sized inputs (>= 36 px) use the Nature-DQN conv trunk, small grids an MLP.
    """

    def __init__(self, obs_shape: tuple[int, int, int], num_actions: int, hidden: int = 256):
        super().__init__()
        c, h, w = obs_shape
        if min(h, w) >= 36:
            self.trunk = nn.Sequential(
                _orthogonal(nn.Conv2d(c, 32, 8, stride=4)),
                nn.ReLU(),
                _orthogonal(nn.Conv2d(32, 64, 4, stride=2)),
                nn.ReLU(),
                _orthogonal(nn.Conv2d(64, 64, 3, stride=1)),
                nn.ReLU(),
                nn.Flatten(),
            )
            with torch.no_grad():
                n = self.trunk(torch.zeros(1, c, h, w)).shape[1]
            self.trunk.append(_orthogonal(nn.Linear(n, hidden)))
            self.trunk.append(nn.ReLU())
        else:
            self.trunk = nn.Sequential(
                nn.Flatten(),
                _orthogonal(nn.Linear(c * h * w, hidden)),
                nn.ReLU(),
                _orthogonal(nn.Linear(hidden, hidden)),
                nn.ReLU(),
            )
        self.extra = nn.Sequential(_orthogonal(nn.Linear(hidden, hidden), 0.1), nn.ReLU())
        self.actor = _orthogonal(nn.Linear(hidden, num_actions), 0.01)
        self.critic_ext = _orthogonal(nn.Linear(hidden, 1), 0.01)
        self.critic_int = _orthogonal(nn.Linear(hidden, 1), 0.01)

    def _features(self, obs: torch.Tensor) -> torch.Tensor:
        return self.trunk(obs.float() / 255.0)

    def get_value(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(V_ext, V_int)``, each ``(B,)``."""
        h = self._features(obs)
        z = self.extra(h) + h
        return self.critic_ext(z).squeeze(-1), self.critic_int(z).squeeze(-1)

    def get_action_and_value(
        self, obs: torch.Tensor, action: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(action, log_prob, entropy, V_ext, V_int)``, each ``(B,)``; samples when
        ``action`` is None."""
        h = self._features(obs)
        dist = Categorical(logits=self.actor(h))
        if action is None:
            action = dist.sample()
        z = self.extra(h) + h
        return (
            action,
            dist.log_prob(action),
            dist.entropy(),
            self.critic_ext(z).squeeze(-1),
            self.critic_int(z).squeeze(-1),
        )


@dataclass
class RolloutStorage:
    """Rollout buffers on ``device``; ``rnd_inputs`` holds the raw uint8 RND input (the state
    sequence ``(seq_len, H, W)``) after each transition."""

    obs: torch.Tensor
    actions: torch.Tensor
    logprobs: torch.Tensor
    ext_rewards: torch.Tensor
    int_rewards: torch.Tensor
    dones: torch.Tensor
    ext_values: torch.Tensor
    int_values: torch.Tensor
    rnd_inputs: torch.Tensor | None

    @classmethod
    def create(
        cls,
        num_steps: int,
        num_envs: int,
        obs_shape: tuple[int, ...],
        rnd_shape: tuple[int, ...] | None,
        device: torch.device | str,
    ) -> RolloutStorage:
        def z(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
            return torch.zeros((num_steps, num_envs, *shape), dtype=dtype, device=device)

        return cls(
            obs=z(*obs_shape, dtype=torch.uint8),
            actions=z(dtype=torch.long),
            logprobs=z(),
            ext_rewards=z(),
            int_rewards=z(),
            dones=z(),
            ext_values=z(),
            int_values=z(),
            rnd_inputs=None if rnd_shape is None else z(*rnd_shape, dtype=torch.uint8),
        )


def ppo_loss(
    new_logprob: torch.Tensor,
    old_logprob: torch.Tensor,
    advantages: torch.Tensor,
    entropy: torch.Tensor,
    new_ext_value: torch.Tensor,
    ext_returns: torch.Tensor,
    new_int_value: torch.Tensor | None,
    int_returns: torch.Tensor | None,
    clip_coef: float,
    ent_coef: float,
    vf_coef: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO clipped objective (to minimise). All inputs ``(B,)``; the intrinsic value loss is
    added when its head is trained. Returns ``(loss, stats)``."""
    logratio = new_logprob - old_logprob
    ratio = logratio.exp()
    pg_loss = torch.max(
        -advantages * ratio, -advantages * ratio.clamp(1 - clip_coef, 1 + clip_coef)
    ).mean()
    v_loss = 0.5 * (new_ext_value - ext_returns).pow(2).mean()
    if new_int_value is not None and int_returns is not None:
        v_loss = v_loss + 0.5 * (new_int_value - int_returns).pow(2).mean()
    ent = entropy.mean()
    loss = pg_loss - ent_coef * ent + vf_coef * v_loss
    with torch.no_grad():
        approx_kl = ((ratio - 1) - logratio).mean().item()
        clipfrac = ((ratio - 1.0).abs() > clip_coef).float().mean().item()
    stats = {
        "pg_loss": pg_loss.item(),
        "v_loss": v_loss.item(),
        "entropy": ent.item(),
        "approx_kl": approx_kl,
        "clipfrac": clipfrac,
    }
    return loss, stats


def explained_variance(y_pred: np.ndarray, y_true: np.ndarray) -> float:
    """1 - Var[y - y_pred] / Var[y] (nan when Var[y] = 0)."""
    var_y = np.var(y_true)
    return float("nan") if var_y == 0 else float(1 - np.var(y_true - y_pred) / var_y)
