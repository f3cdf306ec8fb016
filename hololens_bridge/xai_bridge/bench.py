"""Streaming benchmark: publisher in this process, ``xai-bridge-listen`` in another.

    python -m xai_bridge.bench --points 250000 --rate 30 --duration 10 --json out/bench.json

:func:`stream_bench` publishes synthetic room-like attention clouds at a fixed rate (``stamp_ns`` =
wall clock when the cloud is generated), and a separate subscriber process decodes them and
reports the sustained rate, bytes/point and stamp-to-decode latency. The result also holds the
publisher's encode time, its ``publish()`` call time and the largest number of pending messages
(bounded by the number of topics: no queue grows, whatever the subscriber does).
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from xai_bridge.codec import encode_cloud
from xai_bridge.keys import create_keypair
from xai_bridge.transport import BridgePublisher

TOPIC = "cloud/attention"
FRAME_ID = "head_rgbd_sensor_rgb_frame"


class SyntheticRoom:
    """Room-like clouds seen from a random-walking sensor, with a drifting attention blob.

    The room (6 x 4 x 2.5 m: floor, four walls, two boxes) is sampled once; each :meth:`next`
    moves the sensor and the attended spot a little and returns the points relative to the
    sensor (metres, axes parallel to the room's) and their attention in [0, 1].

    Args:
        points: points per cloud.
        seed: random seed.
    """

    def __init__(self, points: int, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        rng = self._rng
        size = np.array([6.0, 4.0, 2.5])
        surface = rng.integers(0, 7, points)
        uv = rng.random((points, 3)) * size
        room = uv.copy()
        room[surface == 0, 2] = 0.0  # floor
        room[surface == 1, 0] = 0.0  # walls
        room[surface == 2, 0] = size[0]
        room[surface == 3, 1] = 0.0
        room[surface == 4, 1] = size[1]
        for box, (corner, extent) in enumerate((((1.0, 1.0, 0.0), (0.8, 0.6, 0.75)),
                                                 ((4.0, 2.5, 0.0), (1.2, 0.5, 0.9)))):  # fmt: skip
            mask = surface == 5 + box
            room[mask] = np.asarray(corner) + rng.random((int(mask.sum()), 3)) * extent
        room += rng.normal(0.0, 0.005, room.shape)  # sensor noise
        self._room = room
        self._sensor = size / 2
        self._focus = size / 2
        self._size = size

    def next(self) -> tuple[np.ndarray, np.ndarray]:
        """``(xyz (N, 3) float32 m, attention (N,) float32 in [0, 1])`` of the next frame."""
        self._sensor = np.clip(self._sensor + self._rng.normal(0, 0.02, 3), 0.5, self._size - 0.5)
        self._focus = np.clip(self._focus + self._rng.normal(0, 0.05, 3), 0.0, self._size)
        xyz = np.empty(self._room.shape, dtype=np.float32)
        squared = np.zeros(len(self._room), dtype=np.float32)
        for axis in range(3):  # per column: broadcasting over (N, 3) is several times slower
            np.subtract(self._room[:, axis], self._sensor[axis], out=xyz[:, axis], casting="unsafe")
            delta = self._room[:, axis] - self._focus[axis]
            squared += (delta * delta).astype(np.float32)
        attention = np.exp(squared * np.float32(-1.0 / (2 * 0.8**2)))
        return xyz, attention


def stream_bench(
    points: int = 250_000,
    rate_hz: float = 30.0,
    duration_s: float = 60.0,
    endpoint: str = "tcp://127.0.0.1:5599",
    curve: bool = True,
    *,
    encoding: str = "q16",
    seed: int = 0,
) -> dict[str, Any]:
    """Stream synthetic clouds to a subscriber process and measure the link.

    Args:
        points: points per cloud.
        rate_hz: publish rate.
        duration_s: seconds of publishing (after the subscriber has connected).
        endpoint: ``tcp://127.0.0.1:PORT`` to bind (``PORT`` may be ``*``).
        curve: CURVE with fresh keys in a temporary directory (else plaintext on loopback).
        encoding: ``"q16"`` or ``"f32"``.
        seed: seed of the synthetic room.

    Returns:
        ``rate_hz`` (sustained at the subscriber), ``frames_received``, ``gaps``,
        ``bytes_per_point`` (wire, incl. header), ``latency_ms_p50`` / ``_p99`` / ``_max``
        (stamp at generation -> decoded in the subscriber), ``published``, ``sent``,
        ``replaced``, ``max_pending``, ``topics``, ``encode_ms_mean`` / ``_p99``,
        ``generate_ms_mean``, ``publish_call_ms_max``, ``publish_rate_hz``, the parameters, and
        ``subscriber`` (the full ``xai-bridge-listen`` summary).

    Raises:
        RuntimeError: the subscriber process did not start, connect or report.
    """
    room = SyntheticRoom(points, seed)
    with tempfile.TemporaryDirectory(prefix="xai-bridge-bench-") as tmp_name:
        tmp = Path(tmp_name)
        pub_kwargs: dict[str, Any] = {"allow_plaintext": not curve}
        listen_args = ["--plaintext"]
        if curve:
            create_keypair(tmp, "server")
            create_keypair(tmp, "bench-client", allow_dir=tmp / "allowed")
            pub_kwargs = {
                "server_secret_key_file": tmp / "server.key_secret",
                "allowed_clients_dir": tmp / "allowed",
            }
            listen_args = [
                "--server-key", str(tmp / "server.key"),
                "--client-key", str(tmp / "bench-client.key_secret"),
            ]  # fmt: skip
        json_path = tmp / "listen.json"
        with BridgePublisher(endpoint, **pub_kwargs) as publisher:
            command = [
                sys.executable, "-m", "xai_bridge.listen", "--endpoint", publisher.endpoint,
                *listen_args, "--duration", str(duration_s + 30.0), "--max-idle", "1.0",
                "--json", str(json_path), "--quiet",
            ]  # fmt: skip
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            lines: queue.Queue[str] = queue.Queue()
            reader = threading.Thread(
                target=lambda: [lines.put(line) for line in process.stdout], daemon=True
            )
            reader.start()
            try:
                _wait_connected(publisher, process, timeout_s=20.0)
                timing = _publish_loop(publisher, room, rate_hz, duration_s, encoding)
                try:
                    process.wait(timeout=15.0)
                except subprocess.TimeoutExpired:
                    raise RuntimeError("the subscriber process did not finish") from None
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            reader.join(timeout=2.0)
            output = "".join(lines.queue)
            if process.returncode != 0 or not json_path.exists():
                raise RuntimeError(f"subscriber failed (exit {process.returncode}): {output}")
            subscriber = json.loads(json_path.read_text())
            stats = publisher.stats()
    return {
        "points": points,
        "rate_hz_target": rate_hz,
        "duration_s": duration_s,
        "curve": curve,
        "encoding": encoding,
        "rate_hz": subscriber["rate_hz"],
        "frames_received": subscriber["frames"],
        "gaps": subscriber["gaps"],
        "bytes_per_point": subscriber["bytes_per_point"],
        "latency_ms_p50": subscriber["latency_ms_p50"],
        "latency_ms_p99": subscriber["latency_ms_p99"],
        "latency_ms_max": subscriber["latency_ms_max"],
        "published": stats["offered"],
        "sent": stats["sent"],
        "replaced": stats["replaced"],
        "max_pending": stats["max_pending"],
        "topics": len(stats["topics"]),
        "auth_failures": stats["auth_failures"],
        **timing,
        "subscriber": subscriber,
    }


def _wait_connected(
    publisher: BridgePublisher, process: subprocess.Popen, timeout_s: float
) -> None:
    """Wait until the subscriber process has completed its handshake (and subscribed)."""
    deadline = time.monotonic() + timeout_s
    while publisher.stats()["handshakes"] < 1:
        if process.poll() is not None:
            raise RuntimeError(f"the subscriber process exited early (code {process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the subscriber did not connect within {timeout_s} s")
        time.sleep(0.01)
    time.sleep(0.2)  # the SUBSCRIBE command follows the handshake


def _publish_loop(
    publisher: BridgePublisher,
    room: SyntheticRoom,
    rate_hz: float,
    duration_s: float,
    encoding: str,
) -> dict[str, float]:
    """Publish at ``rate_hz`` for ``duration_s``; returns the publisher-side timings."""
    period = 1.0 / rate_hz
    generate_s, encode_s, publish_s = [], [], []
    start = time.perf_counter()
    next_tick = start
    seq = 0
    while time.perf_counter() - start < duration_s:
        t0 = time.perf_counter()
        xyz, attention = room.next()
        stamp_ns = time.time_ns()
        t1 = time.perf_counter()
        frames = encode_cloud(
            TOPIC, xyz, attention, seq=seq, stamp_ns=stamp_ns, frame_id=FRAME_ID, encoding=encoding
        )
        t2 = time.perf_counter()
        publisher.publish(frames)
        t3 = time.perf_counter()
        generate_s.append(t1 - t0)
        encode_s.append(t2 - t1)
        publish_s.append(t3 - t2)
        seq += 1
        next_tick += period
        delay = next_tick - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -period:
            next_tick = time.perf_counter()  # fell behind: no catch-up burst
    elapsed = time.perf_counter() - start
    encode_ms = np.asarray(encode_s) * 1e3
    return {
        "publish_rate_hz": seq / elapsed,
        "generate_ms_mean": float(np.mean(generate_s) * 1e3),
        "encode_ms_mean": float(encode_ms.mean()),
        "encode_ms_p99": float(np.percentile(encode_ms, 99)),
        "publish_call_ms_max": float(np.max(publish_s) * 1e3),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m xai_bridge.bench``: run :func:`stream_bench` and print / save the result."""
    parser = argparse.ArgumentParser(prog="python -m xai_bridge.bench", description=__doc__)
    parser.add_argument("--points", type=int, default=250_000)
    parser.add_argument("--rate", type=float, default=30.0, help="publish rate (Hz)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of publishing")
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5599")
    parser.add_argument("--plaintext", action="store_true", help="no CURVE (loopback only)")
    parser.add_argument("--encoding", choices=("q16", "f32"), default="q16")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    result = stream_bench(
        args.points, args.rate, args.duration, args.endpoint, not args.plaintext,
        encoding=args.encoding,
    )  # fmt: skip
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
