"""RND / sequence-RND: running normalisers, novelty of states and of transitions."""

from __future__ import annotations

import numpy as np
import torch

from xai_core.rl.rnd import (
    IntrinsicRewardNormalizer,
    RewardForwardFilter,
    RNDModel,
    RunningMeanStd,
    normalize_obs,
)
from xai_core.rl.sequence import SequenceQueue

torch.set_num_threads(1)
SHAPE = (11, 11)


def test_running_mean_std_matches_numpy_over_batches() -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(3.0, 2.0, size=(1000, 4))
    rms = RunningMeanStd((4,), epsilon=1e-8)
    for chunk in np.array_split(data, 7):
        rms.update(chunk)
    np.testing.assert_allclose(rms.mean, data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(rms.var, data.var(0), rtol=1e-6)
    assert abs(rms.count - 1000) < 1e-6
    other = RunningMeanStd((4,))
    other.load_state_dict(rms.state_dict())
    np.testing.assert_array_equal(other.mean, rms.mean)


def test_forward_filter_and_intrinsic_normaliser() -> None:
    f = RewardForwardFilter(0.5)
    f.update(np.array([1.0, 2.0]))
    out = f.update(np.array([1.0, 0.0]))
    np.testing.assert_allclose(out, [1.5, 1.0])
    norm = IntrinsicRewardNormalizer(0.99)
    rewards = np.random.default_rng(1).uniform(0, 10, size=(64, 3))
    norm.update(rewards)
    returns, acc = [], np.zeros(3)
    for i, r in enumerate(rewards):
        acc = r.copy() if i == 0 else acc * 0.99 + r
        returns.append(acc)
    expected_std = np.std(np.concatenate(returns))
    np.testing.assert_allclose(norm.normalize(rewards), rewards / expected_std, rtol=1e-3)


def test_normalize_obs_whitens_and_clips() -> None:
    rms = RunningMeanStd((2,))
    rms.mean, rms.var = np.array([10.0, 0.0]), np.array([4.0, 1e-6])
    x = torch.tensor([[12.0, 0.0], [10.0, 1.0]])
    out = normalize_obs(x, rms)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out[:, 0].numpy(), [1.0, 0.0], atol=1e-5)
    assert out[1, 1].item() == 5.0  # clipped


def _states() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {k: rng.integers(0, 256, SHAPE).astype(np.uint8) for k in "ABC"}


def _queues(stream: list[np.ndarray], seq_len: int) -> np.ndarray:
    """RND inputs ``(T, seq_len, H, W)`` of a stream of states, via the real queue."""
    q = SequenceQueue(1, seq_len, SHAPE)
    return np.stack([q.push(s[None])[0].copy() for s in stream])


def _train(seq_len: int, train_inputs: np.ndarray, steps: int = 300) -> tuple[RNDModel, object]:
    torch.manual_seed(0)
    model = RNDModel((seq_len, *SHAPE), out_dim=64, hidden=128)
    rms = RunningMeanStd((seq_len, *SHAPE))
    rms.update(train_inputs.astype(np.float64))
    opt = torch.optim.Adam(model.predictor.parameters(), lr=1e-3)
    x = normalize_obs(torch.as_tensor(train_inputs), rms)
    for _ in range(steps):
        loss = model.loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, rms


def _reward(model: RNDModel, rms: RunningMeanStd, inputs: np.ndarray) -> float:
    return float(model.intrinsic_reward(normalize_obs(torch.as_tensor(inputs), rms)).mean())


def test_intrinsic_reward_drops_on_repeated_states() -> None:
    s = _states()
    train = _queues([s["A"], s["B"]] * 20, 1)[2:]
    model, rms = _train(1, train, steps=0)
    before = _reward(model, rms, train[:2])
    model, rms = _train(1, train, steps=300)
    after = _reward(model, rms, train[:2])
    novel = _reward(model, rms, _queues([s["C"]], 1))
    assert after < 0.05 * before
    assert novel > 10 * after  # an unseen state stays novel


def test_sequence_rnd_rewards_new_transition_between_known_states() -> None:
    """Train on A->B and B->A only; A->A then is a new transition of known states: sequence-RND
    gives it a much higher reward, plain RND (single state) does not."""
    s = _states()
    alternating = [s["A"], s["B"]] * 40
    # a stream that ends with the unseen transition A -> A (then A -> B)
    novel_stream = [s["A"], s["B"]] * 3 + [s["A"], s["A"]]

    seq_model, seq_rms = _train(5, _queues(alternating, 5)[4:])
    seq_novel = _queues(novel_stream, 5)[-1:]  # [A, A, B, A, B]
    seq_known = _queues(alternating[:9], 5)[-1:]  # [A, B, A, B, A]
    assert seq_novel[0, 0].tolist() == seq_known[0, 0].tolist()  # same current state s_t
    r_seq_known = _reward(seq_model, seq_rms, seq_known)
    r_seq_novel = _reward(seq_model, seq_rms, seq_novel)
    assert r_seq_novel > 5 * r_seq_known

    rnd_model, rnd_rms = _train(1, _queues(alternating, 1))
    r_rnd_known = _reward(rnd_model, rnd_rms, _queues(alternating[:9], 1)[-1:])
    r_rnd_novel = _reward(rnd_model, rnd_rms, _queues(novel_stream, 1)[-1:])
    assert r_rnd_novel < 1.5 * r_rnd_known  # same state A: no rise for plain RND
    assert r_seq_novel / r_seq_known > 3 * (r_rnd_novel / r_rnd_known)


def test_rnd_loss_update_proportion_and_frozen_target() -> None:
    model = RNDModel((5, *SHAPE), out_dim=16, hidden=32)
    assert all(not p.requires_grad for p in model.target.parameters())
    x = torch.randn(64, 5, *SHAPE)
    full = model.loss(x, 1.0)
    part = model.loss(x, 0.25)
    assert full.item() > 0 and part.item() > 0
    part.backward()
    assert all(p.grad is None for p in model.target.parameters())
    conv = RNDModel((5, 84, 84), out_dim=16)
    assert conv.intrinsic_reward(torch.randn(2, 5, 84, 84)).shape == (2,)
