"""Sequence-RND state queue (research section 3.2): shift-and-insert update, zero reset."""

from __future__ import annotations

import numpy as np
import pytest

from xai_core.rl.sequence import SequenceQueue


def frames(values: list[int], shape: tuple[int, ...] = (2, 3)) -> np.ndarray:
    return np.stack([np.full(shape, v, dtype=np.uint8) for v in values])


def test_push_drops_oldest_and_puts_newest_first() -> None:
    q = SequenceQueue(num_envs=2, seq_len=5, frame_shape=(2, 3))
    assert q.values.shape == (2, 5, 2, 3) and q.values.dtype == np.uint8
    assert not q.values.any()
    for t in range(1, 8):
        q.push(frames([t, 10 * t]))
        # slot i holds s_{t-i}; slots older than the first push are still zero
        expected0 = [max(t - i, 0) for i in range(5)]
        assert q.values[0, :, 0, 0].tolist() == expected0
        assert q.values[1, :, 0, 0].tolist() == [10 * v for v in expected0]
    # after 7 pushes only s_7..s_3 remain: s_2 and s_1 were forgotten
    assert q.values[0, :, 1, 2].tolist() == [7, 6, 5, 4, 3]


def test_reset_zeroes_only_masked_envs_and_stores_first_state() -> None:
    q = SequenceQueue(num_envs=3, seq_len=4, frame_shape=(2,))
    for t in range(1, 4):
        q.push(np.array([[t, t], [t + 10, t + 10], [t + 20, t + 20]], dtype=np.uint8))
    before = q.values.copy()
    first = np.array([[99, 99], [98, 98], [97, 97]], dtype=np.uint8)
    q.reset(np.array([False, True, False]), first_frames=first)
    np.testing.assert_array_equal(q.values[[0, 2]], before[[0, 2]])
    assert q.values[1, :, 0].tolist() == [98, 0, 0, 0]
    q.push(np.array([[4, 4], [50, 50], [24, 24]], dtype=np.uint8))
    assert q.values[1, :, 0].tolist() == [50, 98, 0, 0]
    assert q.values[0, :, 0].tolist() == [4, 3, 2, 1]
    q.reset()
    assert not q.values.any()


def test_seq_len_one_is_plain_rnd_input_and_shapes_are_checked() -> None:
    q = SequenceQueue(num_envs=2, seq_len=1, frame_shape=(3,))
    q.push(np.ones((2, 3), dtype=np.uint8))
    q.push(2 * np.ones((2, 3), dtype=np.uint8))
    assert q.values[:, 0].tolist() == [[2, 2, 2], [2, 2, 2]]
    with pytest.raises(ValueError):
        q.push(np.ones((3, 3), dtype=np.uint8))
    with pytest.raises(ValueError):
        SequenceQueue(1, 0, (3,))


def test_state_dict_round_trip() -> None:
    q = SequenceQueue(num_envs=1, seq_len=3, frame_shape=(2,))
    q.push(np.array([[5, 6]], dtype=np.uint8))
    r = SequenceQueue(num_envs=1, seq_len=3, frame_shape=(2,))
    r.load_state_dict(q.state_dict())
    np.testing.assert_array_equal(r.values, q.values)
