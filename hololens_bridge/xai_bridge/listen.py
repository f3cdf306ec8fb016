"""``xai-bridge-listen``: subscribe to a bridge and print what arrives, once per second.

    xai-bridge-listen --endpoint tcp://robot:5557 --server-key keys/server.key \\
        --client-key keys/laptop.key_secret --duration 10 --json out/listen.json
    xai-bridge-listen --endpoint tcp://127.0.0.1:5557 --plaintext

Each line: frames/s, points/frame, bytes/point on the wire, latency p50/p99 (time the message was
decoded here minus its ``stamp_ns``, in ms: meaningful when both clocks agree, e.g. one host or
PTP/chrony-synchronised hosts) and ``seq`` gaps (frames the server dropped for this client).
:class:`StreamStats` holds the arithmetic so benchmarks and tests reuse it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from xai_bridge.codec import CloudFrame, DecisionFrame, ProtocolError, decode
from xai_bridge.transport import BridgeSubscriber, endpoint_host

_MAX_SAMPLES = 100_000  # latency samples kept for the percentiles (about an hour at 30 Hz)


class StreamStats:
    """Running statistics of a received stream.

    Call :meth:`add` once per decoded message with the wall-clock time it was decoded;
    :meth:`summary` gives the numbers.
    """

    def __init__(self) -> None:
        self.frames = 0
        self.cloud_frames = 0
        self.decision_frames = 0
        self.points = 0
        self.wire_bytes = 0
        self.payload_bytes = 0
        self.gaps = 0
        self.bad = 0
        self.first_ns: int | None = None
        self.last_ns: int | None = None
        self._last_seq: dict[str, int] = {}
        self._latency_ms: deque[float] = deque(maxlen=_MAX_SAMPLES)

    def add(
        self, frame: CloudFrame | DecisionFrame, recv_ns: int, wire_bytes: int | None = None
    ) -> None:
        """Account one message.

        Args:
            frame: the decoded message.
            recv_ns: wall clock (``time.time_ns()``) when it was decoded.
            wire_bytes: size of the three frames; the payload size when ``None``.
        """
        self.frames += 1
        self.first_ns = recv_ns if self.first_ns is None else self.first_ns
        self.last_ns = recv_ns
        self._latency_ms.append((recv_ns - frame.stamp_ns) / 1e6)
        last = self._last_seq.get(frame.topic)
        if last is not None and frame.seq > last + 1:
            self.gaps += frame.seq - last - 1
        # A seq at or below the last one means the publisher restarted: start counting afresh.
        self._last_seq[frame.topic] = frame.seq
        if isinstance(frame, CloudFrame):
            self.cloud_frames += 1
            self.points += frame.n
            self.payload_bytes += frame.payload_bytes
            self.wire_bytes += frame.payload_bytes if wire_bytes is None else wire_bytes
        else:
            self.decision_frames += 1

    def add_bad(self) -> None:
        """Count a message that failed to decode."""
        self.bad += 1

    def summary(self) -> dict[str, Any]:
        """Numbers so far.

        Keys: ``frames``, ``cloud_frames``, ``decision_frames``, ``bad``, ``gaps``, ``rate_hz``
        (``(frames - 1) / (last - first)`` receive time: the sustained rate, 0 below 2 frames),
        ``duration_s`` (first to last frame), ``points_per_frame`` (mean over clouds),
        ``bytes_per_point`` (cloud wire bytes incl. topic and header / points),
        ``payload_bytes_per_point``, ``latency_ms_p50`` / ``_p99`` / ``_max`` (``None`` without
        frames).
        """
        span_s = (
            (self.last_ns - self.first_ns) / 1e9
            if self.first_ns is not None and self.last_ns is not None
            else 0.0
        )
        latency = np.fromiter(self._latency_ms, dtype=np.float64)
        p50, p99, worst = (
            (float(v) for v in (*np.percentile(latency, [50, 99]), latency.max()))
            if latency.size
            else (None, None, None)
        )
        return {
            "frames": self.frames,
            "cloud_frames": self.cloud_frames,
            "decision_frames": self.decision_frames,
            "bad": self.bad,
            "gaps": self.gaps,
            "rate_hz": (self.frames - 1) / span_s if self.frames > 1 and span_s > 0 else 0.0,
            "duration_s": span_s,
            "points_per_frame": self.points / self.cloud_frames if self.cloud_frames else 0.0,
            "bytes_per_point": self.wire_bytes / self.points if self.points else 0.0,
            "payload_bytes_per_point": self.payload_bytes / self.points if self.points else 0.0,
            "latency_ms_p50": p50,
            "latency_ms_p99": p99,
            "latency_ms_max": worst,
        }


def format_line(elapsed_s: float, window: dict[str, Any], total: dict[str, Any]) -> str:
    """One progress line from a one-second window summary and the running total."""

    def ms(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.1f}"

    return (
        f"t={elapsed_s:6.1f}s  {window['frames']:3d} frames  "
        f"{window['rate_hz']:5.1f} frames/s  {window['points_per_frame']:8.0f} pts/frame  "
        f"{window['bytes_per_point']:5.2f} B/pt  latency p50 {ms(window['latency_ms_p50'])} ms "
        f"p99 {ms(window['latency_ms_p99'])} ms  gaps {total['gaps']}  bad {total['bad']}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xai-bridge-listen",
        description="Subscribe to an xai_bridge publisher and print rate, size and latency.",
    )
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:5557", help="tcp://HOST:PORT")
    parser.add_argument("--server-key", type=Path, help="the server's public NAME.key (CURVE)")
    parser.add_argument("--client-key", type=Path, help="this client's NAME.key_secret (CURVE)")
    parser.add_argument(
        "--plaintext", action="store_true", help="no CURVE (only to 127.0.0.1 / localhost)"
    )
    parser.add_argument(
        "--topic", action="append", dest="topics", help="topic prefix (repeatable; default all)"
    )
    parser.add_argument("--duration", type=float, default=0.0, help="seconds to run (0: forever)")
    parser.add_argument(
        "--max-idle", type=float, default=0.0,
        help="after the first frame, stop when none arrives for this many seconds (0: never)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the final summary to this file")
    parser.add_argument("--rcvhwm", type=int, default=4, help="receive high-water mark")
    parser.add_argument("--quiet", action="store_true", help="no per-second lines")
    return parser


def _check_args(args: argparse.Namespace) -> str | None:
    """The reason the arguments cannot work, or ``None``."""
    try:
        host = endpoint_host(args.endpoint)
    except ValueError as e:
        return str(e)
    curve = args.server_key is not None or args.client_key is not None
    if curve and args.plaintext:
        return "--plaintext and CURVE keys exclude each other"
    if curve and (args.server_key is None or args.client_key is None):
        return (
            "CURVE needs both --server-key (server's NAME.key) and --client-key (NAME.key_secret)"
        )
    if not curve and not args.plaintext:
        return "pass --server-key and --client-key, or --plaintext for a loopback endpoint"
    if args.plaintext and host not in ("127.0.0.1", "localhost"):
        return f"--plaintext only to 127.0.0.1 / localhost, not {host!r}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``xai-bridge-listen``; returns the exit status."""
    args = _parser().parse_args(argv)
    problem = _check_args(args)
    if problem is not None:
        print(f"xai-bridge-listen: error: {problem}", file=sys.stderr)
        return 2
    try:
        subscriber = BridgeSubscriber(
            args.endpoint,
            topics=args.topics or ("",),
            server_public_key_file=args.server_key,
            client_secret_key_file=args.client_key,
            rcvhwm=args.rcvhwm,
        )
    except ValueError as e:
        print(f"xai-bridge-listen: error: {e}", file=sys.stderr)
        return 2

    total, window = StreamStats(), StreamStats()
    mode = "CURVE" if subscriber.curve else "plaintext"
    print(f"listening on {args.endpoint} ({mode})", flush=True)
    start = time.monotonic()
    next_print = start + 1.0
    try:
        while True:
            now = time.monotonic()
            if args.duration > 0 and now - start >= args.duration:
                break
            if (
                args.max_idle > 0
                and total.last_ns is not None
                and time.time_ns() - total.last_ns > args.max_idle * 1e9
            ):
                break
            frames = subscriber.recv_raw(timeout_s=min(0.1, max(0.0, next_print - now)))
            if frames is not None:
                try:
                    message = decode(frames)
                except ProtocolError as e:
                    total.add_bad()
                    window.add_bad()
                    print(f"bad message: {e}", file=sys.stderr, flush=True)
                else:
                    recv_ns = time.time_ns()
                    wire = sum(len(f) for f in frames)
                    total.add(message, recv_ns, wire)
                    window.add(message, recv_ns, wire)
            if time.monotonic() >= next_print:
                if not args.quiet:
                    line = format_line(time.monotonic() - start, window.summary(), total.summary())
                    print(line, flush=True)
                window = StreamStats()
                next_print += 1.0
    except KeyboardInterrupt:
        pass
    finally:
        subscriber.close()

    summary = total.summary()
    summary["endpoint"] = args.endpoint
    summary["curve"] = mode == "CURVE"
    print("summary: " + json.dumps(summary), flush=True)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
