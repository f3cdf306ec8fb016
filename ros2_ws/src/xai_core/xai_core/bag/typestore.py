"""The message types the bag tools know: ROS 2 Kilted's standard set plus ``xai_interfaces``.

The ``xai_interfaces`` definitions are parsed from the ``.msg`` files, so this module never needs
the colcon-built Python package (or rclpy): first ``<sys.prefix>/share/xai_interfaces/msg`` (where
colcon installs them), else the source tree ``ros2_ws/src/xai_interfaces/msg``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from xai_core.paths import repo_root

INTERFACE_PACKAGES = ("xai_interfaces",)


def interface_msg_dir(package: str) -> Path | None:
    """Directory holding ``package``'s ``.msg`` files (installed first, then source), or None."""
    candidates = (
        Path(sys.prefix) / "share" / package / "msg",
        repo_root() / "ros2_ws" / "src" / package / "msg",
    )
    return next((d for d in candidates if d.is_dir() and any(d.glob("*.msg"))), None)


@cache
def typestore() -> Typestore:
    """The shared rosbags typestore: ``Stores.ROS2_KILTED`` + our interfaces (built once).

    Type names are rosbag2's, e.g. ``sensor_msgs/msg/Image``, ``xai_interfaces/msg/ActionDecision``.
    """
    store = get_typestore(Stores.ROS2_KILTED)
    types: dict = {}
    for package in INTERFACE_PACKAGES:
        msg_dir = interface_msg_dir(package)
        if msg_dir is None:
            continue
        for path in sorted(msg_dir.glob("*.msg")):
            types.update(get_types_from_msg(path.read_text(), f"{package}/msg/{path.stem}"))
    store.register(types)
    return store


def known_type(msgtype: str) -> bool:
    """True if the typestore can (de)serialize ``msgtype`` (e.g. ``nav_msgs/msg/Odometry``)."""
    return msgtype in typestore().fielddefs


def serialize(msg: Any, msgtype: str) -> bytes:
    """CDR bytes (little endian, with encapsulation header) of a typestore message object."""
    return bytes(typestore().serialize_cdr(msg, msgtype))


def deserialize(raw: bytes | memoryview, msgtype: str) -> Any:
    """The typestore dataclass of CDR bytes ``raw`` (arrays are numpy views where possible)."""
    return typestore().deserialize_cdr(raw, msgtype)
