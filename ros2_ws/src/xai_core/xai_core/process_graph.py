"""Start ROS 2 nodes as separate processes without the ``ros2`` CLI or ``launch``.

The PyPI ROS 2 wheels have no ``ros2 run`` / ``ros2 launch``; colcon installs node executables
into ``<prefix>/lib/<package>/<executable>`` as usual, so we start them directly with the same
``--ros-args`` a launch file would pass (parameter files, parameters, remappings, node name).
Every process gets the localhost DDS environment (:mod:`xai_core.dds`) and its own log file.
Tests and ``make demo`` use this; on a robot, ``ros2 launch xai_bringup ...`` does the same job.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def executable_path(package: str, executable: str, prefix: str | Path | None = None) -> Path:
    """Installed path of a ROS 2 executable (``<prefix>/lib/<package>/<executable>``).

    Raises:
        FileNotFoundError: not installed (run ``make setup`` to colcon-build the workspace).
    """
    path = Path(prefix or sys.prefix) / "lib" / package / executable
    if not path.is_file():
        raise FileNotFoundError(
            f"executable '{executable}' of package '{package}' not found at {path}; "
            f"build the workspace first (make setup)"
        )
    return path


def _format_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # -p values are parsed as YAML: quote strings that YAML would read as another type.
        needs_quotes = value == "" or _looks_typed(value)
        return "'" + value.replace("'", "''") + "'" if needs_quotes else value
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_format_value(v) for v in value) + "]"
    return repr(value)


def _looks_typed(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"true", "false", "null", "~"}:
        return True
    try:
        float(value)
    except ValueError:
        return False
    return True


def ros_args(
    name: str | None = None,
    params_files: Sequence[str | Path] = (),
    parameters: Mapping[str, object] | None = None,
    remappings: Mapping[str, str] | None = None,
    log_level: str | None = None,
) -> list[str]:
    """The ``--ros-args`` part of a node's command line, in launch's order."""
    args = ["--ros-args"]
    if name:
        args += ["-r", f"__node:={name}"]
    for params_file in params_files:
        args += ["--params-file", str(params_file)]
    for key, value in (parameters or {}).items():
        args += ["-p", f"{key}:={_format_value(value)}"]
    for source, target in (remappings or {}).items():
        args += ["-r", f"{source}:={target}"]
    if log_level:
        args += ["--log-level", log_level]
    return args


@dataclass
class NodeProcess:
    """A running node process; stop it with :meth:`stop` (SIGINT, then SIGTERM/SIGKILL)."""

    name: str
    popen: subprocess.Popen
    log_path: Path | None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int:
        """Interrupt like Ctrl-C and wait; escalate if it does not exit. Returns the exit code."""
        if self.alive():
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.terminate()
                try:
                    self.popen.wait(timeout=3.0)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
                    self.popen.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return int(self.popen.returncode)

    def log_tail(self, lines: int = 30) -> str:
        """Last lines of the process log (for error messages)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_node(
    package: str,
    executable: str,
    env: Mapping[str, str],
    name: str | None = None,
    params_files: Sequence[str | Path] = (),
    parameters: Mapping[str, object] | None = None,
    remappings: Mapping[str, str] | None = None,
    log_dir: str | Path | None = None,
    extra_args: Sequence[str] = (),
) -> NodeProcess:
    """Start ``<package>/<executable>`` as a process with ``--ros-args``.

    Args:
        env: full environment (use :func:`xai_core.dds.localhost_dds_env`).
        log_dir: stdout and stderr go to ``<log_dir>/<name or executable>.log``; None = inherit.
    """
    command = [
        str(executable_path(package, executable)),
        *extra_args,
        *ros_args(name, params_files, parameters, remappings),
    ]
    return start_process(command, name or executable, env, log_dir)


def start_process(
    command: Sequence[str],
    label: str,
    env: Mapping[str, str],
    log_dir: str | Path | None = None,
) -> NodeProcess:
    """Start any command (e.g. the bridge's gateway) with the same log and stop handling.

    Args:
        label: names the log file ``<log_dir>/<label>.log``; None ``log_dir`` = inherit.
    """
    log_path = None
    log_file = None
    if log_dir is not None:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        log_path = Path(log_dir) / f"{label}.log"
        log_file = open(log_path, "wb")  # noqa: SIM115 - closed by NodeProcess.stop
    popen = subprocess.Popen(
        list(command),
        env=dict(env),
        stdout=log_file,
        stderr=subprocess.STDOUT if log_file else None,
        stdin=subprocess.DEVNULL,
    )
    return NodeProcess(label, popen, log_path, log_file)
