"""Start the node graph of a launch file as processes, without ``launch`` / ``ros2 launch``.

Machines with only the PyPI ROS 2 wheels cannot run launch files. This reads them statically
(:func:`xai_core.launch_check.parse_launch_file`, following includes with their arguments) and
starts every node with the same parameter files, overrides and remappings through
:func:`xai_core.process_graph.start_node`, so the configuration exercised by ``make demo`` is the
one the robot launches.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xai_core.launch_check import DYNAMIC, LaunchArg, SharePath, parse_launch_file
from xai_core.process_graph import NodeProcess, start_node


@dataclass
class PlannedNode:
    """One node process to start: what ``ros2 launch`` would run for a ``Node(...)``."""

    package: str
    executable: str
    name: str
    params_files: list[Path] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    remappings: dict[str, str] = field(default_factory=dict)


def _launch_value(value: Any, values: Mapping[str, str], where: str) -> Any:
    """A launch substitution's value, typed the way launch_ros types ``parameters`` values."""
    if isinstance(value, LaunchArg):
        if value.name not in values:
            raise ValueError(f"{where}: launch argument '{value.name}' has no value")
        value = values[value.name]
        # launch_ros parses substituted parameter values as YAML ('3' -> 3, 'false' -> False).
        return value if value == "" else yaml.safe_load(value)
    if value is DYNAMIC:
        raise ValueError(f"{where}: a value the static reader cannot resolve")
    return value


_CONDITION = re.compile(r"^(If|Unless)Condition\((?:arg|LaunchConfiguration)\(['\"](\w+)['\"]\)\)$")


def _enabled(condition: str | None, values: Mapping[str, str], where: str) -> bool:
    """Whether a node's ``condition`` (``IfCondition(arg("x"))`` / ``UnlessCondition``) holds."""
    if condition is None:
        return True
    match = _CONDITION.match(condition.replace(" ", ""))
    if match is None:
        raise ValueError(f"{where}: condition {condition} cannot be evaluated statically")
    kind, name = match.groups()
    if name not in values:
        raise ValueError(f"{where}: launch argument '{name}' has no value")
    value = str(values[name]).strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise ValueError(f"{where}: condition argument '{name}' is '{value}', not true / false")
    return (value in ("true", "1")) == (kind == "If")


def _share_path(path: Any, share: Path, where: str) -> Path:
    if isinstance(path, SharePath):
        return share / path.package / path.rel
    if isinstance(path, str):
        return Path(path)
    raise ValueError(f"{where}: parameter file {path!r} cannot be resolved statically")


def plan_launch(
    launch_file: str | Path,
    arguments: Mapping[str, str] | None = None,
    share: str | Path | None = None,
) -> list[PlannedNode]:
    """The nodes a launch file (and the files it includes) starts, in launch order.

    Args:
        arguments: launch arguments (``name:=value``); others take their declared defaults.
        share: the install's ``share`` directory (default ``<sys.prefix>/share``); included
            files are read from the source tree next to ``launch_file``.

    Raises:
        ValueError: a required argument without a value, or anything not resolvable statically.
    """
    launch_file = Path(launch_file)
    share = Path(share) if share is not None else Path(sys.prefix) / "share"
    spec = parse_launch_file(
        launch_file, arguments={k: str(v) for k, v in (arguments or {}).items()}
    )
    if spec.problems:
        raise ValueError(f"{launch_file.name}: {'; '.join(spec.problems)}")
    missing = [name for name, default in spec.arguments.items() if default is None]
    missing = [name for name in missing if name not in (arguments or {})]
    if missing:
        raise ValueError(f"{launch_file.name}: required launch argument(s) {', '.join(missing)}")
    planned: list[PlannedNode] = []
    for node in spec.nodes:
        where = f"{launch_file.name}:{node.line} {node.executable}"
        if not _enabled(node.condition, spec.values, where):
            continue
        planned.append(
            PlannedNode(
                package=str(_launch_value(node.package, spec.values, where)),
                executable=str(_launch_value(node.executable, spec.values, where)),
                name=str(_launch_value(node.name or node.executable, spec.values, where)),
                params_files=[_share_path(p, share, where) for p in node.parameter_files],
                parameters={
                    k: _launch_value(v, spec.values, where) for k, v in node.overrides.items()
                },
                remappings={
                    str(_launch_value(a, spec.values, where)): str(
                        _launch_value(b, spec.values, where)
                    )
                    for a, b in node.remappings
                },
            )
        )
    for include in spec.includes:
        name = include.file_name
        if name is None:
            raise ValueError(f"{launch_file.name}:{include.line}: include path not resolvable")
        passed = {
            k: str(_launch_value(v, spec.values, f"{launch_file.name}:{include.line}"))
            for k, v in include.arguments.items()
        }
        passed = {k: v.lower() if v in ("True", "False") else v for k, v in passed.items()}
        planned += plan_launch(launch_file.parent / name, passed, share)
    return planned


def start_planned(
    nodes: Sequence[PlannedNode],
    env: Mapping[str, str],
    log_dir: str | Path | None = None,
    extra_parameters: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[NodeProcess]:
    """Start planned nodes as processes (``extra_parameters``: per node name, applied last)."""
    processes = []
    for node in nodes:
        parameters = {**node.parameters, **(extra_parameters or {}).get(node.name, {})}
        processes.append(
            start_node(
                node.package,
                node.executable,
                env,
                name=node.name,
                params_files=node.params_files,
                parameters=parameters,
                remappings=node.remappings,
                log_dir=log_dir,
            )
        )
    return processes
