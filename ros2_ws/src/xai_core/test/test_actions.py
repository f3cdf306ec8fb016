"""Action <-> Twist mapping and command validation."""

from __future__ import annotations

import math

import pytest

from xai_core.nav.actions import (
    ACTION_NAMES,
    FORWARD,
    LEFT,
    RIGHT,
    STOP,
    InvalidCommand,
    TwistMapping,
    action_to_twist,
    twist_to_action,
)

MAPPING = TwistMapping()


@pytest.mark.parametrize("action", range(len(ACTION_NAMES)))
def test_action_to_twist_round_trips(action: int) -> None:
    vx, wz = action_to_twist(action, MAPPING)
    assert twist_to_action((vx, 0.0, 0.0), (0.0, 0.0, wz), MAPPING) == action


def test_rotation_wins_and_backwards_is_stop() -> None:
    assert twist_to_action((0.2, 0, 0), (0, 0, 0.3), MAPPING) == LEFT
    assert twist_to_action((0.2, 0, 0), (0, 0, -0.3), MAPPING) == RIGHT
    assert twist_to_action((-0.2, 0, 0), (0, 0, 0), MAPPING) == STOP
    assert twist_to_action((0.005, 0, 0), (0, 0, 0.01), MAPPING) == STOP
    assert twist_to_action((0.05, 0, 0), (0, 0, 0), MAPPING) == FORWARD


@pytest.mark.parametrize(
    ("linear", "angular", "message"),
    [
        ((math.nan, 0, 0), (0, 0, 0), "linear.x is nan"),
        ((0, 0, 0), (0, math.inf, 0), "angular.y is inf"),
        ((1e9, 0, 0), (0, 0, 0), "exceeds the limit"),
        ((0, 0, 0), (0, 0, -50.0), "exceeds the limit"),
    ],
)
def test_malformed_commands_are_rejected(linear, angular, message) -> None:
    with pytest.raises(InvalidCommand, match=message):
        twist_to_action(linear, angular, MAPPING)


def test_mapping_validates_its_parameters() -> None:
    with pytest.raises(ValueError, match="linear_speed_mps"):
        TwistMapping(linear_speed_mps=0.0)


def test_matches_the_simulator_contract() -> None:
    import xai_sim

    assert tuple(xai_sim.ACTION_NAMES) == ACTION_NAMES
