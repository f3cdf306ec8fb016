"""The Python player: the Unity side of the ML-Agents protocol, backed by ``IndoorNavEnv``.

In ML-Agents the trainer (Python, ``mlagents_envs.environment.UnityEnvironment``) is the gRPC
server and the Unity build is the client that calls ``UnityToExternalProto/Exchange``. This
module plays that client for the contract of ``unity_sim/CONTRACT.md``, so the unmodified
``UnityEnvironment`` (and tools built on it) drives the Python simulator, and ``UnityNavEnv``
is tested end to end without Unity.

Protocol as played here (communication API 1.5.0, the version of mlagents-envs 1.1.0):

1. ``Exchange(UnityOutput{rl_initialization_output: name, versions, capabilities})``; the
   reply carries the trainer's ``rl_initialization_input`` (seed, communication version).
2. ``Exchange(<empty>)``; the reply is the first ``UnityRLInput`` (normally RESET). A reply with
   ``header.status != 200`` here means the trainer rejected us (version mismatch): exit 3.
3. Loop: handle the input (side channel first, then RESET / STEP / QUIT) and send the output
   (agent infos of behavior ``HSRNav?team=0``, side-channel bytes, and once the brain
   parameters); the reply is the next input. ``header.status == 400`` = the trainer closed:
   exit 0.

Like a Unity agent with ``MaxStep`` and a ``DecisionRequester`` of period 1, the episode restarts
by itself after it ends: the terminal ``AgentInfo`` (done, ``max_step_reached`` for truncation)
and the first ``AgentInfo`` of the next episode (a new agent id) travel in one output, with the
``EpisodeReport`` of the ended episode on the side channel. A RESET that arrives before the
first step of such an automatically begun episode replaces it as if it had never begun (its
random draws are rewound), so ``UnityNavEnv.reset()`` gives exactly what
``IndoorNavEnv.reset()`` gives after the same calls.

Observations go uncompressed (float32 ``FloatData``) by default; ``--compression png`` sends
``semantic`` and ``topdown`` as PNG like a Unity camera sensor (depth always uncompressed: PNG
would quantise it to 4 cm).

    python -m xai_sim.unity.player --port 5004 [--mode goal] [--layout office]
        [--config sim.yaml] [--compression none|png] [--fake-version X.Y.Z]

It also accepts the arguments ``UnityEnvironment`` passes to a build (``--mlagents-port N``,
``-nographics``, ``-batchmode``, ``-logFile PATH``), so :func:`write_launcher` makes an
executable that ``UnityEnvironment(file_name=...)`` / ``UnityNavEnv(file_name=...)`` start like a
Unity build. Exit codes: 0 closed by the trainer (or the trainer went away after the
handshake: a Unity player quits then too), 1 no trainer / error, 2 bad arguments, 3 rejected at
initialization (version mismatch).
"""

from __future__ import annotations

import argparse
import copy
import io
import logging
import math
import os
import stat
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc
import numpy as np
import yaml
from mlagents_envs.base_env import DimensionProperty
from mlagents_envs.communicator_objects.agent_info_pb2 import AgentInfoProto
from mlagents_envs.communicator_objects.brain_parameters_pb2 import BrainParametersProto
from mlagents_envs.communicator_objects.capabilities_pb2 import UnityRLCapabilitiesProto
from mlagents_envs.communicator_objects.command_pb2 import QUIT, RESET, STEP
from mlagents_envs.communicator_objects.observation_pb2 import NONE, PNG, ObservationProto
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_output_pb2 import UnityOutputProto
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_envs.communicator_objects.unity_to_external_pb2_grpc import (
    UnityToExternalProtoStub,
)
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.side_channel.default_training_analytics_side_channel import (
    DefaultTrainingAnalyticsSideChannel,
)
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.side_channel import SideChannel
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager
from PIL import Image

from .. import __version__ as xai_sim_version
from ..config import SimConfig
from ..env import ACTION_NAMES, MODES, STOP, IndoorNavEnv
from .channel import NO_SEED, NOT_APPLICABLE, EpisodeConfig, EpisodeConfigChannel, EpisodeReport
from .contract import API_VERSION, BEHAVIOR_NAME, NUM_ACTIONS, VISUAL, encode_observation

log = logging.getLogger("xai_sim.unity.player")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED = 0, 1, 2, 3
_DISCONNECTED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
COMPRESSIONS = ("none", "png")
PACKAGE_VERSION = f"xai_sim-player-{xai_sim_version}"
"""Reported as the Unity package version (``rl_initialization_output.package_version``)."""

# Side channels a trainer may send that the player accepts and ignores (training analytics of
# UnityEnvironment, engine configuration and environment parameters of mlagents-learn).
_IGNORED_CHANNELS = (
    str(DefaultTrainingAnalyticsSideChannel.CHANNEL_ID),
    "e951342c-4f7e-11ea-b238-784f4387d1f7",
    "534c891e-810f-11ea-a9d0-822485860400",
)


class _IgnoredChannel(SideChannel):
    """Accepts and drops the messages of one side channel."""

    def on_message_received(self, msg: IncomingMessage) -> None:
        pass


class SimAcademy:
    """The Unity scene of the contract: one ``HSRNav`` agent in an ``IndoorNavEnv``.

    Pure protocol logic (no sockets): :meth:`initialization_output` answers the handshake and
    :meth:`handle` turns each ``UnityRLInputProto`` into the ``UnityOutputProto`` to send back.

    Args:
        config: simulator configuration (default ``SimConfig()``).
        mode: initial mode (an ``EpisodeConfig`` may change it).
        layout: initial layout, None = procedural floor plans.
        compression: ``"none"`` or ``"png"`` for the semantic and top-down images.
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        mode: str = "goal",
        layout: str | None = None,
        compression: str = "none",
    ) -> None:
        if compression not in COMPRESSIONS:
            raise ValueError(f"compression must be one of {COMPRESSIONS}, got {compression!r}")
        self.sim_config = config if config is not None else SimConfig()
        self.env = IndoorNavEnv(self.sim_config, mode=mode, layout=layout)
        self.compression = compression
        self.channel = EpisodeConfigChannel()
        ignored = [_IgnoredChannel(uuid.UUID(cid)) for cid in _IGNORED_CHANNELS]
        self._side_channels = SideChannelManager([self.channel, *ignored])
        self._settings = EpisodeConfig(mode=mode, layout=layout or "")
        self._pending_seed: int | None = None
        self._init_seed = 0
        self._seeded = False
        self._episode = -1  # index of the running episode
        self._episode_seed = NO_SEED
        self._next_agent_id = 0
        self._agent_id = -1
        self._restart: tuple[dict[str, Any], int | None] | None = None
        self._brain_sent = False
        self.bad_inputs = 0

    # ------------------------------------------------------------------ handshake

    def initialization_output(
        self, communication_version: str = API_VERSION, package_version: str = PACKAGE_VERSION
    ) -> UnityOutputProto:
        """First message of the handshake (what a Unity Academy sends)."""
        out = UnityOutputProto()
        init = out.rl_initialization_output
        init.name = "HSRNav"
        init.communication_version = communication_version
        init.package_version = package_version
        init.capabilities.CopyFrom(_capabilities())
        return out

    def set_seed(self, seed: int) -> None:
        """Seed from the trainer's ``rl_initialization_input`` (used by the first episode)."""
        self._init_seed = int(seed)

    def brain_parameters(self) -> BrainParametersProto:
        """Behavior ``HSRNav?team=0``: one discrete branch of 4 actions."""
        brain = BrainParametersProto(brain_name=BEHAVIOR_NAME, is_training=True)
        brain.action_spec.num_continuous_actions = 0
        brain.action_spec.num_discrete_actions = 1
        brain.action_spec.discrete_branch_sizes.append(NUM_ACTIONS)
        brain.action_spec.action_descriptions.extend(ACTION_NAMES)
        brain.vector_action_size_deprecated.append(NUM_ACTIONS)
        brain.vector_action_space_type_deprecated = 0  # discrete
        return brain

    # ------------------------------------------------------------------ per exchange

    def handle(
        self, rl_input: UnityRLInputProto, out: UnityOutputProto | None = None
    ) -> UnityOutputProto | None:
        """One trainer input -> the output to send; None when the trainer asked to quit.

        ``out``: an empty message to fill in place (e.g. the ``unity_output`` of the
        ``UnityMessageProto`` to send, which saves copying ~300 kB per step).
        """
        try:
            self._side_channels.process_side_channel_message(bytes(rl_input.side_channel))
        except UnityEnvironmentException as e:  # framing broken: drop the rest of it
            self._bad_input(f"side-channel data dropped: {e}")
        for config in self.channel.pop_configs():
            self._settings = EpisodeConfig(
                mode=config.mode, layout=config.layout, sketch_id=config.sketch_id
            )
            self._pending_seed = config.seed if config.seed != NO_SEED else None
        if rl_input.command == QUIT:
            return None
        out = out if out is not None else UnityOutputProto()
        infos = out.rl_output.agentInfos[BEHAVIOR_NAME].value
        if rl_input.command == RESET or self._episode < 0:
            obs = self._begin_episode(automatic=False)
            self._fill_agent_info(infos.add(), obs, 0.0, done=False)
        elif rl_input.command == STEP:
            self._step(self._action(rl_input), infos)
        else:
            self._bad_input(f"unknown command {rl_input.command}; treated as STEP with stop")
            self._step(STOP, infos)
        out.rl_output.side_channel = bytes(self._side_channels.generate_side_channel_messages())
        if not self._brain_sent:
            out.rl_initialization_output.brain_parameters.append(self.brain_parameters())
            self._brain_sent = True
        return out

    def _step(self, action: int, infos: Any) -> None:
        """Step the simulator; append the agent info(s) to the repeated field ``infos``."""
        obs, reward, terminated, truncated, _ = self.env.step(action)
        self._restart = None
        done = terminated or truncated
        self._fill_agent_info(infos.add(), obs, reward, done=done, max_step_reached=truncated)
        if done:
            self.channel.send_report(self._report())
            obs = self._begin_episode(automatic=True)
            self._fill_agent_info(infos.add(), obs, 0.0, done=False)

    def _action(self, rl_input: UnityRLInputProto) -> int:
        if BEHAVIOR_NAME not in rl_input.agent_actions:
            return STOP  # the trainer sent no action: ML-Agents' empty action is 0
        actions = rl_input.agent_actions[BEHAVIOR_NAME].value
        if not actions:
            return STOP
        first = actions[0]
        values = first.discrete_actions or first.vector_actions_deprecated
        action = int(values[0]) if len(values) else STOP
        if not 0 <= action < NUM_ACTIONS:
            self._bad_input(f"action {action} outside 0..{NUM_ACTIONS - 1}; using stop")
            return STOP
        return action

    def _begin_episode(self, *, automatic: bool) -> dict[str, np.ndarray]:
        """Start an episode with the settings in force; returns its first observation."""
        if not automatic and self._restart is not None:
            # RESET before the first step of an automatic restart: undo that restart.
            state, seed = self._restart
            self.env.np_random.bit_generator.state = state
            if self._pending_seed is None:
                self._pending_seed = seed
            self._episode -= 1
        self._restart = None
        settings = self._settings
        if settings.mode != self.env.mode:
            self.env = IndoorNavEnv(self.sim_config, mode=settings.mode)
            self._seeded = False
        seed, self._pending_seed = self._pending_seed, None
        if seed is None and not self._seeded:
            seed = self._init_seed
        # "" = procedural: passed as None explicitly, or IndoorNavEnv would use its own default.
        options: dict[str, str | None] = {"layout": settings.layout or None}
        if settings.sketch_id and settings.mode == "sketch":
            options["sketch"] = settings.sketch_id
        if automatic:
            self._restart = (copy.deepcopy(self.env.np_random.bit_generator.state), seed)
        try:
            obs, _ = self.env.reset(seed=seed, options=options)
        except (ValueError, RuntimeError) as e:
            self._bad_input(f"episode config {settings} refused ({e}); using the defaults")
            self._settings = EpisodeConfig(mode=settings.mode)
            obs, _ = self.env.reset(seed=seed)
        self._seeded = True
        self._episode += 1
        self._episode_seed = NO_SEED if seed is None else int(seed)
        self._agent_id = self._next_agent_id
        self._next_agent_id += 1
        return obs

    def _report(self) -> EpisodeReport:
        status = self.env.episode_status()
        return EpisodeReport(
            episode=self._episode,
            layout=self.env.layout_name,
            seed=self._episode_seed,
            status={
                "step": status.step,
                "collisions": status.collisions,
                "success": bool(status.success),
                "reason": status.reason,
                "ade_m": status.ade if math.isfinite(status.ade) else NOT_APPLICABLE,
                "fde_m": status.fde if math.isfinite(status.fde) else NOT_APPLICABLE,
            },
        )

    def _fill_agent_info(
        self,
        info: AgentInfoProto,
        obs: dict[str, np.ndarray],
        reward: float,
        *,
        done: bool,
        max_step_reached: bool = False,
    ) -> None:
        info.reward = float(reward)
        info.done = done
        info.max_step_reached = max_step_reached
        info.id = self._agent_id
        for name, array in encode_observation(obs).items():
            if self.compression == "png" and name in ("semantic", "topdown"):
                _png_observation(info.observations.add(), name, obs[name])
            else:
                _float_observation(info.observations.add(), name, array)

    def _bad_input(self, message: str) -> None:
        self.bad_inputs += 1
        log.warning("%s (bad inputs so far: %d)", message, self.bad_inputs)


# ---------------------------------------------------------------------- gRPC client


class PythonPlayer:
    """Connects a :class:`SimAcademy` to a trainer's gRPC server and plays until closed.

    Args:
        academy: the simulated Unity scene.
        port: the trainer's port (``UnityEnvironment`` listens on ``base_port + worker_id``).
        host: the trainer's host.
        api_version: communication version to announce (tests use a wrong one on purpose).
        connect_timeout_s: how long to wait for the trainer's server to answer the handshake.
    """

    def __init__(
        self,
        academy: SimAcademy,
        port: int,
        *,
        host: str = "localhost",
        api_version: str = API_VERSION,
        connect_timeout_s: float = 60.0,
    ) -> None:
        self.academy = academy
        self.address = f"{host}:{port}"
        self.api_version = api_version
        self.connect_timeout_s = connect_timeout_s
        self.steps = 0
        self.connected = False

    def run(self) -> int:
        """Play until the trainer closes (exit code, see the module docstring)."""
        channel = grpc.insecure_channel(
            self.address, options=[("grpc.max_receive_message_length", 64 * 2**20)]
        )
        try:
            return self._play(UnityToExternalProtoStub(channel))
        except grpc.RpcError as e:
            if self.connected and e.code() in _DISCONNECTED:
                # UnityEnvironment.close() stops its server right after queueing the close
                # message, which may cancel the call that would carry it; a Unity player quits
                # on UNAVAILABLE too.
                log.info("the trainer went away after %d exchanges (%s)", self.steps, _rpc_text(e))
                return EXIT_OK
            log.error("connection to the trainer at %s lost: %s", self.address, _rpc_text(e))
            return EXIT_ERROR
        finally:
            channel.close()

    def _play(self, stub: UnityToExternalProtoStub) -> int:
        academy = self.academy
        first = _message(academy.initialization_output(self.api_version))
        try:
            reply = stub.Exchange(first, wait_for_ready=True, timeout=self.connect_timeout_s)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                log.error(
                    "no trainer answered at %s within %.0f s", self.address, self.connect_timeout_s
                )
                return EXIT_ERROR
            raise
        trainer = reply.unity_input.rl_initialization_input
        academy.set_seed(trainer.seed)
        compatible = _compatible(self.api_version, trainer.communication_version)
        log.info(
            "connected to %s: trainer communication API %s (mlagents-envs %s), player API %s",
            self.address,
            trainer.communication_version,
            trainer.package_version,
            self.api_version,
        )
        try:
            reply = stub.Exchange(UnityMessageProto(header={"status": 200}))
            closed = reply.header.status != 200
        except grpc.RpcError as e:
            if compatible or e.code() not in _DISCONNECTED:
                raise
            closed = True  # the rejecting trainer stopped its server before the reply left
        if closed:
            if not compatible:
                log.error(
                    "communication API version mismatch: player %s, trainer %s "
                    "(mlagents-envs %s); the trainer closed the connection",
                    self.api_version,
                    trainer.communication_version,
                    trainer.package_version,
                )
                return EXIT_REJECTED
            log.info("the trainer closed during the handshake")
            return EXIT_OK
        self.connected = True
        while True:
            message = UnityMessageProto()
            message.header.status = 200
            if academy.handle(reply.unity_input.rl_input, message.unity_output) is None:
                log.info("QUIT received after %d exchanges", self.steps)
                return EXIT_OK
            reply = stub.Exchange(message)
            self.steps += 1
            if reply.header.status != 200:
                log.info("the trainer closed after %d exchanges", self.steps)
                return EXIT_OK


def _compatible(player: str, trainer: str) -> bool:
    """ML-Agents rule: compatible when the major versions agree (minor for 0.x)."""
    a, b = player.split("."), trainer.split(".")
    return a[0] == b[0] and (a[0] != "0" or a[1:2] == b[1:2])


def _message(out: UnityOutputProto) -> UnityMessageProto:
    message = UnityMessageProto()
    message.header.status = 200
    message.unity_output.CopyFrom(out)
    return message


def _rpc_text(error: grpc.RpcError) -> str:
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    return f"{code.name if code else 'error'}: {details}"


def _capabilities() -> UnityRLCapabilitiesProto:
    return UnityRLCapabilitiesProto(
        baseRLCapabilities=True,
        concatenatedPngObservations=True,
        compressedChannelMapping=True,
        hybridActions=True,
        trainingAnalytics=True,
        variableLengthObservation=True,
        multiAgentGroups=True,
    )


def _dimension_properties(name: str) -> list[int]:
    if name in VISUAL:  # (C, H, W): channels, then the two translation-equivariant axes
        return [
            int(DimensionProperty.NONE),
            int(DimensionProperty.TRANSLATIONAL_EQUIVARIANCE),
            int(DimensionProperty.TRANSLATIONAL_EQUIVARIANCE),
        ]
    return [int(DimensionProperty.NONE)]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _float_observation(obs: ObservationProto, name: str, array: np.ndarray) -> None:
    """Fill ``obs`` uncompressed; the packed floats are parsed in one piece (no per-float
    Python loop): field 1 of ``FloatData``, wire type 2."""
    obs.name = name
    obs.compression_type = NONE
    obs.shape.extend(array.shape)
    obs.dimension_properties.extend(_dimension_properties(name))
    data = np.ascontiguousarray(array, dtype="<f4").tobytes()
    obs.float_data.MergeFromString(b"\x0a" + _varint(len(data)) + data)


def _png_observation(obs: ObservationProto, name: str, image: np.ndarray) -> None:
    """Fill ``obs`` with an (H, W, 3) uint8 image as PNG, shape (3, H, W)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(
        buffer, format="PNG", compress_level=1
    )
    obs.name = name
    obs.compression_type = PNG
    obs.compressed_data = buffer.getvalue()
    obs.shape.extend((3, image.shape[0], image.shape[1]))
    obs.dimension_properties.extend(_dimension_properties(name))


# ---------------------------------------------------------------------- launcher and CLI


def write_launcher(path: str | os.PathLike[str], args: Sequence[str] = ()) -> Path:
    """Write an executable that starts this player the way ``UnityEnvironment`` starts a build.

    ``UnityNavEnv(file_name=path)`` then launches one player per environment on
    ``base_port + worker_id`` and stops it at ``close()``. ``args`` are extra player options
    (e.g. ``["--mode", "sketch"]``). Uses this interpreter (``sys.executable``).
    """
    path = Path(path)
    quoted = " ".join(_shell_quote(a) for a in (sys.executable, "-m", __name__, *args))
    path.write_text(
        "#!/bin/sh\n"
        "# xai_sim Python player standing in for a Unity ML-Agents build (unity_sim/CONTRACT.md)\n"
        f'exec {quoted} "$@"\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m xai_sim.unity.player",
        description="Play the Unity side of the ML-Agents protocol with the xai_sim simulator.",
    )
    parser.add_argument("--port", "--mlagents-port", dest="port", type=int, default=5004)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--mode", choices=MODES, default="goal")
    parser.add_argument("--layout", default=None, help="named layout (default: procedural)")
    parser.add_argument("--config", default=None, help="SimConfig YAML (SimConfig.from_dict)")
    parser.add_argument("--compression", choices=COMPRESSIONS, default="none")
    parser.add_argument(
        "--fake-version",
        default=None,
        metavar="X.Y.Z",
        help=f"announce this communication API version instead of {API_VERSION} (tests)",
    )
    parser.add_argument("--connect-timeout", type=float, default=60.0, help="seconds")
    parser.add_argument("-logFile", "--log-file", dest="log_file", default=None)
    parser.add_argument("-nographics", action="store_true", help="accepted (Unity build flag)")
    parser.add_argument("-batchmode", action="store_true", help="accepted (Unity build flag)")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format=f"[xai_sim player :{args.port}] %(levelname)s %(message)s",
        filename=args.log_file,
    )
    if unknown:
        log.warning("ignoring arguments %s", unknown)
    try:
        sim_config = None
        if args.config:
            sim_config = SimConfig.from_dict(yaml.safe_load(Path(args.config).read_text()))
        academy = SimAcademy(
            sim_config, mode=args.mode, layout=args.layout, compression=args.compression
        )
    except (OSError, ValueError) as e:
        parser.error(str(e))
    player = PythonPlayer(
        academy,
        args.port,
        host=args.host,
        api_version=args.fake_version or API_VERSION,
        connect_timeout_s=args.connect_timeout,
    )
    return player.run()


if __name__ == "__main__":
    sys.exit(main())
