"""Quaternion and angle helpers."""

from __future__ import annotations

import pytest

from xai_core.geometry import quaternion_to_yaw, yaw_to_quaternion


@pytest.mark.parametrize("yaw", [-3.0, -1.0, 0.0, 0.5, 3.1])
def test_yaw_round_trip(yaw: float) -> None:
    assert quaternion_to_yaw(*yaw_to_quaternion(yaw)) == pytest.approx(yaw)
