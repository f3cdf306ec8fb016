"""Replay buffer and schedules."""

from __future__ import annotations

import numpy as np
import pytest

from xai_core.rl.replay import ReplayBuffer, linear_schedule

FIELDS = {"obs": ((2,), np.float32), "action": ((), np.int64)}


def test_ring_buffer_overwrites_the_oldest() -> None:
    rb = ReplayBuffer(4, FIELDS, seed=0)
    for start in (0, 3):
        rb.add(obs=np.full((3, 2), start, np.float32) + np.arange(3)[:, None],
               action=np.arange(start, start + 3))  # fmt: skip
    assert len(rb) == 4
    assert sorted(rb.data["action"].tolist()) == [2, 3, 4, 5]  # 0 and 1 were overwritten
    batch = rb.sample(64)
    assert batch["obs"].shape == (64, 2) and set(batch["action"]) <= {2, 3, 4, 5}
    np.testing.assert_array_equal(batch["obs"][:, 0], batch["action"])  # rows stay together


def test_wrong_fields_are_rejected() -> None:
    rb = ReplayBuffer(4, FIELDS)
    with pytest.raises(ValueError, match="exactly the fields"):
        rb.add(obs=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="per transition"):
        rb.add(obs=np.zeros((1, 3)), action=np.zeros(1))
    with pytest.raises(ValueError, match="empty"):
        rb.sample(1)


def test_linear_schedule() -> None:
    assert linear_schedule(1.0, 0.1, 100, 0) == 1.0
    assert linear_schedule(1.0, 0.1, 100, 50) == pytest.approx(0.55)
    assert linear_schedule(1.0, 0.1, 100, 500) == pytest.approx(0.1)
