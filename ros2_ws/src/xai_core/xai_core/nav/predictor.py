"""Numpy-facing predictors: one observation in, (action, Q-values, attention grids) out.

Like segment-anything's ``SamPredictor``: the torch model stays inside; callers pass numpy arrays
in the image frame and get numpy back. Used by evaluation scripts and the ROS policy node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checkpoint import load_checkpoint
from .obs import (
    goal_features,
    image_to_chw,
    sketch_pose_features,
    to_sketch_frame,
)


@dataclass
class Decision:
    """One decision and its explanation.

    Attributes:
        action: chosen action index (argmax of ``q_values``).
        q_values: (A,) float32.
        attention: (A, Gh, Gw) float32 decoder cross-attention of each action query over the
            image grid (each grid sums to 1; row 0 = top of the image); None for CNNs.
        encoder_attention: (N, N) float32 image self-attention, or None.
        instruction_attention: (T, T) float32 sketch self-attention, or None.
        goal_info: the conditioning features the queries saw.
    """

    action: int
    q_values: np.ndarray
    attention: np.ndarray | None
    encoder_attention: np.ndarray | None
    instruction_attention: np.ndarray | None
    goal_info: np.ndarray


def resize_nearest(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of ``(H, W, ...)`` (keeps label colours exact)."""
    rows = (np.arange(height) * image.shape[0] // height).astype(np.int64)
    cols = (np.arange(width) * image.shape[1] // width).astype(np.int64)
    return image[rows][:, cols]


def _numpy(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t[0].detach().cpu().numpy().astype(np.float32)


class _Predictor:
    def __init__(self, model: nn.Module, name: str, image_size: int) -> None:
        self.model = model.eval()
        self.name = name
        self.image_size = image_size

    def _decision(self, output, goal_info: np.ndarray) -> Decision:
        q = output.q[0].detach().cpu().numpy().astype(np.float32)
        attention = _numpy(output.cross_attention)
        if attention is not None:
            attention = attention.reshape(len(q), *output.grid)
        return Decision(
            int(np.argmax(q)),
            q,
            attention,
            _numpy(output.encoder_attention),
            _numpy(output.instruction_attention),
            goal_info,
        )


class GoalNavPredictor(_Predictor):
    """Goal-navigation predictor (AQT or CNN)."""

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> GoalNavPredictor:
        """Load a goal-navigation checkpoint (see :func:`load_checkpoint` for the errors)."""
        model, payload = load_checkpoint(path, expected_task="goal")
        return cls(model, payload["model"], int(payload["kwargs"]["image_size"]))

    @torch.no_grad()
    def predict(
        self, semantic_rgb: np.ndarray, subgoal_distance_m: float, subgoal_angle_rad: float
    ) -> Decision:
        """Decide from the colour-coded semantic image (any size; resized nearest to the model's)
        and the current sub-goal's distance (m) and bearing (rad, CCW from the heading)."""
        size = self.image_size
        if semantic_rgb.shape[:2] != (size, size):
            semantic_rgb = resize_nearest(semantic_rgb, size, size)
        goal = goal_features(subgoal_distance_m, subgoal_angle_rad)
        output = self.model(
            torch.from_numpy(image_to_chw(semantic_rgb))[None], torch.from_numpy(goal)[None]
        )
        return self._decision(output, goal)


class SketchNavPredictor(_Predictor):
    """Sketch-navigation predictor: set the sketch once, then decide step by step."""

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> SketchNavPredictor:
        """Load a sketch-navigation checkpoint."""
        model, payload = load_checkpoint(path, expected_task="sketch")
        return cls(model, payload["model"], int(payload["kwargs"]["image_size"]))

    def set_sketch(self, waypoints_xy: np.ndarray, start_pose: np.ndarray) -> None:
        """The instruction: ``(T, 2)`` world waypoints (one per step) and the start pose."""
        waypoints_xy = np.asarray(waypoints_xy, dtype=np.float64)
        if waypoints_xy.ndim != 2 or waypoints_xy.shape[1] != 2 or len(waypoints_xy) == 0:
            raise ValueError(f"waypoints must be (T, 2), got {waypoints_xy.shape}")
        self.start_pose = np.asarray(start_pose, dtype=np.float64)
        self.waypoints_xy = waypoints_xy
        self.waypoints = torch.from_numpy(to_sketch_frame(waypoints_xy, self.start_pose))[None]

    @torch.no_grad()
    def predict(self, topdown_rgb: np.ndarray, pose: np.ndarray, step: int) -> Decision:
        """Decide at sketch step ``step`` from the top-down map and the robot's world pose."""
        if not hasattr(self, "waypoints"):
            raise RuntimeError("call set_sketch(waypoints, start_pose) before predict()")
        size = self.image_size
        if topdown_rgb.shape[:2] != (size, size):
            topdown_rgb = resize_nearest(topdown_rgb, size, size)
        waypoint = self.waypoints_xy[min(max(step, 0), len(self.waypoints_xy) - 1)]
        pose_features = sketch_pose_features(pose, self.start_pose, waypoint)
        output = self.model(
            torch.from_numpy(image_to_chw(topdown_rgb))[None],
            torch.from_numpy(pose_features)[None],
            self.waypoints,
            torch.tensor([step]),
        )
        return self._decision(output, pose_features)
