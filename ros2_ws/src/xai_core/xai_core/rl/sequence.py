"""State-sequence queue of sequence-RND (issue #11, research section 3.2).

The random-network-distillation input is the queue ``[s_t, s_{t-1}, ..., s_{t-n}]`` (``n = 4``
gives five time steps). At every step the oldest state ``s_{t-n}`` is forgotten, every
``s_{t-i}`` moves to slot ``i + 1`` and the new observation goes into slot 0. At the end of an
episode the whole queue is reset to zeros. One queue per environment of a vector env.
"""

from __future__ import annotations

import numpy as np


class SequenceQueue:
    """Per-environment queues of the last ``seq_len = n + 1`` states.

    ``values`` has shape ``(num_envs, seq_len, *frame_shape)``; slot 0 is the newest state
    ``s_t``, slot ``seq_len - 1`` the oldest ``s_{t-n}``. Unfilled slots are zeros.
    """

    def __init__(
        self,
        num_envs: int,
        seq_len: int,
        frame_shape: tuple[int, ...],
        dtype: np.dtype | type = np.uint8,
    ) -> None:
        if seq_len < 1:
            raise ValueError(f"seq_len must be >= 1, got {seq_len}")
        self.num_envs, self.seq_len, self.frame_shape = num_envs, seq_len, tuple(frame_shape)
        self.values = np.zeros((num_envs, seq_len, *self.frame_shape), dtype=dtype)

    def push(self, frames: np.ndarray) -> np.ndarray:
        """Drop the oldest state, shift the rest by one slot and store ``frames``
        ``(num_envs, *frame_shape)`` as the newest; returns ``values``."""
        frames = np.asarray(frames)
        if frames.shape != (self.num_envs, *self.frame_shape):
            raise ValueError(f"expected {(self.num_envs, *self.frame_shape)}, got {frames.shape}")
        self.values[:, 1:] = self.values[:, :-1].copy()
        self.values[:, 0] = frames
        return self.values

    def reset(self, mask: np.ndarray | None = None, first_frames: np.ndarray | None = None) -> None:
        """Zero the queues of the environments where ``mask`` ``(num_envs,)`` bool is true (all
        when None); if ``first_frames`` ``(num_envs, *frame_shape)`` is given, its rows for those
        environments become their newest state (the first observation of the new episode)."""
        idx = np.arange(self.num_envs) if mask is None else np.flatnonzero(mask)
        self.values[idx] = 0
        if first_frames is not None:
            self.values[idx, 0] = np.asarray(first_frames)[idx]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"values": self.values.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.values[...] = state["values"]
