"""Quaternion and angle helpers."""

from __future__ import annotations

import math

import pytest

from xai_core.geometry import quaternion_to_yaw, yaw_to_quaternion


@pytest.mark.parametrize("yaw", [-3.0, -1.0, 0.0, 0.5, 3.1])
def test_yaw_round_trip(yaw: float) -> None:
    assert quaternion_to_yaw(*yaw_to_quaternion(yaw)) == pytest.approx(yaw)


def test_distance_and_bearing_of_a_target_left_of_the_heading() -> None:
    from xai_core.geometry import distance_and_bearing

    distance, bearing = distance_and_bearing((1.0, 1.0, math.pi / 2), (0.0, 1.0))
    assert distance == pytest.approx(1.0)
    assert bearing == pytest.approx(math.pi / 2)  # target on the robot's left
    _, behind = distance_and_bearing((0.0, 0.0, 3.0), (-1.0, -0.5))
    assert -math.pi <= behind <= math.pi


def test_compose_planar_with_3d_places_the_optical_frame_on_the_robot() -> None:
    from xai_core.geometry import compose_planar_with_3d, quaternion_multiply

    optical = (-0.5, 0.5, -0.5, 0.5)  # z forward, x right, y down relative to a level base
    t, q = compose_planar_with_3d((2.0, 1.0, math.pi / 2), (0.5, 0.0, 1.0), optical)
    assert t == pytest.approx((2.0, 1.5, 1.0))  # 0.5 m ahead of a robot facing +y
    # The optical z axis (forward) points along world +y.
    v = quaternion_multiply(
        quaternion_multiply(q, (0.0, 0.0, 1.0, 0.0)), (-q[0], -q[1], -q[2], q[3])
    )
    assert v[:3] == pytest.approx((0.0, 1.0, 0.0), abs=1e-9)
