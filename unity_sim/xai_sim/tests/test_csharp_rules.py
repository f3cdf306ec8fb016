"""The Unity project's plain-C# rules (NavRules) pay what xai_sim pays, step for step.

``xai_sim.parity`` runs the simulator and records per step the inputs of the rules and what
``IndoorNavEnv.step`` returned; ``unity_sim/UnityProject/build_tests.sh`` compiles
``Assets/HSRNav/Rules/*.cs`` with the console tests under mono and replays every step (reward
within 1e-5, terminated / truncated, success, sub-goal index, collisions, reason, ADE / FDE).

The vectors are regenerated here, so a change of the Python rules that the C# side does not
follow fails; the committed copy (``Tests/parity_vectors.json``, what a Unity developer without
Python runs) must match a fresh generation.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xai_sim.parity import (
    DEFAULT_ASSETS,
    DEFAULT_PATH,
    generate_parity_vectors,
    write_parity_vectors,
    write_unity_assets,
)

BUILD_TESTS = DEFAULT_PATH.parents[1] / "build_tests.sh"
MAX_COMMITTED_BYTES = 300_000

needs_mono = pytest.mark.skipif(
    shutil.which("mcs") is None or shutil.which("mono") is None,
    reason="mono (mcs) not installed: scripts/setup.sh installs it",
)


def run_csharp_tests(build_dir: Path, vectors: Path) -> subprocess.CompletedProcess[str]:
    """Build and run the C# tests; stdout holds one PASS / FAIL line per test and episode."""
    return subprocess.run(
        ["bash", str(BUILD_TESTS), str(build_dir), str(vectors)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def fresh_vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_parity_vectors(tmp_path_factory.mktemp("parity") / "parity_vectors.json")


@needs_mono
def test_csharp_rules_replay_every_step_of_fresh_vectors(
    fresh_vectors: Path, tmp_path: Path
) -> None:
    result = run_csharp_tests(tmp_path / "build", fresh_vectors)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    doc = json.loads(fresh_vectors.read_text(encoding="utf-8"))
    for episode in doc["episodes"]:
        pattern = rf"^PASS episode {episode['index']} \(.*\): {len(episode['steps'])} steps, "
        assert re.search(pattern, result.stdout, re.MULTILINE), (
            f"no PASS for {episode['index']}:\n{output}"
        )
    steps = sum(len(e["steps"]) for e in doc["episodes"])
    assert f"compared {len(doc['episodes'])} episodes, {steps} steps" in result.stdout, output
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.MULTILINE), output

    # The episode reports the C# side writes are what the Python side of the channel reads.
    channel = pytest.importorskip("xai_sim.unity.channel")
    reports = re.findall(r"^REPORT (.*)$", result.stdout, re.MULTILINE)
    assert len(reports) == 2, output
    goal, sketch = (channel.EpisodeReport.from_json(text) for text in reports)
    assert (goal.episode, goal.layout, goal.seed) == (3, "procedural", 12345678901)
    assert goal.status["reason"] == "goal_reached" and goal.status["success"] is True
    assert math.isnan(goal.ade_m) and math.isnan(goal.fde_m)
    assert sketch.layout == 'caf\u00e9 "hall"' and sketch.seed == -1
    assert (sketch.ade_m, sketch.fde_m) == (0.1234, 2.0)
    # The config the Python side writes by default is one the C# test parses.
    default = channel.EpisodeConfig().to_json()
    tests_source = (BUILD_TESTS.parent / "Tests" / "NavRulesTests.cs").read_text(encoding="utf-8")
    assert json.dumps(default)[1:-1] in tests_source, default


@needs_mono
def test_csharp_rules_fail_on_a_perturbed_reward_and_name_the_step(
    fresh_vectors: Path, tmp_path: Path
) -> None:
    doc = json.loads(fresh_vectors.read_text(encoding="utf-8"))
    episode, step = 3, 17
    target = doc["episodes"][episode]["steps"][step - 1]
    target["r"] = target["r"] + 0.01
    perturbed = tmp_path / "perturbed.json"
    perturbed.write_text(json.dumps(doc), encoding="utf-8")

    result = run_csharp_tests(tmp_path / "build", perturbed)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    failure = re.search(
        rf"^FAIL episode {episode} step {step} \(.*\): (.*)$", result.stdout, re.MULTILINE
    )
    assert failure, output
    assert "reward expected" in failure.group(1), output
    # Only that episode fails.
    assert len(re.findall(r"^FAIL ", result.stdout, re.MULTILINE)) == 1, output


def _close(a: object, b: object, where: str) -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a) == sorted(b), f"{where}: keys {sorted(a)} vs {b}"
        for key in a:
            _close(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: length {len(a)} vs {b}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and not isinstance(b, bool) and isinstance(b, (int, float)):
        # libm (sin / cos of the forward moves) may differ in the last bit between machines.
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def test_committed_vectors_match_the_simulator(fresh_vectors: Path) -> None:
    """Regenerate with `python -m xai_sim.parity` when this fails after a deliberate change."""
    committed = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    fresh = json.loads(fresh_vectors.read_text(encoding="utf-8"))
    _close(fresh, committed, "parity_vectors")
    assert DEFAULT_PATH.stat().st_size < MAX_COMMITTED_BYTES


def test_committed_unity_assets_match_the_simulator(tmp_path: Path) -> None:
    """Regenerate with `python -m xai_sim.parity --unity-assets` when this fails."""
    for fresh in write_unity_assets(tmp_path):
        committed = DEFAULT_ASSETS / fresh.name
        assert committed.is_file(), f"{committed} is missing"
        assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(
            fresh.read_text(encoding="utf-8")
        ), f"{committed} differs from a fresh export"


def test_vectors_cover_every_rule() -> None:
    """The scenarios reach every branch of the rules, so a mutation of one fails the C# run."""
    doc = generate_parity_vectors()
    seen: set[str] = set()
    for episode in doc["episodes"]:
        cfg = episode["config"]["episode"]
        final = episode["final"]
        steps = episode["steps"]
        last = len(episode["subgoals"]) - 1
        previous = episode["initial"]["i"]
        for s in steps:
            if s.get("c"):
                seen.add("collision")
            if s["i"] - previous >= 2:
                seen.add("several sub-goals in one step")
            if episode["mode"] == "goal" and s.get("t"):
                j = s["df"]
                while j < last and s["da"][j - s["df"]] <= cfg["subgoal_radius_m"]:
                    j += 1
                if j < last:
                    seen.add("goal reached with sub-goals left")
            previous = s["i"]
        if episode["mode"] == "goal":
            if final["reason"] == "max_steps":
                seen.add("truncated")
            elif final["success"]:
                seen.add("goal success")
                if final["collisions"] == cfg["max_collisions"]:
                    seen.add("goal success at max_collisions")
            else:
                seen.add("goal reached, too many collisions")
        else:
            far = final["fde"] > cfg["sketch_success_radius_m"]
            many = final["collisions"] > cfg["max_collisions"]
            if final["success"]:
                seen.add("sketch success")
            elif far and not many:
                seen.add("sketch fails on FDE alone")
            elif many and not far:
                seen.add("sketch fails on collisions alone")
    assert seen == {
        "collision",
        "several sub-goals in one step",
        "goal reached with sub-goals left",
        "truncated",
        "goal success",
        "goal success at max_collisions",
        "goal reached, too many collisions",
        "sketch success",
        "sketch fails on FDE alone",
        "sketch fails on collisions alone",
    }
