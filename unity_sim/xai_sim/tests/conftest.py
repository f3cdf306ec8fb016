"""Shared fixtures: small hand-built worlds with known geometry."""

from __future__ import annotations

import pytest

from xai_sim import World
from xai_sim.world import FURNITURE, WALL, box_world


@pytest.fixture
def wall_ahead() -> World:
    """A single wall whose near face is the plane x = 3 m, spanning y in [-10, 10]."""
    return box_world([[3.0, -10.0, 3.2, 10.0]], [2.5], [WALL])


@pytest.fixture
def table_ahead() -> World:
    """A 0.5 m high table from x = 2 to 3 m in front of the origin."""
    return box_world([[2.0, -0.5, 3.0, 0.5]], [0.5], [FURNITURE])
