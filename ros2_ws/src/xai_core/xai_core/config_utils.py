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


def dataclass_from_dict(cls: type, values: Mapping[str, Any], source: str = "config") -> Any:
    """Build dataclass ``cls`` from a flat mapping, rejecting unknown keys.

    Raises:
        ValueError: a key that ``cls`` does not have (the message lists the valid ones).
    """
    import dataclasses

    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(f"{source}: unknown key(s) {unknown}; valid keys: {sorted(names)}")
    return cls(**values)


def parse_dataclass_cli(cls: type, argv: list[str] | None = None, description: str = "") -> Any:
    """Command line for a config dataclass: ``--config file.yaml`` then ``--field value``.

    Every field becomes an option (``snake_case`` -> ``--kebab-case``) typed like its default
    (``bool`` fields take ``true``/``false``). Precedence: defaults < YAML file < options.

    Raises:
        SystemExit: with one readable line on an unknown YAML key or a bad value (argparse).
    """
    import argparse
    import dataclasses

    import yaml

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", help="YAML file with any of the options below")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name, f in fields.items():
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        kind = type(default)
        if kind is bool:
            kind = _parse_bool
        elif default is None:
            kind = str
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=kind,
            default=None,
            help=f"default: {default!r}",
        )
    args = parser.parse_args(argv)
    values: dict[str, Any] = {}
    if args.config:
        with open(args.config) as stream:
            loaded = yaml.safe_load(stream) or {}
        if not isinstance(loaded, dict):
            parser.error(f"{args.config} must hold a mapping of options")
        values.update(loaded)
    values.update({k: v for k, v in vars(args).items() if k in fields and v is not None})
    try:
        return dataclass_from_dict(cls, values, source=args.config or "options")
    except (TypeError, ValueError) as error:
        parser.error(str(error))


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {text!r}")
