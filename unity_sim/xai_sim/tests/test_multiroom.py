"""Sparse-reward multi-room mode: gymnasium contract, room ids, maze layout, reward at goal."""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from xai_sim.multiroom import ENV_ID, MultiRoomEnv


def _shortest_actions(env: MultiRoomEnv) -> list[int]:
    """Breadth-first search over free cells from the start to the goal (action list)."""
    deltas = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    prev: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {env.start: None}
    queue = deque([env.start])
    while queue:
        cell = queue.popleft()
        if cell == env.goal:
            break
        for a, (dr, dc) in enumerate(deltas):
            nxt = (cell[0] + dr, cell[1] + dc)
            if env.grid[nxt] == 0 and nxt not in prev:
                prev[nxt] = (cell, a)
                queue.append(nxt)
    actions, cell = [], env.goal
    while prev[cell] is not None:
        cell, a = prev[cell]
        actions.append(a)
    return actions[::-1]


def test_gymnasium_env_checker_and_registration() -> None:
    env = MultiRoomEnv(sticky_prob=0.0)
    check_env(env, skip_render_check=True)
    made = gym.make(ENV_ID, rows=2, cols=2)
    obs, info = made.reset(seed=0)
    assert obs.shape == (1, 7, 7) and obs.dtype == np.uint8 and info["room"] == 0
    assert made.unwrapped.num_rooms == 4


def test_maze_is_a_spanning_tree_with_goal_at_the_deepest_room() -> None:
    env = MultiRoomEnv(rows=3, cols=4, layout_seed=3)
    assert len(env.doors) == env.num_rooms - 1  # tree: every room reachable, no cycles
    assert (env.room_dist >= 0).all()
    assert env.goal_room == int(np.argmax(env.room_dist)) and env.goal_room != 0
    assert env.room_of(env.goal) == env.goal_room and env.room_of(env.start) == 0
    # distinct rooms look different (room-specific wall shades)
    imgs = env._room_images.reshape(env.num_rooms, -1)
    assert len({row.tobytes() for row in imgs}) == env.num_rooms


def test_reward_only_at_goal_and_rooms_along_the_shortest_path() -> None:
    env = MultiRoomEnv(rows=3, cols=4, room_size=5, sticky_prob=0.0, max_steps=10_000)
    obs, info = env.reset(seed=0)
    actions = _shortest_actions(env)
    rooms, rewards = [info["room"]], []
    for i, a in enumerate(actions):
        obs, reward, terminated, truncated, info = env.step(a)
        rewards.append(reward)
        rooms.append(info["room"])
        assert terminated == (i == len(actions) - 1) and not truncated
        assert obs[0].max() == 255 and (obs[0] == 255).sum() == 1  # one agent pixel
    assert rewards[-1] == 1.0 and sum(rewards[:-1]) == 0.0
    visited = list(dict.fromkeys(rooms))
    # the path enters the rooms in order of their depth: 0, 1, 2, ... up to the goal room
    assert [int(env.room_dist[r]) for r in visited] == list(range(len(visited)))
    assert visited[-1] == env.goal_room and len(visited) == env.room_dist.max() + 1


def test_random_agent_stays_in_the_first_rooms_and_episodes_truncate() -> None:
    env = MultiRoomEnv()
    rng = np.random.default_rng(0)
    depths, total_reward = [], 0.0
    for ep in range(30):
        env.reset(seed=ep)
        deepest, steps = 0, 0
        while True:
            _, r, term, trunc, info = env.step(int(rng.integers(4)))
            total_reward += r
            steps += 1
            deepest = max(deepest, info["room_depth"])
            if term or trunc:
                break
        assert trunc and steps == env.max_steps
        depths.append(deepest)
    assert total_reward == 0.0
    assert max(depths) < env.room_dist.max() // 2  # far from the goal room


def test_walls_block_and_sticky_actions_repeat() -> None:
    env = MultiRoomEnv(sticky_prob=0.0)
    env.reset(seed=0)
    for _ in range(20):  # run into the top wall of room 0
        env.step(0)
    pos = env._pos
    assert pos[0] == 1 and env.grid[pos[0] - 1, pos[1]] == 1
    sticky = MultiRoomEnv(sticky_prob=1.0)
    sticky.reset(seed=0)
    sticky.step(3)
    start = sticky._pos
    sticky.step(2)  # ignored: the previous action (right) is repeated
    assert sticky._pos[1] >= start[1]
