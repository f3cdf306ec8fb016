"""PPO pieces: GAE against a hand-computed example, the loss, the two-headed actor-critic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xai_core.rl.ppo import ActorCritic, RolloutStorage, compute_gae, ppo_loss

torch.set_num_threads(1)


def test_gae_hand_computed_episodic_and_non_episodic() -> None:
    # one env, 3 steps, the episode ends at step 1 (transition 1 is terminal)
    r = torch.tensor([[1.0], [2.0], [0.5]])
    v = torch.tensor([[0.5], [1.0], [2.0]])
    d = torch.tensor([[0.0], [1.0], [0.0]])
    last = torch.tensor([4.0])
    g, lam = 0.9, 0.5
    # episodic, by hand:
    # t=2: delta = 0.5 + 0.9*4 - 2 = 2.1, A2 = 2.1
    # t=1: delta = 2 + 0 - 1 = 1, A1 = 1 (no bootstrap through the episode end)
    # t=0: delta = 1 + 0.9*1 - 0.5 = 1.4, A0 = 1.4 + 0.45*1 = 1.85
    adv, ret = compute_gae(r, v, d, last, g, lam)
    np.testing.assert_allclose(adv[:, 0].numpy(), [1.85, 1.0, 2.1], atol=1e-6)
    np.testing.assert_allclose(ret.numpy(), (adv + v).numpy())
    # non-episodic (intrinsic stream): episode ends ignored
    # t=1: delta = 2 + 0.9*2 - 1 = 2.8, A1 = 2.8 + 0.45*2.1 = 3.745
    # t=0: delta = 1.4, A0 = 1.4 + 0.45*3.745 = 3.08525
    adv, _ = compute_gae(r, v, d, last, g, lam, episodic=False)
    np.testing.assert_allclose(adv[:, 0].numpy(), [3.08525, 3.745, 2.1], atol=1e-6)


def test_gae_lambda_one_is_discounted_return_minus_value() -> None:
    rng = np.random.default_rng(0)
    r = torch.as_tensor(rng.normal(size=(6, 2)), dtype=torch.float32)
    v = torch.as_tensor(rng.normal(size=(6, 2)), dtype=torch.float32)
    d = torch.zeros(6, 2)
    last = torch.as_tensor(rng.normal(size=2), dtype=torch.float32)
    _, ret = compute_gae(r, v, d, last, 0.99, 1.0)
    expected = last.clone()
    for t in reversed(range(6)):
        expected = r[t] + 0.99 * expected
        np.testing.assert_allclose(ret[t].numpy(), expected.numpy(), rtol=1e-5)


def test_ppo_loss_clips_the_ratio() -> None:
    old = torch.zeros(4)
    new = torch.log(torch.tensor([2.0, 2.0, 0.5, 1.0]))
    adv = torch.tensor([1.0, -1.0, 1.0, 0.0])
    zeros = torch.zeros(4)
    loss, stats = ppo_loss(new, old, adv, zeros, zeros, zeros, None, None, 0.2, 0.0, 0.5)
    # per-sample max(-A r, -A clip(r)): [-1.2, 2.0, -0.5, 0] -> mean 0.075
    assert loss.item() == pytest.approx(0.075, abs=1e-6)
    assert stats["clipfrac"] == pytest.approx(0.75)
    loss2, _ = ppo_loss(
        old, old, zeros, torch.ones(4), torch.ones(4), zeros, torch.ones(4), 3 * torch.ones(4),
        0.2, 0.01, 0.5,
    )  # fmt: skip
    # value losses 0.5*1 + 0.5*4 = 2.5, times vf_coef 0.5, minus 0.01 entropy
    assert loss2.item() == pytest.approx(1.25 - 0.01, abs=1e-6)


@pytest.mark.parametrize("obs_shape", [(1, 11, 11), (4, 84, 84)])
def test_actor_critic_shapes_and_storage(obs_shape: tuple[int, int, int]) -> None:
    net = ActorCritic(obs_shape, num_actions=5, hidden=64)
    obs = torch.randint(0, 256, (3, *obs_shape), dtype=torch.uint8)
    a, logp, ent, v_ext, v_int = net.get_action_and_value(obs)
    assert a.shape == logp.shape == ent.shape == v_ext.shape == v_int.shape == (3,)
    assert int(a.max()) < 5
    _, logp2, _, _, _ = net.get_action_and_value(obs, a)
    torch.testing.assert_close(logp, logp2)
    st = RolloutStorage.create(8, 3, obs_shape, (5, *obs_shape[1:]), "cpu")
    assert st.obs.shape == (8, 3, *obs_shape) and st.obs.dtype == torch.uint8
    assert st.rnd_inputs.shape == (8, 3, 5, *obs_shape[1:])
