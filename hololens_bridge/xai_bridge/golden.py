"""Golden frames: deterministic messages that every decoder (Python, C#, JavaScript) must read.

``python -m xai_bridge.golden [DIR]`` (default ``hololens_bridge/tests/golden``) rewrites, byte for
byte, the files PROTOCOL.md lists: good messages ``<name>.bin`` in the WebSocket framing with
``<name>.json`` beside each (the values a decoder must reproduce), and ``bad_*.bin`` messages
every decoder must reject with ``bad_*.json`` saying why.

Determinism: the point data come from integer arithmetic and correctly rounded divisions (no
random generator or transcendental function whose output could change between numpy versions or
platforms), ``sent_ns`` is fixed, and stamps are exactly representable as float64 so JavaScript
tests can compare them exactly.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from xai_bridge.codec import (
    CloudFrame,
    DecisionFrame,
    decode,
    encode_cloud,
    encode_decision,
    pack_ws,
    unpack_ws,
)

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "tests" / "golden"
"""Where the committed golden files live (``hololens_bridge/tests/golden``)."""

STAMP_NS = 1_700_000_000_123_456_768
"""Source stamp of every golden message (a multiple of 256 ns: exact as a float64)."""
SENT_NS = STAMP_NS + 256 * 7813
"""Fixed ``sent_ns`` (about 2 ms after the stamp), exact as a float64."""
FRAME_ID = "head_rgbd_sensor_rgb_frame"
POSE = {"frame": "map", "t": [1.5, -0.25, 1.0], "q": [0.0, 0.0, 0.6, 0.8]}


def _lcg(seed: int, count: int, modulus: int) -> list[int]:
    """``count`` integers in ``[0, modulus)`` from a 31-bit linear congruential generator."""
    values = []
    state = seed
    for _ in range(count):
        state = (1_103_515_245 * state + 12_345) % 2**31
        values.append((state >> 8) % modulus)
    return values


def _room_points(seed: int, n: int, half_extent_mm: tuple[int, int, int]) -> np.ndarray:
    """(n, 3) float32 metres: integers of millimetres within ``±half_extent_mm`` per axis."""
    columns = [
        [(v - h) / 1000.0 for v in _lcg(seed + axis, n, 2 * h + 1)]
        for axis, h in enumerate(half_extent_mm)
    ]
    return np.array(columns, dtype=np.float64).T.astype(np.float32)


def _cloud_q16() -> list[bytes]:
    xyz = _room_points(11, 37, (3000, 2000, 1250))
    attention = np.array(
        [0.0, 1.0, 0.5, 0.25, 0.75] + [v / 1000.0 for v in _lcg(7, 32, 1001)], dtype=np.float32
    )
    return encode_cloud(
        "cloud/attention", xyz, attention, seq=41, stamp_ns=STAMP_NS, frame_id=FRAME_ID,
        encoding="q16", colormap="jet", pose=POSE, sent_ns=SENT_NS,
    )  # fmt: skip


def _cloud_q16_wide() -> list[bytes]:
    xyz = _room_points(23, 12, (50_000, 3000, 1500))
    xyz[0, 0], xyz[1, 0] = -50.0, 50.0  # extent exactly 100 m: scale = 100 / 65534
    attention = np.array([-2.0, 3.0] + [v / 100.0 - 2.0 for v in _lcg(5, 10, 501)], np.float32)
    return encode_cloud(
        "cloud/odam", xyz, attention, seq=7, stamp_ns=STAMP_NS, frame_id="base_link",
        encoding="q16", colormap="turbo", pose=None, sent_ns=SENT_NS,
    )  # fmt: skip


def _cloud_f32() -> list[bytes]:
    xyz = _room_points(31, 9, (4000, 4000, 2000))
    xyz[0] = (1.25, -0.5, 0.1)
    attention = np.array([0.1, 0.0, 1.0, 0.5, 0.3, 0.9, 0.125, 0.7, 0.2], dtype=np.float32)
    return encode_cloud(
        "cloud/odam", xyz, attention, seq=3, stamp_ns=STAMP_NS, frame_id="velodyne",
        encoding="f32", colormap="viridis", pose=POSE, sent_ns=SENT_NS,
    )  # fmt: skip


def _cloud_empty() -> list[bytes]:
    return encode_cloud(
        "cloud/attention", np.zeros((0, 3), np.float32), np.zeros(0, np.float32), seq=0,
        stamp_ns=STAMP_NS, frame_id=FRAME_ID, sent_ns=SENT_NS,
    )  # fmt: skip


def _decision() -> list[bytes]:
    return encode_decision(
        seq=41, stamp_ns=STAMP_NS, frame_id="base_link", policy="aqt_office_seed1",
        action_names=["forward", "turn_left", "turn_right", "forward_left", "forward_right"],
        q_values=[0.25, -1.5, 2.75, 0.0, 1.125], chosen=2, sent_ns=SENT_NS,
    )  # fmt: skip


GOOD: dict[str, Callable[[], list[bytes]]] = {
    "cloud_q16": _cloud_q16,
    "cloud_q16_wide": _cloud_q16_wide,
    "cloud_f32": _cloud_f32,
    "cloud_empty": _cloud_empty,
    "decision": _decision,
}


def _with_header(frames: list[bytes], **changes: Any) -> list[bytes]:
    """``frames`` with header keys replaced (``None`` values delete the key)."""
    header = msgpack.unpackb(frames[1])
    header.update(changes)
    return [frames[0], msgpack.packb(header, use_bin_type=True), frames[2]]


def _bad_messages() -> dict[str, tuple[bytes, str, str]]:
    """``name -> (file bytes, reason, substring of the Python decoder's error)``."""
    small = encode_cloud(
        "cloud/attention",
        np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.5, 0.25, 0.0], [-1.0, 0.0, 2.0]]),
        np.array([0.0, 1.0, 0.5, 0.25]),
        seq=1, stamp_ns=STAMP_NS, frame_id=FRAME_ID, sent_ns=SENT_NS,
    )  # fmt: skip
    topic, header, payload = small
    fields = msgpack.unpackb(header)["fields"]
    past_end = [dict(fields[0]), {**fields[1], "offset": 26}]  # 4 uint8 from 26 > 28 bytes
    bad: dict[str, tuple[list[bytes], str, str]] = {
        "bad_truncated_payload": (
            [topic, header, payload[:-3]],
            "q16 n=4 needs 28 payload bytes, the file holds 25",
            "runs past the end of the payload",
        ),
        "bad_payload_length": (
            [topic, header, payload + b"\0\0"],
            "q16 n=4 needs 28 payload bytes, the file holds 30",
            "need exactly 28",
        ),
        "bad_version": (
            _with_header(small, v=2),
            "schema version v=2 is unknown to a v1 decoder",
            "unknown schema version",
        ),
        "bad_header_not_map": (
            [topic, msgpack.packb([1, "cloud", 4]), payload],
            "the header is a msgpack array, not a map",
            "header must be a msgpack map",
        ),
        "bad_unknown_kind": (
            _with_header(small, kind="mesh"),
            "kind 'mesh' is not a v1 kind",
            "unknown kind",
        ),
        "bad_unknown_encoding": (
            _with_header(small, encoding="q8"),
            "encoding 'q8' is not a v1 encoding",
            "unknown encoding",
        ),
        "bad_negative_n": (
            _with_header(small, n=-4),
            "n is negative",
            "n must be >= 0",
        ),
        "bad_field_past_end": (
            _with_header(small, fields=past_end),
            "the attention field (offset 26, 4 bytes) runs past the 28-byte payload",
            "runs past the end of the payload",
        ),
    }
    out = {name: (pack_ws(frames), reason, err) for name, (frames, reason, err) in bad.items()}
    ws = pack_ws(small)
    # Header length announces more bytes than remain after it: the framing itself is broken.
    truncated = ws[: 4 + len(topic)] + struct.pack("<I", len(header) + len(payload) + 1)
    truncated += ws[8 + len(topic) :]
    out["bad_ws_truncated"] = (
        truncated,
        "the WebSocket header length runs past the end of the message",
        "runs past the end of the message",
    )
    return out


def describe(name: str, data: bytes) -> dict[str, Any]:
    """The ``<name>.json`` content for a good golden file holding ``data``."""
    frames = unpack_ws(data)
    message = decode(frames)
    header = msgpack.unpackb(frames[1])
    info: dict[str, Any] = {
        "file": f"{name}.bin",
        "bin_sha256": hashlib.sha256(data).hexdigest(),
        "topic": message.topic,
        "kind": header["kind"],
        "header": header,
        "payload_bytes": len(frames[2]),
        "payload_sha256": hashlib.sha256(frames[2]).hexdigest(),
    }
    if isinstance(message, CloudFrame):
        info["n"] = message.n
        info["xyz_first5"] = [[float(v) for v in p] for p in message.xyz[:5]]
        info["attention_first5"] = [float(a) for a in message.attention[:5]]
        if message.encoding == "q16":
            n = message.n
            q = np.frombuffer(frames[2], dtype="<i2", count=3 * n).reshape(n, 3)
            u8 = np.frombuffer(frames[2], dtype="u1", count=n, offset=6 * n)
            info["q16_position_first5"] = [[int(v) for v in p] for p in q[:5]]
            info["q16_attention_first5"] = [int(v) for v in u8[:5]]
    else:
        assert isinstance(message, DecisionFrame)
        info.update(
            policy=message.policy,
            action_names=message.action_names,
            q_values=message.q_values,
            chosen=message.chosen,
        )
    return info


def _json_text(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, sort_keys=False) + "\n"


def golden_files() -> dict[str, bytes]:
    """Every golden file name -> its exact bytes (``.bin`` and ``.json``), without writing."""
    files: dict[str, bytes] = {}
    for name, make in GOOD.items():
        data = pack_ws(make())
        files[f"{name}.bin"] = data
        files[f"{name}.json"] = _json_text(describe(name, data)).encode()
    for name, (data, reason, error) in _bad_messages().items():
        files[f"{name}.bin"] = data
        info = {"file": f"{name}.bin", "reject": True, "reason": reason, "python_error": error}
        files[f"{name}.json"] = _json_text(info).encode()
    return files


def write_golden(directory: Path = GOLDEN_DIR) -> list[Path]:
    """Write every golden file into ``directory`` (created if needed); returns the paths."""
    for stamp in (STAMP_NS, SENT_NS):
        assert int(float(stamp)) == stamp, "golden stamps must be exact float64 values"
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, data in golden_files().items():
        path = directory / filename
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m xai_bridge.golden [DIR]``: regenerate the golden files."""
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]) if args else GOLDEN_DIR
    paths = write_golden(directory)
    print(f"wrote {len(paths)} files to {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
