"""Command-line tools: xai-bridge-keygen, xai-bridge-listen (+ StreamStats), the stream bench.

The CLIs run as real subprocesses (their console scripts when installed); sockets stay on
127.0.0.1 with OS-picked free ports.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from xai_bridge.bench import SyntheticRoom, stream_bench
from xai_bridge.codec import decode, encode_cloud, encode_decision
from xai_bridge.keys import create_keypair, load_keypair, load_public_key
from xai_bridge.listen import StreamStats
from xai_bridge.transport import BridgePublisher


def _command(script: str, module: str) -> list[str]:
    """The installed console script next to this interpreter, else ``python -m module``."""
    installed = Path(sys.executable).with_name(script)
    return [str(installed)] if installed.exists() else [sys.executable, "-m", module]


KEYGEN = _command("xai-bridge-keygen", "xai_bridge.keys")
LISTEN = _command("xai-bridge-listen", "xai_bridge.listen")


def _run(command: list[str], timeout_s: float = 30.0) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)


# ---- xai-bridge-keygen ------------------------------------------------------------------


def test_keygen_writes_a_loadable_pair_and_the_allow_list_copy(tmp_path: Path) -> None:
    result = _run([*KEYGEN, "--out", str(tmp_path / "keys"), "--name", "hololens",
                   "--allow", str(tmp_path / "allowed")])  # fmt: skip
    assert result.returncode == 0, result.stderr
    public_file = tmp_path / "keys" / "hololens.key"
    secret_file = tmp_path / "keys" / "hololens.key_secret"
    assert str(public_file) in result.stdout
    public, secret = load_keypair(secret_file)
    assert len(public) == 40 and len(secret) == 40 and public != secret
    assert load_public_key(public_file) == public
    assert b"secret-key" not in public_file.read_bytes()
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert (tmp_path / "allowed" / "hololens.key").read_bytes() == public_file.read_bytes()
    assert not list((tmp_path / "keys").glob(".keygen-*")), "the temporary directory is removed"


def test_keygen_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    args = [*KEYGEN, "--out", str(tmp_path), "--name", "server"]
    assert _run(args).returncode == 0
    first = load_keypair(tmp_path / "server.key_secret")
    result = _run(args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "already exists" in lines[0] and "--force" in lines[0], lines
    assert load_keypair(tmp_path / "server.key_secret") == first, "the old pair is untouched"
    assert _run([*args, "--force"]).returncode == 0
    assert load_keypair(tmp_path / "server.key_secret") != first


@pytest.mark.parametrize("name", ["../escape", "a/b", ""])
def test_keygen_rejects_names_that_are_not_plain_file_stems(tmp_path: Path, name: str) -> None:
    result = _run([*KEYGEN, "--out", str(tmp_path), "--name", name])
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "name" in result.stderr
    assert not list(tmp_path.parent.glob("escape*"))


def test_load_keypair_explains_what_is_wrong(tmp_path: Path) -> None:
    create_keypair(tmp_path, "c")
    with pytest.raises(ValueError, match="no secret key"):
        load_keypair(tmp_path / "c.key")
    with pytest.raises(ValueError, match="does not exist"):
        load_keypair(tmp_path / "missing.key_secret")
    (tmp_path / "junk.key_secret").write_text("not a certificate\n")
    with pytest.raises(ValueError, match="not a ZeroMQ certificate"):
        load_keypair(tmp_path / "junk.key_secret")


# ---- StreamStats --------------------------------------------------------------------------


def _frame(seq: int, stamp_ns: int, n: int = 1000, topic: str = "cloud/a"):
    xyz = np.zeros((n, 3), np.float32)
    return decode(encode_cloud(topic, xyz, np.zeros(n), seq=seq, stamp_ns=stamp_ns, frame_id="f"))


def test_stream_stats_rate_latency_gaps_and_sizes() -> None:
    stats = StreamStats()
    t0 = 1_700_000_000_000_000_000
    # 11 frames 100 ms apart, each received 5 ms after its stamp, seq 3 and 7 missing
    seqs = [0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12]
    for i, seq in enumerate(seqs):
        recv = t0 + i * 100_000_000
        stats.add(_frame(seq, recv - 5_000_000), recv, wire_bytes=7000 + 300)
    summary = stats.summary()
    assert summary["frames"] == 11 and summary["cloud_frames"] == 11
    assert summary["rate_hz"] == pytest.approx(10.0)
    assert summary["latency_ms_p50"] == pytest.approx(5.0)
    assert summary["latency_ms_p99"] == pytest.approx(5.0)
    assert summary["gaps"] == 2
    assert summary["points_per_frame"] == 1000
    assert summary["bytes_per_point"] == pytest.approx(7.3)
    assert summary["payload_bytes_per_point"] == pytest.approx(7.0)


def test_stream_stats_counts_gaps_per_topic_and_survives_a_publisher_restart() -> None:
    stats = StreamStats()
    decision = decode(
        encode_decision(seq=0, stamp_ns=0, frame_id="b", policy="p", action_names=["a"],
                        q_values=[], chosen=0)
    )  # fmt: skip
    for frame in (_frame(0, 0), decision, _frame(1, 0, topic="cloud/b"), _frame(2, 0)):
        stats.add(frame, 10)
    stats.add(_frame(0, 0), 20)  # restart: seq back to 0 is not a gap
    stats.add(_frame(1, 0), 30)
    stats.add_bad()
    summary = stats.summary()
    assert summary["gaps"] == 1  # cloud/a: 0 -> 2
    assert summary["decision_frames"] == 1 and summary["bad"] == 1


def test_empty_stream_stats() -> None:
    summary = StreamStats().summary()
    assert summary["frames"] == 0 and summary["rate_hz"] == 0.0
    assert summary["latency_ms_p50"] is None and summary["bytes_per_point"] == 0.0


# ---- xai-bridge-listen --------------------------------------------------------------------


def test_listen_cli_reports_a_curve_stream(tmp_path: Path) -> None:
    create_keypair(tmp_path, "server")
    create_keypair(tmp_path, "laptop", allow_dir=tmp_path / "allowed")
    json_path = tmp_path / "listen.json"
    with BridgePublisher(
        "tcp://127.0.0.1:*",
        server_secret_key_file=tmp_path / "server.key_secret",
        allowed_clients_dir=tmp_path / "allowed",
    ) as publisher:
        process = subprocess.Popen(
            [*LISTEN, "--endpoint", publisher.endpoint, "--server-key",
             str(tmp_path / "server.key"), "--client-key", str(tmp_path / "laptop.key_secret"),
             "--duration", "2.5", "--json", str(json_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20.0
            while publisher.stats()["handshakes"] < 1 and time.monotonic() < deadline:
                assert process.poll() is None, process.communicate()
                time.sleep(0.01)
            xyz = np.random.default_rng(0).random((2000, 3)).astype(np.float32)
            seq = 0
            while process.poll() is None and time.monotonic() < deadline:
                publisher.publish(
                    encode_cloud("cloud/attention", xyz, np.full(2000, 0.5), seq=seq,
                                 stamp_ns=time.time_ns(), frame_id="f")
                )  # fmt: skip
                seq += 1
                time.sleep(0.02)
            stdout, stderr = process.communicate(timeout=10.0)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode == 0, stderr
    assert "listening on" in stdout and "(CURVE)" in stdout
    per_second = [line for line in stdout.splitlines() if "frames/s" in line]
    assert len(per_second) >= 1, stdout
    summary = json.loads(json_path.read_text())
    assert summary["curve"] is True
    assert summary["frames"] >= 20
    assert 20.0 < summary["rate_hz"] < 80.0  # published at ~50 Hz minus loop overhead
    assert summary["points_per_frame"] == 2000
    assert 7.0 < summary["bytes_per_point"] < 7.5  # 7 B/pt payload + topic and header
    assert 0.0 < summary["latency_ms_p50"] < 500.0
    assert summary["gaps"] == 0 and summary["bad"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "tcp://10.0.0.5:5557", "--plaintext"], "only to 127.0.0.1"),
        (["--endpoint", "tcp://127.0.0.1:5557"], "--plaintext for a loopback"),
        (["--endpoint", "tcp://127.0.0.1:5557", "--server-key", "s.key"], "needs both"),
        (["--endpoint", "udp://127.0.0.1:5557", "--plaintext"], "tcp://HOST:PORT"),
    ],
)
def test_listen_cli_rejects_unusable_arguments_in_one_line(args: list[str], message: str) -> None:
    result = _run([*LISTEN, *args, "--duration", "0.1"])
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


# ---- stream bench -------------------------------------------------------------------------


def test_synthetic_room_is_bounded_and_attention_normalised() -> None:
    room = SyntheticRoom(5000, seed=1)
    first_xyz, _ = room.next()
    xyz, attention = room.next()
    assert xyz.shape == (5000, 3) and xyz.dtype == np.float32 and attention.dtype == np.float32
    assert np.isfinite(xyz).all() and attention.min() >= 0.0 and attention.max() <= 1.0
    assert np.ptp(xyz, axis=0).max() < 7.0  # a 6 x 4 x 2.5 m room
    assert not np.array_equal(first_xyz, xyz), "the sensor moves between frames"


def test_stream_bench_smoke() -> None:
    result = stream_bench(points=2000, rate_hz=20.0, duration_s=2.0, endpoint="tcp://127.0.0.1:*")
    assert result["curve"] is True and result["auth_failures"] == 0
    assert result["published"] >= 35
    assert result["frames_received"] >= 0.8 * result["published"]
    assert 15.0 < result["rate_hz"] < 25.0
    assert result["max_pending"] <= result["topics"] == 1
    assert 7.0 < result["bytes_per_point"] < 7.5
    assert 0.0 < result["latency_ms_p50"] <= result["latency_ms_p99"] < 1000.0
    assert 0.0 < result["encode_ms_mean"] < 50.0
    assert result["subscriber"]["points_per_frame"] == 2000


def test_console_scripts_are_installed() -> None:
    for script in ("xai-bridge-keygen", "xai-bridge-listen"):
        assert shutil.which(script, path=str(Path(sys.executable).parent)), script
