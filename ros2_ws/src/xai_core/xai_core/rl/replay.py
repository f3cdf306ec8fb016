"""A preallocated uniform replay buffer over named numpy fields.

Fields are declared once (shape and dtype per transition), so images can be stored compactly
(e.g. one palette byte per pixel instead of three colour bytes). Sampling returns a dict of
arrays ``(batch, *shape)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class ReplayBuffer:
    """Ring buffer of transitions.

    Args:
        capacity: maximum number of transitions; the oldest are overwritten.
        fields: ``{name: (shape, dtype)}`` of one transition, e.g.
            ``{"labels": ((84, 84), np.uint8), "action": ((), np.int64), ...}``.
        seed: seed of the sampling generator.
    """

    def __init__(
        self, capacity: int, fields: Mapping[str, tuple[tuple[int, ...], np.dtype]], seed: int = 0
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.data = {
            name: np.zeros((capacity, *shape), dtype=dtype)
            for name, (shape, dtype) in fields.items()
        }
        self.position = 0
        self.size = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        """Memory held by the preallocated arrays (bytes)."""
        return sum(a.nbytes for a in self.data.values())

    def add(self, **batch: np.ndarray) -> None:
        """Append ``n`` transitions: every declared field as an array ``(n, *shape)``.

        Raises:
            ValueError: a field is missing, unknown, or has the wrong trailing shape.
        """
        if set(batch) != set(self.data):
            raise ValueError(
                f"add() needs exactly the fields {sorted(self.data)}, got {sorted(batch)}"
            )
        n = None
        for name, values in batch.items():
            values = np.asarray(values)
            if values.shape[1:] != self.data[name].shape[1:]:
                raise ValueError(
                    f"field '{name}' has shape {values.shape[1:]} per transition, "
                    f"expected {self.data[name].shape[1:]}"
                )
            n = values.shape[0] if n is None else n
            if values.shape[0] != n:
                raise ValueError("all fields must hold the same number of transitions")
        index = (self.position + np.arange(n)) % self.capacity
        for name, values in batch.items():
            self.data[name][index] = values
        self.position = int((self.position + n) % self.capacity)
        self.size = int(min(self.size + n, self.capacity))

    def sample(self, batch_size: int) -> dict[str, np.ndarray]:
        """Uniformly sample ``batch_size`` transitions (with replacement)."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        index = self.rng.integers(0, self.size, size=batch_size)
        return {name: array[index] for name, array in self.data.items()}


def linear_schedule(start: float, end: float, duration: int, t: int) -> float:
    """Linear interpolation from ``start`` (t = 0) to ``end`` (t >= duration)."""
    if duration <= 0:
        return end
    return start + (end - start) * min(t / duration, 1.0)
