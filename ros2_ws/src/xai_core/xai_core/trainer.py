"""The model + optimizer pair that supervised training scripts checkpoint and resume.

``RunLog`` (``xai_core.rl.dqn``) saves and restores any object with ``state_dict`` /
``load_state_dict`` and a ``device``; the segmentation and PointPillars scripts share this one.
"""

from __future__ import annotations

import torch


class AdamWTrainer:
    """``model`` on ``device`` with an AdamW optimizer; resumable through ``state_dict``.

    The optimizer holds the parameters with ``requires_grad`` (freeze before constructing).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        learning_rate: float,
        weight_decay: float,
        device: torch.device,
    ) -> None:
        self.model = model.to(device)
        self.optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad],
            lr=learning_rate,
            weight_decay=weight_decay,
        )
        self.device = device

    def state_dict(self) -> dict:
        """Model and optimizer state."""
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
