"""Repo-wide pytest set-up: every DDS participant a test starts stays on this host.

Runs before any test module imports rclpy: points Fast DDS at the repo's localhost profile
(shared memory + UDP on 127.0.0.1) and picks a random ROS_DOMAIN_ID so concurrent test runs on
one machine cannot hear each other.
"""

from __future__ import annotations

import os
import random

from xai_core.dds import localhost_dds_env


def pytest_configure(config) -> None:
    domain = int(os.environ.get("XAI_TEST_DOMAIN_ID", random.randint(10, 100)))
    os.environ.update(localhost_dds_env(domain_id=domain))
    os.environ.pop("ROS_AUTOMATIC_DISCOVERY_RANGE", None)
