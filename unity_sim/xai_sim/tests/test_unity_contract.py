"""The Unity contract without sockets: protobuf loading, observation coding, the side channel,
the player's protocol logic (``SimAcademy``) and the build check of ``UnityNavEnv``."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

# isort: off
import xai_sim.unity  # noqa: F401  (first: installs the protobuf loader mlagents_envs needs)
from mlagents_envs.base_env import ActionSpec, BehaviorSpec, DimensionProperty, ObservationSpec
from mlagents_envs.base_env import ObservationType
from mlagents_envs.communicator_objects.command_pb2 import RESET, STEP
from mlagents_envs.communicator_objects.unity_message_pb2 import UnityMessageProto
from mlagents_envs.communicator_objects.unity_rl_input_pb2 import UnityRLInputProto
from mlagents_envs.exception import UnityEnvironmentException
from mlagents_envs.rpc_utils import behavior_spec_from_proto, steps_from_proto
from mlagents_envs.side_channel.incoming_message import IncomingMessage
from mlagents_envs.side_channel.side_channel_manager import SideChannelManager

# isort: on
from xai_sim import IndoorNavEnv, SimConfig
from xai_sim.unity import (
    BEHAVIOR_NAME,
    EPISODE_CONFIG_CHANNEL_ID,
    OBSERVATION_NAMES,
    EpisodeConfig,
    EpisodeConfigChannel,
    EpisodeReport,
    UnityNavEnv,
    decode_observation,
    encode_observation,
    observation_layouts,
    protobuf_compat,
)
from xai_sim.unity.player import SimAcademy, _compatible


@pytest.fixture(scope="module")
def office_obs() -> dict[str, np.ndarray]:
    obs, _ = IndoorNavEnv(mode="sketch").reset(seed=0, options={"sketch": "curve_s_hall"})
    return obs


def test_old_generated_modules_load_with_current_protobuf() -> None:
    import google.protobuf

    assert protobuf_compat.install() == protobuf_compat.needs_compat()
    assert int(google.protobuf.__version__.split(".")[0]) >= 4, "tensorboard needs >= 6"
    message = UnityMessageProto()
    message.header.status = 200
    message.unity_input.rl_input.command = RESET
    message.unity_input.rl_input.agent_actions[BEHAVIOR_NAME].value.add(discrete_actions=[3])
    data = message.SerializeToString()
    back = UnityMessageProto.FromString(data)
    assert back == message and (STEP, RESET) == (0, 1)
    # Field numbers are the proto file's: header is field 1 (tag 0x0a), status field 1 (0x08).
    assert data.startswith(b"\x0a\x03\x08\xc8\x01")


def test_serialized_descriptor_literal_is_read_without_executing() -> None:
    source = "x = 1/0\nD = _descriptor.FileDescriptor(name='a', serialized_pb=_b('\\n\\x01a'))\n"
    assert protobuf_compat.serialized_file_descriptor(source) == b"\n\x01a"
    with pytest.raises(ImportError):
        protobuf_compat.serialized_file_descriptor("x = 1\n")


def test_observation_round_trip_chw_and_hwc(office_obs: dict[str, np.ndarray]) -> None:
    arrays = encode_observation(office_obs)
    layouts = observation_layouts()
    assert tuple(arrays) == OBSERVATION_NAMES == tuple(layout.name for layout in layouts)
    for layout in layouts:
        assert arrays[layout.name].shape == layout.shape and arrays[layout.name].dtype == np.float32
    for name in ("semantic", "topdown", "depth"):  # visual observations lie in [0, 1]
        assert 0.0 <= arrays[name].min() <= arrays[name].max() <= 1.0, name
    for variant in (
        arrays,
        {k: (v.transpose(1, 2, 0) if v.ndim == 3 else v) for k, v in arrays.items()},
    ):
        back = decode_observation(variant)
        for key, want in office_obs.items():
            assert back[key].dtype == want.dtype and back[key].shape == want.shape, key
            np.testing.assert_allclose(back[key], want, atol=1e-5, err_msg=key)
        np.testing.assert_array_equal(back["semantic"], office_obs["semantic"])


def test_episode_config_json_and_validation() -> None:
    config = EpisodeConfig(mode="sketch", layout="office", seed=4, sketch_id="curve_s_hall")
    assert json.loads(config.to_json()) == {
        "mode": "sketch",
        "layout": "office",
        "seed": 4,
        "sketch_id": "curve_s_hall",
    }
    assert EpisodeConfig.from_json(config.to_json()) == config
    assert EpisodeConfig.from_json("{}") == EpisodeConfig()  # C# may leave fields at defaults
    for bad, match in (
        ('{"mode": "drive"}', "mode"),
        ('{"seed": -2}', "seed"),
        ('{"seed": true}', "seed"),
        ('{"layout": 3}', "layout"),
        ('{"sede": 1}', "unknown"),
        ("[1]", "object"),
        ("{", "JSON"),
    ):
        with pytest.raises(ValueError, match=match):
            EpisodeConfig.from_json(bad)


def test_channel_keeps_reports_and_drops_bad_messages() -> None:
    channel = EpisodeConfigChannel()
    report = EpisodeReport(
        episode=2,
        layout="office",
        seed=-1,
        status={
            "step": 9,
            "collisions": 1,
            "success": True,
            "reason": "goal_reached",
            "ade_m": -1.0,
            "fde_m": -1.0,
        },
    )
    for text in (report.to_json(), '{"status": {"step": "x"}}', "not json"):
        payload = text.encode()
        channel.on_message_received(IncomingMessage(struct.pack("<i", len(payload)) + payload))
    assert channel.pop_reports() == [report] and channel.pop_reports() == []
    assert len(channel.errors) == 2
    assert np.isnan(report.ade_m) and np.isnan(report.fde_m)


def _reset_input(config: EpisodeConfig | None = None) -> UnityRLInputProto:
    rl_input = UnityRLInputProto(command=RESET)
    if config is not None:
        trainer = EpisodeConfigChannel()
        trainer.send_config(config)
        rl_input.side_channel = bytes(
            SideChannelManager([trainer]).generate_side_channel_messages()
        )
    return rl_input


def _step_input(action: int) -> UnityRLInputProto:
    rl_input = UnityRLInputProto(command=STEP)
    rl_input.agent_actions[BEHAVIOR_NAME].value.add(discrete_actions=[action])
    return rl_input


def test_sim_academy_speaks_the_contract() -> None:
    academy = SimAcademy()
    init = academy.initialization_output().rl_initialization_output
    assert init.communication_version == "1.5.0" and init.capabilities.baseRLCapabilities
    out = academy.handle(_reset_input(EpisodeConfig(layout="office", seed=3)))
    (brain,) = out.rl_initialization_output.brain_parameters
    infos = out.rl_output.agentInfos[BEHAVIOR_NAME].value
    spec = behavior_spec_from_proto(brain, infos[0])
    assert spec.action_spec.discrete_branches == (4,)
    assert [o.name for o in spec.observation_specs] == list(OBSERVATION_NAMES)
    visual = spec.observation_specs[0]
    assert visual.dimension_property == (
        DimensionProperty.NONE,
        DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
        DimensionProperty.TRANSLATIONAL_EQUIVARIANCE,
    )
    decision, terminal = steps_from_proto(infos, spec)
    assert len(decision) == 1 and len(terminal) == 0
    want, _ = IndoorNavEnv().reset(seed=3, options={"layout": "office"})
    got = decode_observation({n: decision.obs[i][0] for i, n in enumerate(OBSERVATION_NAMES)})
    np.testing.assert_array_equal(got["semantic"], want["semantic"])
    # Brain parameters go out once; a bad action is counted and played as stop.
    out = academy.handle(_step_input(7))
    assert not out.rl_initialization_output.brain_parameters
    assert academy.bad_inputs == 1
    assert out.rl_output.agentInfos[BEHAVIOR_NAME].value[0].reward == pytest.approx(-0.01)


def test_sim_academy_episode_end_restarts_with_report() -> None:
    config = SimConfig.from_dict({"episode": {"max_steps": 3}})
    academy = SimAcademy(config)
    trainer = EpisodeConfigChannel()
    manager = SideChannelManager([trainer])
    academy.handle(_reset_input(EpisodeConfig(layout="office", seed=1)))
    for _ in range(2):
        infos = academy.handle(_step_input(0)).rl_output.agentInfos[BEHAVIOR_NAME].value
        assert len(infos) == 1 and not infos[0].done
    out = academy.handle(_step_input(0))
    final, restarted = out.rl_output.agentInfos[BEHAVIOR_NAME].value
    assert final.done and final.max_step_reached and not restarted.done
    assert restarted.id != final.id  # a new episode is a new agent id, as in Unity
    manager.process_side_channel_message(bytes(out.rl_output.side_channel))
    (report,) = trainer.pop_reports()
    assert (report.episode, report.layout, report.seed) == (0, "office", 1)
    assert report.status["reason"] == "max_steps" and report.status["step"] == 3


def test_version_rule_follows_ml_agents() -> None:
    assert _compatible("1.5.0", "1.0.0") and _compatible("1.5.0", "1.9.3")
    assert not _compatible("2.0.0", "1.5.0")
    assert not _compatible("0.15.0", "0.16.0") and _compatible("0.15.0", "0.15.1")


def _spec(names: list[str], shapes: list[tuple[int, ...]], branches: tuple[int, ...]):
    observations = [
        ObservationSpec(
            shape, (DimensionProperty.UNSPECIFIED,) * len(shape), ObservationType.DEFAULT, name
        )
        for name, shape in zip(names, shapes, strict=True)
    ]
    return {BEHAVIOR_NAME: BehaviorSpec(observations, ActionSpec(0, branches))}


def _unconnected_env() -> UnityNavEnv:
    env = UnityNavEnv.__new__(UnityNavEnv)  # only the spec check, no connection
    env.config, env._index = SimConfig(), None
    return env


def test_build_check_accepts_sorted_names_and_hwc() -> None:
    names = sorted(OBSERVATION_NAMES)  # what a build that sorts sensors by name sends
    shapes = {"semantic": (84, 84, 3), "topdown": (3, 128, 128), "depth": (84, 84, 1)}
    shapes |= {"goal": (4,), "pose_waypoint": (5,)}
    env = _unconnected_env()
    env._check_spec(_spec(names, [shapes[n] for n in names], (4,)))
    assert env._index == {name: names.index(name) for name in OBSERVATION_NAMES}


def test_build_check_names_every_deviation() -> None:
    env = _unconnected_env()
    shapes = [(3, 84, 84), (3, 64, 64), (1, 84, 84), (4,), (3,)]
    names = ["semantic", "topdown", "depth", "goal", "pose"]
    with pytest.raises(UnityEnvironmentException) as excinfo:
        env._check_spec(_spec(names, shapes, (5,)))
    message = str(excinfo.value)
    for part in ("CONTRACT.md", "discrete branch of 4", "'pose'", "'topdown': shape (3, 64, 64)"):
        assert part in message, message
    with pytest.raises(UnityEnvironmentException, match="no behavior"):
        env._check_spec({"Other?team=0": None})
    assert str(EPISODE_CONFIG_CHANNEL_ID) == "3f6c2d1e-8b4a-4f1e-9c7d-2a5b6e8f9d01"
