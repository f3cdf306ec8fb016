"""xai_sim.unity: the Unity ML-Agents side of the simulator (``unity_sim/CONTRACT.md``).

``UnityNavEnv`` is a gymnasium env over ``mlagents_envs.environment.UnityEnvironment`` with the
observation / action spaces of ``IndoorNavEnv``; ``python -m xai_sim.unity.player`` plays the
Unity side of the protocol with the Python simulator; ``EpisodeConfigChannel`` is the contract's
side channel. Needs ``requirements/unity.txt`` (mlagents-envs 1.1.0, installed by
``scripts/setup.sh``). Importing this package first installs the protobuf loader of
:mod:`xai_sim.unity.protobuf_compat`, so import it before ``mlagents_envs``.
"""

from __future__ import annotations

from . import protobuf_compat

protobuf_compat.install()

from .channel import (  # noqa: E402  (after the protobuf loader)
    NO_SEED,
    EpisodeConfig,
    EpisodeConfigChannel,
    EpisodeReport,
)
from .contract import (  # noqa: E402
    API_VERSION,
    BEHAVIOR_NAME,
    DEPTH_SCALE_M,
    EPISODE_CONFIG_CHANNEL_ID,
    OBSERVATION_NAMES,
    decode_observation,
    encode_observation,
    observation_layouts,
)
from .env import UnityNavEnv  # noqa: E402

__all__ = [
    "API_VERSION",
    "BEHAVIOR_NAME",
    "DEPTH_SCALE_M",
    "EPISODE_CONFIG_CHANNEL_ID",
    "NO_SEED",
    "OBSERVATION_NAMES",
    "EpisodeConfig",
    "EpisodeConfigChannel",
    "EpisodeReport",
    "UnityNavEnv",
    "decode_observation",
    "encode_observation",
    "observation_layouts",
]
