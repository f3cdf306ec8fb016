"""Atari wrappers (gymnasium + ale-py): shapes, sticky actions, Montezuma room id from RAM."""

from __future__ import annotations

import numpy as np

from xai_core.rl.atari import MONTEZUMA_ROOM_RAM, make_atari_env, montezuma_room


def test_montezuma_shapes_and_room_from_ram() -> None:
    env = make_atari_env("ALE/MontezumaRevenge-v5", max_episode_steps=300)
    obs, info = env.reset(seed=0)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    ale = env.unwrapped.ale
    assert info["room"] == int(ale.getRAM()[MONTEZUMA_ROOM_RAM]) == montezuma_room(ale) == 1
    assert ale.getFloat("repeat_action_probability") == 0.25  # sticky actions
    ep_len, rooms = 0, set()
    rng = np.random.default_rng(0)
    for _ in range(400):
        obs, reward, term, trunc, info = env.step(int(rng.integers(env.action_space.n)))
        assert reward in (-1.0, 0.0, 1.0) and "raw_reward" in info
        rooms.add(info["room"])
        ep_len += 1
        if term or trunc:
            break
    assert term or trunc  # the step limit (300 agent steps) or losing all lives ends it
    assert ep_len <= 300 and info["episode"]["l"] <= 300 * 4
    # the newest frame differs from the oldest one of the stack (the scene moves)
    assert obs.shape == (4, 84, 84)
    # setting the RAM byte changes the reported room
    ale.setRAM(MONTEZUMA_ROOM_RAM, 7)
    assert montezuma_room(ale) == 7


def test_breakout_v4_id_and_episodic_life() -> None:
    env = make_atari_env("BreakoutNoFrameskip-v4", episodic_life=True, max_episode_steps=2000)
    obs, info = env.reset(seed=1)
    assert obs.shape == (4, 84, 84) and "room" not in info
    lives = env.unwrapped.ale.lives()
    rng = np.random.default_rng(1)
    for _ in range(2000):
        obs, _, term, trunc, info = env.step(int(rng.integers(env.action_space.n)))
        if term or trunc:
            break
    assert term  # a lost life ends the learner's episode ...
    assert 0 < env.unwrapped.ale.lives() < lives  # ... while the game goes on
