"""The HoloLens app's plain-C# decoder reads the golden frames the Python codec wrote.

Runs ``hololens_bridge/HoloLensApp/build_tests.sh``: mono's ``mcs`` compiles
``Assets/XaiBridge/Protocol/*.cs`` with the console tests ``Tests/*.cs``, and ``mono`` runs them
against a golden directory. Every golden ``<name>.json`` is compared key by key with the decoded
``<name>.bin``; ``bad_*.bin`` must be rejected with a ``ProtocolException`` that names the same
problem as the Python decoder.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xai_bridge import codec

TESTS = Path(__file__).resolve().parent
GOLDEN = TESTS / "golden"
BUILD_TESTS = TESTS.parent / "HoloLensApp" / "build_tests.sh"

pytestmark = pytest.mark.skipif(
    shutil.which("mcs") is None or shutil.which("mono") is None,
    reason="mono (mcs) not installed: scripts/setup.sh installs it",
)


def run_csharp_tests(build_dir: Path, golden_dir: Path) -> subprocess.CompletedProcess[str]:
    """Build and run the C# tests; stdout holds one PASS / FAIL line per test."""
    return subprocess.run(
        ["bash", str(BUILD_TESTS), str(build_dir), str(golden_dir)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def result_line(stdout: str, verdict: str, name: str) -> bool:
    return re.search(rf"^{verdict} golden {re.escape(name)}$", stdout, re.MULTILINE) is not None


def test_csharp_decoder_passes_its_tests_and_every_golden_file(tmp_path: Path) -> None:
    result = run_csharp_tests(tmp_path / "build", GOLDEN)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    golden_bins = sorted(p.name for p in GOLDEN.glob("*.bin"))
    assert golden_bins, f"no golden frames in {GOLDEN}"
    missing = [name for name in golden_bins if not result_line(result.stdout, "PASS", name)]
    assert not missing, f"no PASS line for {missing}:\n{output}"
    assert re.search(r"^\d+ passed, 0 failed$", result.stdout, re.MULTILINE), output


def _corruptions(frame: bytes) -> dict[str, tuple[bytes, str]]:
    """Corrupted copies of one golden cloud, each with the reason both decoders must give."""
    return {
        "bad_corrupt_truncated.bin": (frame[:-1], "runs past the end of the payload"),
        "bad_corrupt_extra_byte.bin": (frame + b"\x00", "need exactly"),
        "bad_corrupt_version.bin": (frame.replace(b"\xa1v\x01", b"\xa1v\x02", 1), "unknown schema"),
        "bad_corrupt_kind.bin": (frame.replace(b"\xa5cloud", b"\xa5cl0ud", 1), "unknown kind"),
        "bad_corrupt_ws_length.bin": (frame[:2] + b"\xff\xff" + frame[4:], "runs past the end"),
    }


def test_csharp_decoder_rejects_corrupted_copies_of_a_golden_file(tmp_path: Path) -> None:
    frame = (GOLDEN / "cloud_q16.bin").read_bytes()
    golden = tmp_path / "golden"
    golden.mkdir()
    corruptions = _corruptions(frame)
    for name, (data, reason) in corruptions.items():
        assert data != frame, f"{name}: the corruption changed nothing"
        # The Python reference decoder rejects it for the same reason.
        with pytest.raises(codec.ProtocolError, match=reason):
            codec.decode(codec.unpack_ws(data))
        (golden / name).write_bytes(data)
        expectation = {"file": name, "reject": True, "python_error": reason}
        (golden / name).with_suffix(".json").write_text(json.dumps(expectation))

    result = run_csharp_tests(tmp_path / "build", golden)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for name in corruptions:
        assert result_line(result.stdout, "PASS", name), f"{name} was not rejected:\n{output}"


def test_csharp_golden_check_fails_when_a_frame_does_not_match_its_json(tmp_path: Path) -> None:
    """The harness itself: a corrupted frame presented as valid must make the run fail."""
    golden = tmp_path / "golden"
    golden.mkdir()
    frame = bytearray((GOLDEN / "cloud_q16.bin").read_bytes())
    frame[-1] ^= 0xFF  # one attention level changes: still a valid frame, now off its JSON
    (golden / "cloud_q16.bin").write_bytes(bytes(frame))
    shutil.copy(GOLDEN / "cloud_q16.json", golden / "cloud_q16.json")

    result = run_csharp_tests(tmp_path / "build", golden)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    failure = re.search(r"^FAIL golden cloud_q16\.bin: (.*)$", result.stdout, re.MULTILINE)
    assert failure, output
    assert "payload_sha256" in failure.group(1), output
