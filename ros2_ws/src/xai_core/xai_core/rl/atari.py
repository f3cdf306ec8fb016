"""Standard Atari preprocessing for the curiosity experiments (issue #11).

gymnasium 1.x + ale-py: sticky actions (``repeat_action_probability=0.25``), up to 30 no-op
starts, frame skip 4 with max-pooling over the last two frames, 84x84 grey, optional episodic
life, reward clipping to {-1, 0, 1} (the unclipped score stays in ``info["raw_reward"]``), frame
stack 4. Montezuma's Revenge reports its room id (RAM address 3) in ``info["room"]``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from PIL import Image

MONTEZUMA_ROOM_RAM = 3


def register_ale() -> None:
    """Make the ``ALE/...`` and ``...NoFrameskip-v4`` ids known to gymnasium."""
    import ale_py

    gym.register_envs(ale_py)


def montezuma_room(ale: Any) -> int:
    """Current room of Montezuma's Revenge from the console RAM (address 3)."""
    return int(ale.getRAM()[MONTEZUMA_ROOM_RAM])


class RoomInfo(gym.Wrapper):
    """Adds ``info["room"]`` (RAM address 3) on reset and step."""

    def _room(self) -> int:
        return montezuma_room(self.env.unwrapped.ale)

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        info["room"] = self._room()
        return obs, info

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["room"] = self._room()
        return obs, reward, terminated, truncated, info


class NoopReset(gym.Wrapper):
    """Up to ``noop_max`` no-op actions (action 0) after reset (random start states)."""

    def __init__(self, env: gym.Env, noop_max: int = 30) -> None:
        super().__init__(env)
        self.noop_max = noop_max

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        for _ in range(int(self.unwrapped.np_random.integers(1, self.noop_max + 1))):
            obs, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                obs, info = self.env.reset()
        return obs, info


class MaxAndSkip(gym.Wrapper):
    """Repeat the action ``skip`` times, sum rewards, max-pool the last two frames."""

    def __init__(self, env: gym.Env, skip: int = 4) -> None:
        super().__init__(env)
        self.skip = skip

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        total, frames = 0.0, []
        terminated = truncated = False
        info: dict[str, Any] = {}
        for _ in range(self.skip):
            obs, reward, terminated, truncated, info = self.env.step(action)
            frames.append(obs)
            total += float(reward)
            if terminated or truncated:
                break
        obs = frames[-1] if len(frames) == 1 else np.maximum(frames[-1], frames[-2])
        return obs, total, terminated, truncated, info


class EpisodicLife(gym.Wrapper):
    """Ends the episode for the learner when a life is lost (reset only on the real end)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.lives, self.real_done = 0, True

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.real_done = terminated or truncated
        lives = self.unwrapped.ale.lives()
        if 0 < lives < self.lives:
            terminated = True
        self.lives = lives
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        if self.real_done:
            obs, info = self.env.reset(**kwargs)
        else:
            obs, _, _, _, info = self.env.step(0)
        self.lives = self.unwrapped.ale.lives()
        return obs, info


class GreyResize(gym.ObservationWrapper):
    """RGB ``(210, 160, 3)`` -> grey ``(size, size)`` uint8 (ITU-R 601 luma, bilinear)."""

    def __init__(self, env: gym.Env, size: int = 84) -> None:
        super().__init__(env)
        self.size = size
        self.observation_space = gym.spaces.Box(0, 255, (size, size), dtype=np.uint8)

    def observation(self, observation: np.ndarray) -> np.ndarray:
        grey = Image.fromarray(np.asarray(observation, dtype=np.uint8)).convert("L")
        return np.asarray(grey.resize((self.size, self.size), Image.BILINEAR), dtype=np.uint8)


class ClipReward(gym.Wrapper):
    """Reward -> sign(reward); the original is kept in ``info["raw_reward"]``."""

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        info["raw_reward"] = float(reward)
        return obs, float(np.sign(reward)), terminated, truncated, info


def make_atari_env(
    env_id: str,
    sticky_prob: float = 0.25,
    frame_skip: int = 4,
    noop_max: int = 30,
    screen_size: int = 84,
    frame_stack: int = 4,
    episodic_life: bool = False,
    clip_reward: bool = True,
    max_episode_steps: int = 4500,
) -> gym.Env:
    """Atari env with observation ``(frame_stack, screen_size, screen_size)`` uint8.

    ``env_id`` may be ``ALE/MontezumaRevenge-v5`` or ``MontezumaRevengeNoFrameskip-v4`` (either
    way the emulator runs with frameskip 1 and the wrappers skip). ``max_episode_steps`` counts
    agent steps (RND paper: 4500 agent steps = 18k frames).
    """
    register_ale()
    env = gym.make(
        env_id,
        frameskip=1,
        repeat_action_probability=sticky_prob,
        max_episode_steps=max_episode_steps * frame_skip,
    )
    env = gym.wrappers.RecordEpisodeStatistics(env)
    if "montezuma" in env_id.lower():
        env = RoomInfo(env)
    env = NoopReset(env, noop_max)
    env = MaxAndSkip(env, frame_skip)
    if episodic_life:
        env = EpisodicLife(env)
    env = GreyResize(env, screen_size)
    if clip_reward:
        env = ClipReward(env)
    return gym.wrappers.FrameStackObservation(env, frame_stack)
