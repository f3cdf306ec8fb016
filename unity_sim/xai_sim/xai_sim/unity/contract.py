"""The observation / action contract of ``unity_sim/CONTRACT.md`` in code.

One place for the constants both ends share and for the two conversions:
:func:`encode_observation` (simulator observation -> the five ML-Agents observation arrays, as
the Unity build and the Python player send them) and :func:`decode_observation` (those arrays,
as ``mlagents_envs`` hands them over, -> the ``IndoorNavEnv`` observation dict).

Wire layout (ML-Agents 2.x, communication API 1.5.0): visual observations are channel-first
``(C, H, W)`` float32; row 0 is the top image row, column 0 the left one; values in [0, 1].
:func:`decode_observation` also accepts channel-last ``(H, W, C)`` arrays, so a build whose
sensors report HWC still decodes.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..config import SimConfig

BEHAVIOR_NAME = "HSRNav?team=0"
"""Behavior name as ``UnityEnvironment.behavior_specs`` reports it (``HSRNav``, team 0)."""

API_VERSION = "1.5.0"
"""ML-Agents communication API version of mlagents-envs 1.1.0 (``UnityEnvironment.API_VERSION``)."""

EPISODE_CONFIG_CHANNEL_ID = uuid.UUID("3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01")
"""Side channel carrying episode configs (Python -> Unity) and episode reports (back)."""

DEPTH_SCALE_M = 10.0
"""The ``depth`` observation is z-depth in metres divided by this (0 = no return)."""

NUM_ACTIONS = 4
"""One discrete branch: 0 stop, 1 forward, 2 left, 3 right (``xai_sim.ACTION_NAMES``)."""

OBSERVATION_NAMES: tuple[str, ...] = ("semantic", "topdown", "depth", "goal", "pose_waypoint")
"""Observation (sensor) names in the contract's order 0..4."""

VISUAL = frozenset({"semantic", "topdown", "depth"})


@dataclass(frozen=True)
class ObservationLayout:
    """Shape and meaning of one contract observation.

    Attributes:
        name: sensor name (``ObservationSpec.name``).
        shape: shape on the wire: ``(C, H, W)`` for visual, ``(n,)`` for vector observations.
        meaning: one line for CONTRACT.md and error messages.
    """

    name: str
    shape: tuple[int, ...]
    meaning: str


def observation_layouts(config: SimConfig | None = None) -> tuple[ObservationLayout, ...]:
    """The five observations of the contract at ``config``'s resolutions, in wire order."""
    cfg = config if config is not None else SimConfig()
    h, w, s = cfg.policy_height, cfg.policy_width, cfg.topdown_size
    return (
        ObservationLayout("semantic", (3, h, w), "label colours RGB / 255"),
        ObservationLayout("topdown", (3, s, s), "top-down map RGB / 255"),
        ObservationLayout("depth", (1, h, w), f"z-depth m / {DEPTH_SCALE_M:g}, 0 = no return"),
        ObservationLayout("goal", (4,), "subgoal d m, subgoal bearing rad, goal d m, bearing rad"),
        ObservationLayout("pose_waypoint", (5,), "x m, y m, yaw rad, waypoint x m, y m"),
    )


def encode_observation(obs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``IndoorNavEnv`` observation -> the contract's float32 arrays (wire layout), by name."""
    return {
        "semantic": _image_to_chw(obs["semantic"]),
        "topdown": _image_to_chw(obs["topdown"]),
        "depth": (np.asarray(obs["depth"], np.float32) / np.float32(DEPTH_SCALE_M))[None],
        "goal": np.asarray(obs["goal"], np.float32).reshape(4),
        "pose_waypoint": np.concatenate(
            [np.asarray(obs["pose"], np.float32), np.asarray(obs["waypoint"], np.float32)]
        ),
    }


def decode_observation(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Contract arrays of one agent (by name; CHW or HWC images) -> ``IndoorNavEnv`` dict.

    Images are rounded back to uint8 (``round(x * 255)``), depth is scaled to metres; the result
    has exactly the keys, shapes and dtypes of ``IndoorNavEnv.observation_space``.
    """
    pose_waypoint = np.asarray(arrays["pose_waypoint"], np.float32).reshape(5)
    depth = _to_hwc(np.asarray(arrays["depth"], np.float32), channels=1)[..., 0]
    return {
        "semantic": _image_to_uint8(arrays["semantic"]),
        "depth": np.ascontiguousarray(depth * np.float32(DEPTH_SCALE_M), dtype=np.float32),
        "goal": np.asarray(arrays["goal"], np.float32).reshape(4).copy(),
        "pose": pose_waypoint[:3].copy(),
        "topdown": _image_to_uint8(arrays["topdown"]),
        "waypoint": pose_waypoint[3:].copy(),
    }


def _image_to_chw(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (3, H, W) float32 in [0, 1]."""
    chw = np.asarray(image).transpose(2, 0, 1).astype(np.float32)
    return chw / np.float32(255.0)


def _to_hwc(image: np.ndarray, channels: int) -> np.ndarray:
    """A (C, H, W) or (H, W, C) array with C = ``channels`` as (H, W, C)."""
    if image.ndim != 3:
        raise ValueError(f"expected a 3-D image observation, got shape {image.shape}")
    if image.shape[0] == channels and image.shape[-1] != channels:
        return image.transpose(1, 2, 0)
    if image.shape[-1] == channels:
        return image
    raise ValueError(f"expected {channels} channels first or last, got shape {image.shape}")


def _image_to_uint8(image: np.ndarray) -> np.ndarray:
    """[0, 1] float image (CHW or HWC, 3 channels) -> (H, W, 3) uint8 (round(x * 255))."""
    hwc = _to_hwc(np.asarray(image, np.float32), channels=3)
    return np.ascontiguousarray(np.clip(np.rint(hwc * 255.0), 0, 255).astype(np.uint8))
