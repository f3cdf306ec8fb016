"""DQN pieces shared by the navigation training scripts: the double-Q TD loss and the resumable
training state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def double_q_loss(
    q_network: nn.Module,
    target_network: nn.Module,
    inputs: tuple[torch.Tensor, ...],
    next_inputs: tuple[torch.Tensor, ...],
    actions: torch.Tensor,
    rewards: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Huber TD loss with double-Q targets (van Hasselt et al. 2016).

    The online network picks the next action, the target network scores it:
    ``y = r + gamma * (1 - done) * Q_target(s', argmax_a Q(s', a))``. ``done`` is 1 only for
    true terminations (a time-limit truncation still bootstraps).

    Args:
        inputs, next_inputs: positional network inputs for s and s' (batch first).
        actions: (B,) long; rewards, dones: (B,) float.

    Returns:
        ``(loss, Q(s, a))`` - the scalar loss and the (B,) Q-values of the taken actions.
    """
    with torch.no_grad():
        next_action = q_network(*next_inputs, need_weights=False).q.argmax(1, keepdim=True)
        next_value = target_network(*next_inputs, need_weights=False).q.gather(1, next_action)
        target = rewards + gamma * (1.0 - dones) * next_value.squeeze(1)
    q_taken = q_network(*inputs, need_weights=False).q.gather(1, actions[:, None]).squeeze(1)
    return F.smooth_l1_loss(q_taken, target), q_taken


def save_training_state(path: str | Path, **state: Any) -> None:
    """Atomically save a training state (state dicts, counters) for resuming."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def load_training_state(path: str | Path, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Load what :func:`save_training_state` wrote (tensors and plain types only)."""
    return torch.load(path, map_location=device, weights_only=True)


def seed_everything(seed: int, threads: int) -> None:
    """Seed Python, numpy and torch; set torch's CPU thread count."""
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, rng) -> np.ndarray:
    """Per-row epsilon-greedy actions from ``(B, A)`` Q-values (``rng``: numpy Generator)."""
    batch, num_actions = q_values.shape
    greedy = q_values.argmax(1).cpu().numpy()
    explore = rng.random(batch) < epsilon
    return np.where(explore, rng.integers(num_actions, size=batch), greedy)
