"""Quaternion and angle helpers."""

from __future__ import annotations

import math

import pytest

from xai_core.geometry import quaternion_to_yaw, wrap_angle, yaw_to_quaternion


@pytest.mark.parametrize("yaw", [-3.0, -1.0, 0.0, 0.5, 3.1])
def test_yaw_round_trip(yaw: float) -> None:
    assert quaternion_to_yaw(*yaw_to_quaternion(yaw)) == pytest.approx(yaw)


def test_wrap_angle() -> None:
    assert wrap_angle(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert wrap_angle(-7.0) == pytest.approx(-7.0 + 2 * math.pi)
