"""Sparse-reward multi-room mode of the simulator (curiosity experiments, issue #11).

A grid of ``rows x cols`` square rooms (``room_size x room_size`` free cells each) separated by
one-cell walls. Adjacent rooms are joined by a one-cell doorway only along the edges of a random
spanning tree of the room grid (fixed by ``layout_seed``), so the rooms form a maze with dead
ends; the agent starts in room 0 (top-left) and the goal cell lies in the room farthest from it
along the tree. Reward is ``goal_reward`` on reaching the goal (episode terminates) and 0 at
every other step, like Montezuma's Revenge. ``info["room"]`` is the current room id
(``row * cols + col``), so the rooms visited during training can be counted like Montezuma's
rooms (RAM address 3).

Observation: the current room only, as Montezuma shows one screen at a time: a ``uint8`` grey
image of shape ``(1, S, S)``, ``S = (room_size + 2) * cell_px`` (walls included, 1 px per cell by
default). Floor is 0, walls have a room-specific grey level, a few room-specific pillars, the
goal is 200 and the agent 255. Actions: 0 up, 1 down, 2 left, 3 right; with probability
``sticky_prob`` the previous action is repeated (ALE's sticky actions).

Pure numpy and plain Python: tens of thousands of steps per second on one core.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ENV_ID = "XaiSim/MultiRoom-v0"
ACTION_DELTAS: tuple[tuple[int, int], ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))
WALL, FREE = 1, 0
AGENT_VALUE, GOAL_VALUE = 255, 200


def spanning_tree_doors(rows: int, cols: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Edges ``(room_a, room_b)`` of a random spanning tree of the ``rows x cols`` room grid
    (randomised depth-first search from room 0)."""
    n = rows * cols
    seen = np.zeros(n, dtype=bool)
    edges: list[tuple[int, int]] = []
    stack = [0]
    seen[0] = True
    while stack:
        room = stack[-1]
        r, c = divmod(room, cols)
        nbrs = [
            (r + dr) * cols + (c + dc)
            for dr, dc in ACTION_DELTAS
            if 0 <= r + dr < rows and 0 <= c + dc < cols and not seen[(r + dr) * cols + (c + dc)]
        ]
        if not nbrs:
            stack.pop()
            continue
        nxt = int(nbrs[rng.integers(len(nbrs))])
        seen[nxt] = True
        edges.append((room, nxt))
        stack.append(nxt)
    return edges


def room_distances(
    rows: int, cols: int, doors: list[tuple[int, int]], start: int = 0
) -> np.ndarray:
    """Number of doorways between ``start`` and every room, shape ``(rows * cols,)``, int64."""
    adj: dict[int, list[int]] = {i: [] for i in range(rows * cols)}
    for a, b in doors:
        adj[a].append(b)
        adj[b].append(a)
    dist = np.full(rows * cols, -1, dtype=np.int64)
    dist[start] = 0
    queue = deque([start])
    while queue:
        a = queue.popleft()
        for b in adj[a]:
            if dist[b] < 0:
                dist[b] = dist[a] + 1
                queue.append(b)
    return dist


class MultiRoomEnv(gym.Env):
    """Grid of rooms joined by doorways; sparse reward at the final goal.

    Args:
        rows, cols: room grid size (``rows * cols`` rooms).
        room_size: free cells per room side (walls excluded).
        max_steps: episode step limit (truncation).
        layout_seed: seed of the maze (doors, pillars, wall shades); the layout is fixed per env.
        sticky_prob: probability of repeating the previous action.
        goal_reward: extrinsic reward when the goal is reached.
        pillars: pillars per room (at most 3, so they never wall off a cell).
        cell_px: pixels per cell in the observation.
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        rows: int = 3,
        cols: int = 4,
        room_size: int = 5,
        max_steps: int = 300,
        layout_seed: int = 0,
        sticky_prob: float = 0.25,
        goal_reward: float = 1.0,
        pillars: int = 3,
        cell_px: int = 1,
        render_mode: str | None = None,
    ) -> None:
        if room_size < 3:
            raise ValueError(f"room_size must be >= 3, got {room_size}")
        if not 0 <= pillars <= 3:
            raise ValueError(f"pillars must be in [0, 3], got {pillars}")
        self.rows, self.cols, self.room_size = rows, cols, room_size
        self.max_steps, self.sticky_prob, self.goal_reward = max_steps, sticky_prob, goal_reward
        self.cell_px, self.render_mode = cell_px, render_mode
        self.num_rooms = rows * cols
        pitch = room_size + 1
        layout_rng = np.random.default_rng(layout_seed)
        grid = np.full((rows * pitch + 1, cols * pitch + 1), WALL, dtype=np.int8)
        for r in range(rows):
            for c in range(cols):
                grid[r * pitch + 1 : (r + 1) * pitch, c * pitch + 1 : (c + 1) * pitch] = FREE
        self.doors = spanning_tree_doors(rows, cols, layout_rng)
        for a, b in self.doors:
            (ra, ca), (rb, cb) = divmod(min(a, b), cols), divmod(max(a, b), cols)
            k = 1 + int(layout_rng.integers(room_size))
            if ra == rb:  # horizontal neighbours: door in the vertical wall between them
                grid[ra * pitch + k, cb * pitch] = FREE
            else:
                grid[rb * pitch, ca * pitch + k] = FREE
        # Pillars: at least one cell away from every wall, so the ring along the walls (where
        # all doors open) stays free and connected.
        for room in range(self.num_rooms):
            r, c = divmod(room, cols)
            inner = room_size - 2
            if inner <= 0:
                continue
            cells = layout_rng.choice(
                inner * inner, size=min(pillars, inner * inner), replace=False
            )
            for cell in cells:
                pr, pc = divmod(int(cell), inner)
                grid[r * pitch + 2 + pr, c * pitch + 2 + pc] = WALL
        self.grid = grid
        self.room_dist = room_distances(rows, cols, self.doors)
        self.goal_room = int(np.argmax(self.room_dist))
        gr, gc = divmod(self.goal_room, cols)
        mid = 1 + room_size // 2
        self.goal = (gr * pitch + mid, gc * pitch + mid)
        if grid[self.goal] == WALL:  # a pillar in the centre: use the ring cell instead
            self.goal = (gr * pitch + 1, gc * pitch + 1)
        self.start = (mid, mid) if grid[mid, mid] == FREE else (1, 1)
        # Static room images (walls in a room-specific shade, pillars darker).
        shades = 60 + (layout_rng.permutation(self.num_rooms) * (120 // max(self.num_rooms, 1)))
        side = room_size + 2
        self._room_images = np.zeros((self.num_rooms, side, side), dtype=np.uint8)
        for room in range(self.num_rooms):
            r, c = divmod(room, cols)
            patch = grid[r * pitch : r * pitch + side, c * pitch : c * pitch + side]
            img = np.where(patch == WALL, shades[room], 0).astype(np.uint8)
            img[2:-2, 2:-2][patch[2:-2, 2:-2] == WALL] = shades[room] // 2
            if room == self.goal_room:
                img[self.goal[0] - r * pitch, self.goal[1] - c * pitch] = GOAL_VALUE
            self._room_images[room] = img
        s = side * cell_px
        self.observation_space = spaces.Box(0, 255, shape=(1, s, s), dtype=np.uint8)
        self.action_space = spaces.Discrete(len(ACTION_DELTAS))
        self._pos = self.start
        self._steps = 0
        self._last_action = 0

    def room_of(self, pos: tuple[int, int]) -> int:
        """Room id of a grid cell; a doorway cell belongs to the room above / left of it."""
        pitch = self.room_size + 1
        r = min((pos[0] - 1) // pitch, self.rows - 1)
        c = min((pos[1] - 1) // pitch, self.cols - 1)
        return int(r * self.cols + c)

    def _obs(self) -> np.ndarray:
        room = self.room_of(self._pos)
        r, c = divmod(room, self.cols)
        pitch = self.room_size + 1
        img = self._room_images[room].copy()
        img[self._pos[0] - r * pitch, self._pos[1] - c * pitch] = AGENT_VALUE
        if self.cell_px > 1:
            img = np.kron(img, np.ones((self.cell_px, self.cell_px), dtype=np.uint8))
        return img[None]

    def _info(self) -> dict[str, Any]:
        room = self.room_of(self._pos)
        return {"room": room, "pos": self._pos, "room_depth": int(self.room_dist[room])}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._pos = self.start
        self._steps = 0
        self._last_action = 0
        return self._obs(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = int(action)
        if self.sticky_prob > 0 and self.np_random.random() < self.sticky_prob:
            action = self._last_action
        self._last_action = action
        dr, dc = ACTION_DELTAS[action]
        nxt = (self._pos[0] + dr, self._pos[1] + dc)
        if self.grid[nxt] == FREE:
            self._pos = nxt
        self._steps += 1
        terminated = self._pos == self.goal
        reward = self.goal_reward if terminated else 0.0
        truncated = (not terminated) and self._steps >= self.max_steps
        return self._obs(), float(reward), bool(terminated), bool(truncated), self._info()

    def render(self) -> np.ndarray | None:
        """Whole maze as an RGB image ``(H, W, 3)`` uint8 (walls grey, agent red, goal green)."""
        if self.render_mode != "rgb_array":
            return None
        img = np.where(self.grid == WALL, 128, 0).astype(np.uint8)
        rgb = np.repeat(img[..., None], 3, axis=2)
        rgb[self.goal] = (0, 200, 0)
        rgb[self._pos] = (255, 0, 0)
        return rgb


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="xai_sim.multiroom:MultiRoomEnv")
