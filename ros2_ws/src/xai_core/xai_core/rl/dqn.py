"""DQN machinery shared by the navigation training scripts (CleanRL-style scripts keep the
experiment-specific parts: environments, observations, evaluation).

* :func:`double_q_loss` - Huber TD loss with double-Q targets.
* :class:`DQNLearner` - online + target network, Adam, epsilon-greedy acting, updates, target
  syncs, and a state dict for resuming.
* :class:`RunLog` - run directory, resolved config, TensorBoard scalars, ``metrics.jsonl``,
  resumable training state, best/final checkpoints and the exported checkpoint + manifest.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def seed_everything(seed: int, threads: int) -> None:
    """Seed Python, numpy and torch; set torch's CPU thread count."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """Per-row epsilon-greedy actions ``(B,)`` from ``(B, A)`` Q-values."""
    batch, num_actions = q_values.shape
    greedy = q_values.argmax(1).cpu().numpy()
    explore = rng.random(batch) < epsilon
    return np.where(explore, rng.integers(num_actions, size=batch), greedy)


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


class DQNLearner:
    """Online and target Q-networks with Adam and periodic hard target syncs.

    Args:
        build: returns a fresh Q-network (called twice: online and target).
        target_update_interval: gradient updates between target syncs.
    """

    def __init__(
        self,
        build: Callable[[], nn.Module],
        learning_rate: float,
        gamma: float,
        max_grad_norm: float,
        target_update_interval: int,
        device: torch.device,
    ) -> None:
        self.q_network = build().to(device)
        self.target_network = build().to(device)
        self.target_network.load_state_dict(self.q_network.state_dict())
        self.optimizer = torch.optim.Adam(self.q_network.parameters(), lr=learning_rate)
        self.gamma = gamma
        self.max_grad_norm = max_grad_norm
        self.target_update_interval = target_update_interval
        self.device = device
        self.updates = 0

    @torch.no_grad()
    def act(self, inputs: tuple[torch.Tensor, ...], epsilon: float, rng) -> np.ndarray:
        """Epsilon-greedy actions for a batch of observations."""
        return epsilon_greedy(self.q_network(*inputs, need_weights=False).q, epsilon, rng)

    def update(self, inputs, next_inputs, batch: dict[str, np.ndarray]) -> tuple[float, float]:
        """One gradient step on a replay batch (``action``, ``reward``, ``done`` fields).

        Returns:
            ``(loss, mean Q of the taken actions)``.
        """
        loss, q_taken = double_q_loss(
            self.q_network,
            self.target_network,
            inputs,
            next_inputs,
            torch.from_numpy(batch["action"]).to(self.device),
            torch.from_numpy(batch["reward"]).to(self.device),
            torch.from_numpy(batch["done"]).to(self.device),
            self.gamma,
        )
        self.optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.q_network.parameters(), self.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        if self.updates % self.target_update_interval == 0:
            self.target_network.load_state_dict(self.q_network.state_dict())
        return float(loss.item()), float(q_taken.mean().item())

    def state_dict(self) -> dict[str, Any]:
        return {
            "q_network": self.q_network.state_dict(),
            "target_network": self.target_network.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "updates": self.updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.q_network.load_state_dict(state["q_network"])
        self.target_network.load_state_dict(state["target_network"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.updates = int(state["updates"])


class RunLog:
    """Everything a training run writes under ``<runs_dir>/<run_name>/``.

    ``config.json`` (resolved config), TensorBoard event files, ``metrics.jsonl`` (one line per
    evaluation), ``train_state.pt`` (resume), ``best.pt`` / ``final.pt`` checkpoints.
    """

    def __init__(self, config: Any, runs_dir: str, run_name: str) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.config = config
        self.dir = Path(runs_dir) / run_name
        self.dir.mkdir(parents=True, exist_ok=True)
        resolved = json.dumps(asdict(config))
        (self.dir / "config.json").write_text(json.dumps(asdict(config), indent=2))
        print(f"run {run_name}: {resolved}")
        self.writer = SummaryWriter(str(self.dir))
        self.state_path = self.dir / "train_state.pt"

    def scalar(self, tag: str, value: float, step: int) -> None:
        self.writer.add_scalar(tag, value, step)

    def evaluation(self, step: int, wall_time_s: float, updates: int, result: dict) -> None:
        """Append one evaluation to ``metrics.jsonl``."""
        row = {"step": step, "wall_time_s": round(wall_time_s, 1), "updates": updates, **result}
        with open(self.dir / "metrics.jsonl", "a") as stream:
            stream.write(json.dumps(row) + "\n")

    def save_state(self, learner: DQNLearner, **counters: Any) -> None:
        """Atomically save learner + counters (iteration, best metric, wall time, ...)."""
        tmp = self.state_path.with_suffix(".tmp")
        torch.save({"learner": learner.state_dict(), **counters}, tmp)
        tmp.replace(self.state_path)

    def load_state(self, learner: DQNLearner) -> dict[str, Any] | None:
        """Restore a saved state into ``learner``; returns the counters, or None if none."""
        if not self.state_path.exists():
            return None
        state = torch.load(self.state_path, map_location=learner.device, weights_only=True)
        learner.load_state_dict(state.pop("learner"))
        print(f"resumed from {self.state_path}")
        return state

    def meta(self, env_steps: int, updates: int, wall_time_s: float, evaluation: dict,
             data: str) -> dict[str, Any]:  # fmt: skip
        """Metadata stored in checkpoints and manifests."""
        return {
            "config": asdict(self.config),
            "command": " ".join(sys.argv),
            "env_steps": env_steps,
            "updates": updates,
            "wall_time_s": round(wall_time_s, 1),
            "evaluation": evaluation,
            "data": data,
            "torch": str(torch.__version__),
        }

    def export(self, export_path: str | Path, reference: Callable[[Path], dict[str, Any]]) -> Path:
        """Copy ``best.pt`` to ``export_path`` and write the manifest beside it (``.json``).

        Args:
            reference: called with the exported checkpoint; stores an observation beside it and
                returns its file name and the action / Q-values the checkpoint produced for it,
                so tests can check the predictor reproduces them.
        """
        export_path = Path(export_path)
        export_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.dir / "best.pt", export_path)
        payload = torch.load(export_path, map_location="cpu", weights_only=True)
        manifest = {
            "checkpoint": export_path.name,
            "model": payload["model"],
            "seed": payload["meta"]["config"]["seed"],
            **payload["meta"],
            "reference": reference(export_path),
        }
        export_path.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
        # The learning curve travels with the checkpoint, so figures can be redrawn from the repo.
        shutil.copy(self.dir / "metrics.jsonl", export_path.with_suffix(".metrics.jsonl"))
        print(f"exported {export_path} with its manifest and learning curve")
        return export_path

    def save_model(
        self,
        filename: str,
        learner: DQNLearner,
        model: str,
        kwargs: dict[str, Any],
        meta: dict[str, Any],
    ) -> Path:
        """Write the online network as a navigation checkpoint ``<run dir>/<filename>``."""
        from xai_core.nav.checkpoint import save_checkpoint

        return save_checkpoint(self.dir / filename, learner.q_network, model, kwargs, meta)

    def finish(
        self,
        learner: DQNLearner,
        model: str,
        kwargs: dict[str, Any],
        meta: dict[str, Any],
        final_is_best: bool,
        export: str = "",
        reference: Callable[[Path], dict[str, Any]] | None = None,
    ) -> None:
        """Save ``final.pt`` (and as ``best.pt`` when it is the best), export, close."""
        self.save_model("final.pt", learner, model, kwargs, meta)
        if final_is_best:
            shutil.copy(self.dir / "final.pt", self.dir / "best.pt")
        if export:
            if reference is None:
                raise ValueError("exporting needs a reference-observation function")
            self.export(export, reference)
        self.close()

    def close(self) -> None:
        self.writer.close()
