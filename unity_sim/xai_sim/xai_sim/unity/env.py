"""``UnityNavEnv``: the contract's Unity ML-Agents environment as a gymnasium env.

Same observation and action spaces, reset options and step semantics as
:class:`xai_sim.IndoorNavEnv`, so a training script takes either (``--env sim|unity``). It is a
thin layer over ``mlagents_envs.environment.UnityEnvironment``: the trainer side of ML-Agents
(the gRPC server), talking to a Unity build, the Unity Editor, or the Python player
(``python -m xai_sim.unity.player``).

Ports: the environment listens on ``base_port + worker_id``. With ``file_name`` it starts that
build with ``--mlagents-port <port>``; with ``file_name=None`` it waits for an Editor in Play
mode or a player started with ``--port <port>``. Unlike ``UnityEnvironment`` (which refuses a
``worker_id`` without a build), ``worker_id`` offsets the port in both cases, so vectorised
envs use ``worker_id=i`` either way: env ``i`` of N on ``base_port + i``.

``info`` per step: ``collision`` (a forward move was blocked: the pose did not change),
``collisions``, ``step``, ``distance_to_goal`` (from the ``goal`` observation), ``success`` /
``is_success`` (False until the end). At an episode end the ``EpisodeReport`` of the side channel
overrides ``collisions``, ``step``, ``success``, ``is_success`` and adds ``reason``, ``episode``,
``layout``, ``seed`` and in sketch mode ``ade`` / ``fde`` (metres). ``IndoorNavEnv``'s
``subgoal_index`` / ``num_subgoals`` are not part of the contract and are absent.

Sketch mode: the contract carries sketch ids only, so ``reset()`` without a ``sketch`` option
draws one of the packaged evaluation sketches (``data/sketches.json``) with the env's own
random generator and ``self.sketch`` is always the running sketch; ``"random"`` sketches exist
only on the Unity side (``self.sketch`` is then None).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import warnings
import weakref
from typing import Any

import gymnasium as gym
import numpy as np
from mlagents_envs.base_env import ActionTuple, BehaviorSpec, DecisionSteps, TerminalSteps
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import (
    UnityEnvironmentException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)

from ..config import SimConfig
from ..env import ACTION_NAMES, FORWARD, IndoorNavEnv
from ..sketches import Sketch, get_sketch, load_sketches
from ..world import make_layout
from .channel import NO_SEED, EpisodeConfig, EpisodeConfigChannel, EpisodeReport
from .contract import (
    BEHAVIOR_NAME,
    NUM_ACTIONS,
    OBSERVATION_NAMES,
    VISUAL,
    decode_observation,
    observation_layouts,
)

log = logging.getLogger(__name__)

MAX_IDLE_STEPS = 100
"""Academy steps without a decision of our agent before ``step()`` gives up (the contract asks
for a decision every step, so one is normal)."""


class UnityNavEnv(gym.Env):
    """gymnasium env over a Unity ML-Agents environment following ``unity_sim/CONTRACT.md``.

    Args:
        file_name: Unity build (or :func:`xai_sim.unity.player.write_launcher` script) to
            start; None = connect to an already running Editor / player.
        mode: ``"goal"`` or ``"sketch"`` (sent with every reset).
        worker_id: port offset (see the module docstring).
        base_port: first port.
        timeout_wait: seconds to wait for the connection and for each answer.
        no_graphics: start the build with ``-nographics -batchmode``.
        seed: ML-Agents seed of the environment (first episode when ``reset`` gets none).
        layout: default layout of every reset (None = procedural floor plans), as in
            ``IndoorNavEnv``.
        sim_config: the simulator configuration the Unity side uses (spaces, resolutions,
            sketch pool); must match the player's / build's.

    Raises:
        UnityTimeOutException: nothing connected within ``timeout_wait`` seconds.
        UnityEnvironmentException: the build did not start, or the communication API versions
            are incompatible (the message names both).
        UnityWorkerInUseException: the port is taken.
    """

    metadata = {"render_modes": []}

    def __init__(
        self,
        file_name: str | None = None,
        *,
        mode: str = "goal",
        worker_id: int = 0,
        base_port: int = 5004,
        timeout_wait: int = 60,
        no_graphics: bool = True,
        seed: int = 0,
        layout: str | None = None,
        sim_config: SimConfig | None = None,
    ) -> None:
        super().__init__()
        reference = IndoorNavEnv(sim_config, mode=mode, layout=layout)  # validates the args
        self.observation_space = reference.observation_space
        self.action_space = reference.action_space
        self.config = reference.config
        self.mode = mode
        self.layout = layout
        self.port = base_port + worker_id
        self.channel = EpisodeConfigChannel()
        self.sketch: Sketch | None = None
        self._unity: UnityEnvironment | None = None
        self._index: dict[str, int] | None = None
        self._obs: dict[str, np.ndarray] | None = None
        self._done = False
        self._steps = 0
        self._collisions = 0
        where = f"port {self.port}"
        try:
            with warnings.catch_warnings():  # mlagents-envs' version check uses distutils
                warnings.filterwarnings("ignore", "distutils Version", DeprecationWarning)
                self._unity = self._connect(
                    file_name, worker_id, base_port, seed, no_graphics, timeout_wait
                )
        except UnityTimeOutException as e:
            hint = (
                f"the build {file_name!r} did not connect (see its Player.log)"
                if file_name is not None
                else "press Play in the Unity Editor, or start "
                f"`python -m xai_sim.unity.player --port {self.port}`"
            )
            raise UnityTimeOutException(
                f"UnityNavEnv: no Unity environment connected on {where} within "
                f"{timeout_wait} s: {hint}."
            ) from e
        except UnityWorkerInUseException as e:
            error = UnityWorkerInUseException(worker_id)
            error.args = (f"UnityNavEnv: {where} is in use; pick another base_port / worker_id",)
            raise error from e
        except UnityEnvironmentException as e:
            raise UnityEnvironmentException(f"UnityNavEnv ({where}): {e}") from e
        _close_before_thread_join(self)

    def _connect(
        self,
        file_name: str | None,
        worker_id: int,
        base_port: int,
        seed: int,
        no_graphics: bool,
        timeout_wait: int,
    ) -> UnityEnvironment:
        unity = UnityEnvironment.__new__(UnityEnvironment)
        try:
            unity.__init__(
                file_name=file_name,
                worker_id=worker_id if file_name is not None else 0,
                base_port=base_port if file_name is not None else self.port,
                seed=seed,
                no_graphics=no_graphics,
                timeout_wait=timeout_wait,
                side_channels=[self.channel],
            )
        except BaseException:
            # UnityEnvironment registers its atexit close first thing; when it fails before
            # it has a communicator (port in use) that close would fail noisily at exit.
            if not hasattr(unity, "_communicator"):
                atexit.unregister(unity._close)
            raise
        return unity

    @property
    def unity_env(self) -> UnityEnvironment:
        """The underlying ``UnityEnvironment`` (raises after ``close()``)."""
        if self._unity is None:
            raise RuntimeError("UnityNavEnv is closed")
        return self._unity

    # ------------------------------------------------------------------ gymnasium API

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Start an episode: same ``seed`` / ``options`` (``layout``, ``sketch``) as
        ``IndoorNavEnv.reset``; they travel to Unity as an ``EpisodeConfig``."""
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = sorted(set(options) - {"layout", "sketch"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; valid: 'layout', 'sketch'")
        layout = options.get("layout", self.layout)
        if layout is not None:
            make_layout(layout)  # unknown names fail here, with the list of names
        sketch_id = options.get("sketch")
        if sketch_id not in (None, "random"):
            get_sketch(sketch_id)
        if self.mode == "sketch" and sketch_id is None:
            if self.config.episode.sketch_pool == "random":
                sketch_id = "random"
        if self.mode == "sketch" and sketch_id is None:
            sketches = load_sketches()
            sketch_id = sketches[int(self.np_random.integers(len(sketches)))].id
        self.sketch = get_sketch(sketch_id) if sketch_id not in (None, "random") else None
        config = EpisodeConfig(
            mode=self.mode,
            layout=layout or "",
            seed=NO_SEED if seed is None else int(seed),
            sketch_id=(sketch_id or "") if self.mode == "sketch" else "",
        )
        self.channel.send_config(config)
        unity = self.unity_env
        unity.reset()
        self._check_spec(unity.behavior_specs)
        decision, _ = unity.get_steps(BEHAVIOR_NAME)
        if len(decision) != 1:
            raise UnityEnvironmentException(
                f"after a reset the Unity environment must request exactly one decision of "
                f"{BEHAVIOR_NAME!r}, got {len(decision)} (unity_sim/CONTRACT.md)"
            )
        self.channel.pop_reports()  # reports of episodes that ended before this reset
        self._obs = self._decode(decision, 0)
        self._done = False
        self._steps = 0
        self._collisions = 0
        return self._obs, self._info(self._obs, collision=False, report=None)

    def step(
        self, action: int | np.integer
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if self._obs is None:
            raise RuntimeError("call reset() first")
        if self._done:
            raise RuntimeError("episode is over; call reset() before step()")
        action = int(action)
        if not 0 <= action < len(ACTION_NAMES):
            raise ValueError(f"action must be in 0..{len(ACTION_NAMES) - 1}, got {action}")
        unity = self.unity_env
        unity.set_actions(BEHAVIOR_NAME, ActionTuple(discrete=np.array([[action]], np.int32)))
        unity.step()
        decision, terminal = unity.get_steps(BEHAVIOR_NAME)
        for _ in range(MAX_IDLE_STEPS):
            if len(decision) or len(terminal):
                break
            unity.step()
            decision, terminal = unity.get_steps(BEHAVIOR_NAME)
        else:
            raise UnityEnvironmentException(
                f"{BEHAVIOR_NAME!r} requested no decision for {MAX_IDLE_STEPS} academy steps; "
                "the contract needs one every step (DecisionRequester period 1)"
            )
        terminated = truncated = False
        report = None
        if len(terminal):
            obs = self._decode(terminal, 0)
            reward = float(terminal.reward[0])
            truncated = bool(terminal.interrupted[0])
            terminated = not truncated
            self._done = True
            reports = self.channel.pop_reports()
            report = reports[-1] if reports else None
            if report is None:
                log.warning("episode ended without an EpisodeReport on the side channel")
        else:
            obs = self._decode(decision, 0)
            reward = float(decision.reward[0])
        self._steps += 1
        moved = not np.array_equal(obs["pose"][:2], self._obs["pose"][:2])
        collision = action == FORWARD and not moved
        self._collisions += int(collision)
        self._obs = obs
        return obs, reward, terminated, truncated, self._info(obs, collision, report)

    def close(self) -> None:
        """Close the connection (the player / build exits); safe to call twice."""
        if self._unity is not None:
            unity, self._unity = self._unity, None
            unity.close()
        super().close()

    # ------------------------------------------------------------------ internals

    def _info(
        self, obs: dict[str, np.ndarray], collision: bool, report: EpisodeReport | None
    ) -> dict[str, Any]:
        info: dict[str, Any] = {
            "collision": collision,
            "collisions": self._collisions,
            "success": False,
            "is_success": False,
            "step": self._steps,
            "distance_to_goal": float(obs["goal"][2]),
        }
        if report is not None:
            status = report.status
            success = bool(status["success"])
            info.update(
                collisions=int(status["collisions"]),
                step=int(status["step"]),
                success=success,
                is_success=success,
                reason=str(status["reason"]),
                episode=report.episode,
                layout=report.layout,
                seed=report.seed,
            )
            if self.mode == "sketch":
                info["ade"], info["fde"] = report.ade_m, report.fde_m
        return info

    def _decode(self, steps: DecisionSteps | TerminalSteps, row: int) -> dict[str, np.ndarray]:
        assert self._index is not None
        return decode_observation({name: steps.obs[i][row] for name, i in self._index.items()})

    def _check_spec(self, specs: Any) -> None:
        """Check the behavior against the contract once; map observation names to indices."""
        if self._index is not None:
            return
        if BEHAVIOR_NAME not in specs:
            raise UnityEnvironmentException(
                f"the Unity environment has no behavior {BEHAVIOR_NAME!r} (it has "
                f"{sorted(specs)}); see unity_sim/CONTRACT.md"
            )
        spec: BehaviorSpec = specs[BEHAVIOR_NAME]
        problems = []
        action = spec.action_spec
        if action.continuous_size != 0 or tuple(action.discrete_branches) != (NUM_ACTIONS,):
            problems.append(
                f"actions: expected one discrete branch of {NUM_ACTIONS}, got "
                f"{action.continuous_size} continuous + branches {action.discrete_branches}"
            )
        names = [o.name for o in spec.observation_specs]
        # ML-Agents may sort sensors by name: match by name, by position only without names.
        if sorted(names) == sorted(OBSERVATION_NAMES):
            index = {name: names.index(name) for name in OBSERVATION_NAMES}
        else:
            index = {name: i for i, name in enumerate(OBSERVATION_NAMES)}
            if len(names) != len(OBSERVATION_NAMES) or any(names):
                problems.append(f"observations: expected {list(OBSERVATION_NAMES)}, got {names}")
        for layout in observation_layouts(self.config):
            i = index[layout.name]
            if i >= len(spec.observation_specs):
                continue
            shape = tuple(spec.observation_specs[i].shape)
            allowed = {layout.shape}
            if layout.name in VISUAL:
                c, h, w = layout.shape
                allowed.add((h, w, c))
            if shape not in allowed:
                problems.append(
                    f"observation {layout.name!r}: shape {shape}, expected {layout.shape}"
                )
        if problems:
            raise UnityEnvironmentException(
                "the Unity environment does not follow unity_sim/CONTRACT.md: "
                + "; ".join(problems)
            )
        self._index = index


def _close_before_thread_join(env: UnityNavEnv) -> None:
    """Close ``env`` at interpreter exit *before* threads are joined.

    ``UnityEnvironment``'s gRPC handler thread waits for the main thread until the next
    exchange; if the program ends (or crashes) without ``close()``, the interpreter's join of
    that non-daemon thread would wait forever, before ``UnityEnvironment``'s own ``atexit``
    close could run. ``threading._register_atexit`` (what ``concurrent.futures`` uses) runs
    hooks before that join, newest first, so the connection is closed and the thread returns.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # not CPython 3.9+: close() is then the only way out
        return
    ref = weakref.ref(env)

    def close() -> None:
        alive = ref()
        if alive is not None:
            with contextlib.suppress(Exception):
                alive.close()

    with contextlib.suppress(RuntimeError):  # already shutting down
        register(close)
