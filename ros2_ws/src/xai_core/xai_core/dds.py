"""Keep DDS on this host: locate the repo's Fast DDS profile and build the environment for it.

Tests and demos start ROS 2 processes with :func:`localhost_dds_env` so that discovery and data
use shared memory and UDP on 127.0.0.1 only (see ``xai_bringup/config/fastdds_localhost.xml``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

PROFILE_NAME = "fastdds_localhost.xml"


def localhost_profile_path() -> Path:
    """Path of the Fast DDS localhost profile.

    Looked up in order: ``$XAI_FASTDDS_PROFILE``; the installed ``share/xai_bringup/config`` of
    the running Python prefix (the venv colcon installs into); the source tree of this repo.

    Raises:
        FileNotFoundError: none of these exists.
    """
    candidates = []
    if os.environ.get("XAI_FASTDDS_PROFILE"):
        candidates.append(Path(os.environ["XAI_FASTDDS_PROFILE"]))
    candidates.append(Path(sys.prefix) / "share" / "xai_bringup" / "config" / PROFILE_NAME)
    repo_src = Path(__file__).resolve().parents[2]  # ros2_ws/src
    candidates.append(repo_src / "xai_bringup" / "config" / PROFILE_NAME)
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"Fast DDS profile {PROFILE_NAME} not found in: {', '.join(map(str, candidates))}"
    )


def localhost_dds_env(
    domain_id: int | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment for a ROS 2 process whose DDS traffic stays on this host.

    Args:
        domain_id: ``ROS_DOMAIN_ID`` to set (0..101 are safe with default port mapping);
            ``None`` keeps the inherited one.
        base: environment to start from (default: ``os.environ``).
    """
    env = dict(os.environ if base is None else base)
    env["FASTDDS_DEFAULT_PROFILES_FILE"] = str(localhost_profile_path())
    env["RMW_IMPLEMENTATION"] = "rmw_fastrtps_cpp"
    # The profile already restricts transports; an automatic discovery range would cancel the
    # shared-memory transport for large data (measured: large clouds dropped), so unset it.
    env.pop("ROS_AUTOMATIC_DISCOVERY_RANGE", None)
    if domain_id is not None:
        if not 0 <= domain_id <= 232:
            raise ValueError(f"ROS_DOMAIN_ID must be in 0..232, got {domain_id}")
        env["ROS_DOMAIN_ID"] = str(domain_id)
    return env
