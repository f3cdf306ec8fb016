"""The repo's launch files and parameter YAML, checked without `launch` (not installable here).

``xai_core.launch_check`` reads every ``xai_bringup/launch/*.launch.py`` with ``ast`` and checks
it against the nodes' sources, ``setup.py`` entry points and data files, and the YAML files;
``check_configs`` checks every YAML section against the node it names. On top, rcl's own YAML
parser (from the rclpy wheel) reads each parameter file, as ``--params-file`` would at start-up.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from xai_core.launch_check import check_configs, check_launch, installed_files

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "ros2_ws" / "src"
BRINGUP = SRC / "xai_bringup"
LAUNCH_FILES = sorted((BRINGUP / "launch").glob("*.launch.py"))
YAML_FILES = sorted((BRINGUP / "config").rglob("*.yaml"))


def test_there_are_launch_files() -> None:
    assert LAUNCH_FILES, f"no launch files in {BRINGUP / 'launch'}"


@pytest.mark.parametrize("launch_file", LAUNCH_FILES, ids=[p.name for p in LAUNCH_FILES])
def test_launch_file_is_consistent(launch_file: Path) -> None:
    problems = check_launch(launch_file, SRC)
    assert not problems, "\n".join(problems)


def test_parameter_files_match_their_nodes() -> None:
    problems = check_configs(BRINGUP / "config", SRC)
    assert not problems, "\n".join(problems)


def test_launch_and_config_files_are_installed() -> None:
    """`ros2 launch` finds only what setup.py's data_files put into share/xai_bringup."""
    installed = {path.resolve() for path in (installed_files(BRINGUP) or {}).values()}
    missing = [
        str(path.relative_to(BRINGUP))
        for path in [*LAUNCH_FILES, *YAML_FILES]
        if path.resolve() not in installed
    ]
    assert not missing, f"not installed by xai_bringup/setup.py data_files: {missing}"


_RCL_PARSE = """
import sys
import rclpy
failed = []
for path in sys.argv[1:]:
    try:
        rclpy.init(args=["--ros-args", "--params-file", path])
    except Exception as error:  # rclpy raises RCLError with rcl's message
        failed.append(f"{path}: {error}")
    else:
        rclpy.shutdown()
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


@pytest.mark.skipif(importlib.util.find_spec("rclpy") is None, reason="rclpy not installed")
def test_rcl_parses_every_parameter_file() -> None:
    """rcl refuses nulls, mixed-type sequences and malformed YAML before any node starts."""
    result = subprocess.run(
        [sys.executable, "-c", _RCL_PARSE, *map(str, YAML_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
