"""UnityNavEnv end to end over the ML-Agents protocol, against the Python player.

Each test starts ``python -m xai_sim.unity.player`` as a subprocess (the Unity side, gRPC
client) and a ``UnityNavEnv`` / ``UnityEnvironment`` (the trainer side, gRPC server) on a free
loopback port, and compares what comes over the protocol with ``IndoorNavEnv`` called directly.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

# isort: off
import xai_sim.unity  # noqa: F401  (first: installs the protobuf loader mlagents_envs needs)
from mlagents_envs.base_env import ActionTuple
from mlagents_envs.environment import UnityEnvironment
from mlagents_envs.exception import (
    UnityEnvironmentException,
    UnityTimeOutException,
    UnityWorkerInUseException,
)

# isort: on
from xai_sim import IndoorNavEnv, ScriptedDriver
from xai_sim.unity import API_VERSION, BEHAVIOR_NAME, OBSERVATION_NAMES, UnityNavEnv
from xai_sim.unity.player import write_launcher

TIMEOUT = 30  # seconds; generous for a loaded 2-core machine, never reached when things work


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@contextmanager
def player(port: int, *args: str) -> Iterator[subprocess.Popen]:
    """The Python player on ``port`` (killed at the end if still running)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "xai_sim.unity.player", "--port", str(port)]
        + ["--connect-timeout", str(TIMEOUT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def exit_code(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out


def assert_same_obs(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    np.testing.assert_array_equal(got["semantic"], want["semantic"])
    np.testing.assert_array_equal(got["topdown"], want["topdown"])
    np.testing.assert_allclose(got["depth"], want["depth"], atol=1e-3)
    for key in ("goal", "pose", "waypoint"):
        np.testing.assert_allclose(got[key], want[key], atol=1e-5, err_msg=key)
    for key, value in got.items():
        assert value.dtype == want[key].dtype and value.shape == want[key].shape, key


def scripted_success(layout: str) -> tuple[int, list[int]]:
    """A seed and the ScriptedDriver's actions that reach the goal in ``layout``."""
    for seed in range(40):
        env = IndoorNavEnv(mode="goal")
        env.reset(seed=seed, options={"layout": layout})
        driver = ScriptedDriver(env.config.robot.turn_angle_rad)
        actions: list[int] = []
        while True:
            actions.append(driver.act(env.pose, env.subgoal_xy))
            _, _, terminated, truncated, info = env.step(actions[-1])
            if terminated or truncated:
                break
        if info["is_success"] and info["collisions"] == 0:
            return seed, actions
    raise AssertionError(f"no scripted success in {layout}")


@pytest.fixture(scope="module")
def goal_env() -> Iterator[UnityNavEnv]:
    """One player + UnityNavEnv (goal mode) shared by the tests that only reset and step."""
    port = free_port()
    with player(port) as proc:
        env = UnityNavEnv(None, base_port=port, timeout_wait=TIMEOUT)
        yield env
        env.close()
        code, out = exit_code(proc)
        assert code == 0, out


def test_spaces_equal_indoor_nav_env(goal_env: UnityNavEnv) -> None:
    reference = IndoorNavEnv(mode="goal")
    assert goal_env.observation_space == reference.observation_space
    assert goal_env.action_space == reference.action_space


@pytest.mark.parametrize(("seed", "layout"), [(3, "office"), (11, None)])
def test_reset_matches_indoor_nav_env(goal_env: UnityNavEnv, seed: int, layout: str) -> None:
    options = {"layout": layout} if layout else None
    obs, info = goal_env.reset(seed=seed, options=options)
    want, want_info = IndoorNavEnv(mode="goal").reset(seed=seed, options=options)
    assert_same_obs(obs, want)
    assert goal_env.observation_space.contains(obs)
    assert info["step"] == 0 and info["is_success"] is False and info["collisions"] == 0


def test_fixed_actions_match_indoor_nav_env(goal_env: UnityNavEnv) -> None:
    # Straight into walls (collisions), turns, stops: 60 steps of every action kind.
    actions = [1] * 15 + [2, 1, 1, 3, 0] * 6 + [3] * 3 + [1] * 12
    reference = IndoorNavEnv(mode="goal")
    goal_env.reset(seed=7, options={"layout": "corridor"})
    reference.reset(seed=7, options={"layout": "corridor"})
    collisions = 0
    for action in actions:
        obs, reward, terminated, truncated, info = goal_env.step(action)
        want, want_reward, want_term, want_trunc, want_info = reference.step(action)
        assert_same_obs(obs, want)
        assert np.float32(reward) == np.float32(want_reward)
        assert (terminated, truncated) == (want_term, want_trunc)
        for key in ("collision", "collisions", "step", "is_success", "success"):
            assert info[key] == want_info[key], key
        assert info["distance_to_goal"] == pytest.approx(want_info["distance_to_goal"], abs=1e-4)
        collisions += info["collision"]
        if terminated or truncated:
            break
    assert collisions > 0, "the sequence should bump into something"


def test_success_episode_end_and_next_reset(goal_env: UnityNavEnv) -> None:
    seed, actions = scripted_success("office")
    reference = IndoorNavEnv(mode="goal")
    goal_env.reset(seed=seed, options={"layout": "office"})
    reference.reset(seed=seed, options={"layout": "office"})
    for i, action in enumerate(actions):
        obs, reward, terminated, truncated, info = goal_env.step(action)
        _, want_reward, want_term, want_trunc, want_info = reference.step(action)
        assert np.float32(reward) == np.float32(want_reward)
        assert (terminated, truncated) == (want_term, want_trunc)
        assert terminated == (i == len(actions) - 1)
    assert info["is_success"] is True and want_info["is_success"] is True
    assert info["reason"] == "goal_reached"
    assert (info["layout"], info["seed"], info["step"]) == ("office", seed, len(actions))
    with pytest.raises(RuntimeError, match="episode is over"):
        goal_env.step(0)
    # reset() without a seed continues the random stream exactly like IndoorNavEnv (the
    # player's automatic restart after the episode end is rewound).
    obs, _ = goal_env.reset(options={"layout": "office"})
    want, _ = reference.reset(options={"layout": "office"})
    assert_same_obs(obs, want)
    assert_same_obs(goal_env.step(1)[0], reference.step(1)[0])


def test_max_steps_truncation(goal_env: UnityNavEnv) -> None:
    goal_env.reset(seed=5, options={"layout": "open_hall"})
    max_steps = goal_env.config.episode.max_steps
    for step in range(1, max_steps + 1):
        _, reward, terminated, truncated, info = goal_env.step(0)  # stop: never arrives
        assert reward == pytest.approx(-0.01)
        assert not terminated
        assert truncated == (step == max_steps)
    assert info["reason"] == "max_steps" and info["step"] == max_steps
    assert info["is_success"] is False


def test_reset_options_are_validated(goal_env: UnityNavEnv) -> None:
    with pytest.raises(ValueError, match="unknown reset option"):
        goal_env.reset(seed=0, options={"layuot": "office"})
    with pytest.raises(ValueError, match="office"):
        goal_env.reset(seed=0, options={"layout": "no_such_layout"})
    goal_env.reset(seed=0)  # still usable


def test_gymnasium_env_checker_passes(goal_env: UnityNavEnv) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any checker warning fails the test
        check_env(goal_env, skip_render_check=True, skip_close_check=True)


def test_sketch_mode_over_side_channel_with_png() -> None:
    """The player starts in goal mode; the side-channel config switches it to sketch mode.
    ``--compression png`` sends semantic / top-down as PNG, like a Unity camera sensor."""
    port = free_port()
    with (
        player(port, "--compression", "png") as proc,
        closing(UnityNavEnv(None, mode="sketch", base_port=port, timeout_wait=TIMEOUT)) as env,
    ):
        reference = IndoorNavEnv(mode="sketch")
        obs, _ = env.reset(seed=2, options={"sketch": "curve_s_hall"})
        want, _ = reference.reset(seed=2, options={"sketch": "curve_s_hall"})
        assert env.sketch is not None and env.sketch.id == "curve_s_hall"
        assert_same_obs(obs, want)
        assert obs["topdown"].any()  # the sketch-mode map, sent as PNG
        driver = ScriptedDriver(reference.config.robot.turn_angle_rad)
        for step in range(reference.max_steps):
            action = driver.act(reference.pose, reference.subgoal_xy)
            obs, reward, terminated, truncated, info = env.step(action)
            want, want_reward, want_term, want_trunc, want_info = reference.step(action)
            assert np.float32(reward) == np.float32(want_reward)
            assert (terminated, truncated) == (want_term, want_trunc)
            assert terminated == (step == reference.max_steps - 1)
        assert_same_obs(obs, want)
        assert info["reason"] == "sketch_done"
        assert info["is_success"] == want_info["is_success"]
        assert info["ade"] == pytest.approx(want_info["ade"], abs=1e-9)
        assert info["fde"] == pytest.approx(want_info["fde"], abs=1e-9)
        # Without a sketch option the env draws an evaluation sketch and knows which.
        env.reset(seed=4)
        assert env.sketch is not None
        env.close()
        code, out = exit_code(proc)
        assert code == 0, out


@pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")
def test_unmodified_unity_environment_drives_the_player() -> None:
    port = free_port()
    with player(port) as proc:
        unity = UnityEnvironment(file_name=None, base_port=port, timeout_wait=TIMEOUT, seed=1)
        try:
            drive_raw(unity)
        finally:
            unity.close()
        code, out = exit_code(proc)
        assert code == 0, out


def drive_raw(unity: UnityEnvironment) -> None:
    """Behavior specs, get_steps, set_actions and step of the plain ML-Agents API."""
    unity.reset()
    assert list(unity.behavior_specs) == [BEHAVIOR_NAME]
    spec = unity.behavior_specs[BEHAVIOR_NAME]
    assert spec.action_spec.discrete_branches == (4,)
    assert spec.action_spec.continuous_size == 0
    assert [o.name for o in spec.observation_specs] == list(OBSERVATION_NAMES)
    assert [o.shape for o in spec.observation_specs] == [
        (3, 84, 84),
        (3, 128, 128),
        (1, 84, 84),
        (4,),
        (5,),
    ]
    decision, terminal = unity.get_steps(BEHAVIOR_NAME)
    assert len(decision) == 1 and len(terminal) == 0
    for _ in range(3):
        unity.set_actions(BEHAVIOR_NAME, ActionTuple(discrete=np.array([[2]], np.int32)))
        unity.step()
        decision, terminal = unity.get_steps(BEHAVIOR_NAME)
        assert len(decision) == 1
        assert decision.reward[0] == pytest.approx(-0.01, abs=0.2)  # step penalty + progress
    semantic = decision.obs[0][0]
    assert semantic.dtype == np.float32 and 0.0 <= semantic.min() <= semantic.max() <= 1.0


def test_launcher_stands_in_for_a_unity_build(tmp_path) -> None:
    """``UnityNavEnv(file_name=...)`` starts the build (here the player's launcher) with
    ``--mlagents-port base_port + worker_id`` and stops it at close()."""
    launcher = write_launcher(tmp_path / "hsr_nav_player", ["--layout", "office"])
    base = free_port()
    env = UnityNavEnv(str(launcher), worker_id=1, base_port=base - 1, timeout_wait=TIMEOUT)
    process = env.unity_env._process
    with closing(env):
        assert env.port == base
        obs, _ = env.reset(seed=1)  # "" layout = procedural, whatever the build's default
        want, _ = IndoorNavEnv(mode="goal").reset(seed=1)
        assert_same_obs(obs, want)
        env.step(1)
    assert process.wait(timeout=TIMEOUT) == 0
    env.close()  # idempotent


def test_version_mismatch_names_both_versions() -> None:
    port = free_port()
    with player(port, "--fake-version", "2.0.0") as proc:
        with pytest.raises(UnityEnvironmentException) as excinfo:
            UnityNavEnv(None, base_port=port, timeout_wait=TIMEOUT)
        message = str(excinfo.value)
        assert API_VERSION in message and "2.0.0" in message, message
        code, out = exit_code(proc)
        assert code == 3, out
        assert "mismatch" in out and API_VERSION in out and "2.0.0" in out, out


def test_timeout_without_a_player_is_clear() -> None:
    port = free_port()
    start = time.monotonic()
    with pytest.raises(UnityTimeOutException) as excinfo:
        UnityNavEnv(None, base_port=port, timeout_wait=3)
    elapsed = time.monotonic() - start
    assert 2.5 < elapsed < 10.0
    message = str(excinfo.value)
    assert f"port {port}" in message and "3 s" in message and "xai_sim.unity.player" in message


def test_port_in_use_is_named() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UnityWorkerInUseException, match=f"port {port} is in use"):
            UnityNavEnv(None, base_port=port, timeout_wait=3)
