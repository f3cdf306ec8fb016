"""Nested config <-> dotted ROS parameter names."""

from __future__ import annotations

import pytest

from xai_core.config_utils import flatten, unflatten


def test_flatten_unflatten_round_trip() -> None:
    nested = {"robot": {"radius_m": 0.22, "turn": 30}, "policy_width": 84}
    flat = flatten(nested)
    assert flat == {"robot.radius_m": 0.22, "robot.turn": 30, "policy_width": 84}
    assert unflatten(flat) == nested


def test_a_key_cannot_be_value_and_group() -> None:
    with pytest.raises(ValueError, match="both a value and a group"):
        unflatten({"a.b.c": 1, "a.b": 2})
    with pytest.raises(ValueError, match="which is a value"):
        unflatten({"a.b": 2, "a.b.c": 1})
