"""Nested config dicts <-> flat dotted keys (the shape of ROS 2 parameters).

A ROS parameter YAML nests like a config file; rclpy exposes the leaves as dotted names
(``sim.robot.step_length_m``). Nodes declare one parameter per leaf of a component's default
config and rebuild the nested dict from them, so a config dataclass stays the single source of
names, types and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(nested: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists and scalars are leaves)."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Inverse of :func:`flatten`: ``{"a.b": 1}`` -> ``{"a": {"b": 1}}``.

    Raises:
        ValueError: a key is both a leaf and a branch (``"a"`` and ``"a.b"``).
    """
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        node = nested
        *parents, leaf = name.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"'{name}' nests under '{part}', which is a value")
            node = child
        if isinstance(node.get(leaf), dict):
            raise ValueError(f"'{name}' is both a value and a group")
        node[leaf] = value
    return nested
