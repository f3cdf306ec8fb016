"""SimConfig parsing and validation."""

from __future__ import annotations

import pytest

from xai_sim import SimConfig


def test_defaults_round_trip():
    cfg = SimConfig()
    assert cfg.robot.radius_m == 0.22 and cfg.robot.step_length_m == 0.25
    assert cfg.robot.turn_angle_deg == 30.0
    assert (cfg.camera.width, cfg.camera.height, cfg.camera.hfov_deg, cfg.camera.vfov_deg) == (
        640,
        480,
        58.0,
        45.0,
    )
    assert cfg.episode.max_steps == 100 and cfg.policy_width == 84
    assert SimConfig.from_dict(cfg.to_dict()) == cfg


def test_partial_dict_keeps_defaults():
    cfg = SimConfig.from_dict({"camera": {"tilt_deg": 5}, "policy_width": 64})
    assert cfg.camera.tilt_deg == 5.0 and cfg.camera.hfov_deg == 58.0 and cfg.policy_width == 64


@pytest.mark.parametrize(
    "d, key",
    [
        ({"bogus": 1}, "bogus"),
        ({"camera": {"tilt": 5}}, "camera.tilt"),
        ({"robot": {"step_length_m": -0.1}}, "robot.step_length_m"),
        ({"policy_width": 0}, "policy_width"),
        ({"camera": {"width": 0}}, "camera.width"),
        ({"episode": {"max_steps": 1.5}}, "episode.max_steps"),
        ({"episode": {"people_walking": "yes"}}, "episode.people_walking"),
        ({"reward": {"collision_penalty": 1.0}}, "reward.collision_penalty"),
        ({"camera": {"tilt_deg": 80.0}}, "camera.tilt_deg"),
        ({"robot": 3}, "robot"),
    ],
)
def test_invalid_config_names_the_key(d, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        SimConfig.from_dict(d)
