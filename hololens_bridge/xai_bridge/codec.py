"""Wire codec of the xai_bridge protocol, schema v1 (``hololens_bridge/PROTOCOL.md``).

Pure functions, no sockets: a message is three byte strings ``[topic, header, payload]``:

* ``topic``: UTF-8, ``cloud/<name>`` or ``decision``;
* ``header``: a msgpack map with string keys (schema version, kind, stamps, layout);
* ``payload``: little-endian arrays, structure of arrays, laid out as the header's ``fields`` say.

Two cloud encodings: ``q16`` (positions as int16 on a grid of ``scale`` metres around ``origin``,
attention as uint8 over ``attention_range``; 7 bytes/point) and ``f32`` (float32 positions and
attention, lossless; 16 bytes/point). :func:`pack_ws` / :func:`unpack_ws` give the WebSocket and
golden-file framing of the same three frames.

Decoding never trusts the header: every inconsistency raises :class:`ProtocolError` with a
sentence that names it, so a bad message can be logged, counted and dropped.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

SCHEMA_VERSION = 1
"""The ``v`` written into, and the only ``v`` accepted from, every header."""

COLORMAPS = ("jet", "turbo", "viridis", "gray")
"""Colormap ids a producer may suggest; clients fall back to ``jet`` for an id they do not know."""

ENCODINGS = ("q16", "f32")
"""Cloud encodings of schema v1."""

Q16_MIN_SCALE_M = 0.001
"""q16 grid step (m) for clouds that span up to 65.534 m; wider clouds get a coarser grid."""

Q16_SPAN_UNITS = 65534
"""Grid steps a q16 axis may span: ``q`` stays within [-32767, 32767] around the bbox midpoint."""

_BYTES_PER_POINT = {"q16": 7, "f32": 16}
# (name, type, count) of the payload fields, in payload order, per encoding.
_LAYOUT: dict[str, tuple[tuple[str, str, int], ...]] = {
    "q16": (("position", "int16", 3), ("attention", "uint8", 1)),
    "f32": (("position", "float32", 3), ("attention", "float32", 1)),
}
_DTYPES = {"int16": np.dtype("<i2"), "uint8": np.dtype("u1"), "float32": np.dtype("<f4")}
_WS_LEN = struct.Struct("<I")

BytesLike = bytes | bytearray | memoryview


class ProtocolError(ValueError):
    """A message that does not follow PROTOCOL.md; the text names what is wrong."""


@dataclass(frozen=True)
class CloudFrame:
    """A decoded ``kind: "cloud"`` message.

    Attributes:
        topic: ``cloud/<name>``.
        seq: per-topic sequence number (gaps = frames dropped for this client).
        stamp_ns: ROS header stamp of the source cloud, ns since the Unix epoch.
        sent_ns: server wall clock at encoding, ns since the Unix epoch.
        frame_id: frame the positions are expressed in (e.g. an optical camera frame).
        xyz: (N, 3) float32, metres in ``frame_id``. ``f32`` messages: a read-only view of the
            payload (no copy); ``q16``: ``float32(origin + q * scale)`` computed in float64.
        attention: (N,) float32. ``q16``: ``float32(lo + u8 / 255 * (hi - lo))``; ``f32``: a
            read-only view of the payload.
        encoding: ``"q16"`` or ``"f32"``.
        colormap: suggested colormap id (may be one this client does not know).
        pose: ``{"frame": str, "t": [x, y, z] (m), "q": [x, y, z, w]}``, the pose of
            ``frame_id`` in the robot's world frame ``frame``, or ``None`` when unknown.
        header: the decoded msgpack header as received (unknown keys included).
        payload_bytes: length of the payload frame in bytes.
    """

    topic: str
    seq: int
    stamp_ns: int
    sent_ns: int
    frame_id: str
    xyz: np.ndarray
    attention: np.ndarray
    encoding: str
    colormap: str
    pose: dict | None
    header: dict
    payload_bytes: int

    @property
    def n(self) -> int:
        """Number of points."""
        return int(self.xyz.shape[0])


@dataclass(frozen=True)
class DecisionFrame:
    """A decoded ``kind: "decision"`` message: the discrete action the policy executed.

    Attributes:
        topic: ``decision`` (or another topic starting with ``decision``).
        seq, stamp_ns, sent_ns, frame_id: as in :class:`CloudFrame`.
        policy: policy / checkpoint name.
        action_names: discrete actions in index order.
        q_values: one value per action, or empty.
        chosen: index into ``action_names`` of the executed action.
    """

    topic: str
    seq: int
    stamp_ns: int
    sent_ns: int
    frame_id: str
    policy: str
    action_names: list[str]
    q_values: list[float]
    chosen: int


# --------------------------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------------------------


def encode_cloud(
    topic: str,
    xyz: np.ndarray,
    attention: np.ndarray,
    *,
    seq: int,
    stamp_ns: int,
    frame_id: str,
    encoding: str = "q16",
    colormap: str = "jet",
    pose: dict | None = None,
    sent_ns: int | None = None,
) -> list[bytes]:
    """Encode a point cloud with per-point attention as ``[topic, header, payload]``.

    Args:
        topic: ``cloud/<name>``, e.g. ``cloud/attention``.
        xyz: (N, 3) positions in metres in ``frame_id``, any real dtype; every value finite
            (filter NaN / inf points before calling).
        attention: (N,) attention per point, finite; normally already in [0, 1].
        seq: per-topic sequence number, >= 0.
        stamp_ns: ROS stamp of the source message, ns since the Unix epoch, >= 0.
        frame_id: frame of ``xyz``.
        encoding: ``"q16"`` (7 bytes/point; position error <= ``scale / 2``, ``scale`` = 1 mm for
            clouds up to 65.534 m across) or ``"f32"`` (16 bytes/point, lossless for float32).
        colormap: one of :data:`COLORMAPS`.
        pose: ``{"frame": str, "t": [x, y, z], "q": [x, y, z, w]}`` or ``None``.
        sent_ns: encoding wall clock in ns; ``time.time_ns()`` when ``None`` (pass a fixed value
            for byte-reproducible output).

    Returns:
        Three ``bytes`` frames. ``attention_range`` is ``[0, 1]`` when every attention value lies in
        [0, 1] (so a colour means the same in every frame) and ``[min, max]`` of the input
        otherwise. q16 quantisation: ``origin`` = bbox midpoint,
        ``scale = max(0.001, extent / 65534)`` with ``extent`` the largest bbox side, so no
        coordinate clips.

    Raises:
        ValueError: bad topic, shapes, non-finite values, unknown encoding / colormap, bad pose.
    """
    if not isinstance(topic, str) or not topic.startswith("cloud/") or topic == "cloud/":
        raise ValueError(f"cloud topic must be 'cloud/<name>', got {topic!r}")
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {ENCODINGS}")
    if colormap not in COLORMAPS:
        raise ValueError(f"unknown colormap {colormap!r}; expected one of {COLORMAPS}")
    xyz = np.asarray(xyz)
    attention = np.asarray(attention)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"xyz must have shape (N, 3), got {xyz.shape}")
    n = int(xyz.shape[0])
    if attention.shape != (n,):
        raise ValueError(f"attention must have shape ({n},) to match xyz, got {attention.shape}")
    if not (_is_real(xyz) and _is_real(attention)):
        raise ValueError(
            f"xyz / attention must be real numbers, got {xyz.dtype} / {attention.dtype}"
        )
    if xyz.dtype != np.float32 and xyz.dtype != np.float64:
        xyz = xyz.astype(np.float64)
    if attention.dtype != np.float32 and attention.dtype != np.float64:
        attention = attention.astype(np.float64)

    if n:
        # min / max propagate NaN and expose inf, so they double as the finiteness check.
        # Per column: a reduction over axis 0 of an (N, 3) array is ~20x slower.
        lo_xyz = np.array([xyz[:, axis].min() for axis in range(3)], dtype=np.float64)
        hi_xyz = np.array([xyz[:, axis].max() for axis in range(3)], dtype=np.float64)
        a_lo, a_hi = float(attention.min()), float(attention.max())
        if not (np.isfinite(lo_xyz).all() and np.isfinite(hi_xyz).all()):
            raise ValueError("xyz contains NaN or inf; drop non-finite points before encoding")
        if not (math.isfinite(a_lo) and math.isfinite(a_hi)):
            raise ValueError("attention contains NaN or inf; drop those points before encoding")
    else:
        lo_xyz = hi_xyz = np.zeros(3)
        a_lo, a_hi = 0.0, 1.0
    attention_range = (0.0, 1.0) if a_lo >= 0.0 and a_hi <= 1.0 else (a_lo, a_hi)

    if encoding == "q16":
        origin = (lo_xyz + hi_xyz) / 2.0
        extent = float((hi_xyz - lo_xyz).max())
        if not math.isfinite(extent):
            raise ValueError("xyz spans more than a float64 can hold")
        scale = max(Q16_MIN_SCALE_M, extent / Q16_SPAN_UNITS)
        payload = _quantise_q16(xyz, attention, origin, scale, attention_range)
    else:
        origin = np.zeros(3)
        scale = 1.0
        payload = (
            np.ascontiguousarray(xyz, dtype="<f4").tobytes()
            + np.ascontiguousarray(attention, dtype="<f4").tobytes()
        )

    header = _common_header("cloud", seq, stamp_ns, sent_ns, frame_id)
    header.update(
        n=n,
        encoding=encoding,
        fields=_fields(encoding, n),
        scale=float(scale),
        origin=[float(v) for v in origin],
        attention_range=[float(attention_range[0]), float(attention_range[1])],
        colormap=colormap,
        pose=_check_pose(pose),
    )
    return [topic.encode("utf-8"), _packb(header), payload]


def _quantise_q16(
    xyz: np.ndarray,
    attention: np.ndarray,
    origin: np.ndarray,
    scale: float,
    attention_range: tuple[float, float],
) -> bytes:
    """q16 payload: int16 (N, 3) ``round((p - origin) / scale)`` then uint8 (N,) attention.

    Rounds to nearest (halves up) in float64, so the position error is at most ``scale / 2``.
    The bbox-midpoint origin keeps ``|q| <= 32767``: the grid value plus ``32768.5`` lies in
    [0.5, 65535.5], its truncation to uint16 is ``q + 32768``, and flipping the top bit turns that
    offset-binary value into the two's-complement int16 ``q`` (cheaper than ``np.rint``).
    """
    n = xyz.shape[0]
    grid = np.empty((n, 3), dtype=np.float64)
    grid[:] = xyz
    for axis in range(3):  # per column: broadcasting a (3,) origin is several times slower
        column = grid[:, axis]
        np.subtract(column, origin[axis], out=column)
    grid *= 1.0 / scale
    grid += 32768.5
    payload = bytearray(7 * n)
    positions = np.ndarray((n, 3), dtype="<u2", buffer=payload)
    np.copyto(positions, grid, casting="unsafe")
    positions ^= 0x8000
    lo, hi = attention_range
    levels = np.subtract(attention, lo, dtype=np.float64)
    if hi > lo:
        levels *= 255.0 / (hi - lo)
        levels += 0.5
        np.clip(levels, 0.0, 255.0, out=levels)
    else:
        levels[:] = 0.0  # constant attention: every point decodes to lo
    np.copyto(np.ndarray((n,), dtype="u1", buffer=payload, offset=6 * n), levels, casting="unsafe")
    return bytes(payload)


def encode_decision(
    *,
    seq: int,
    stamp_ns: int,
    frame_id: str,
    policy: str,
    action_names: Sequence[str],
    q_values: Sequence[float],
    chosen: int,
    topic: str = "decision",
    sent_ns: int | None = None,
) -> list[bytes]:
    """Encode the decision that a cloud explains as ``[topic, header, b""]``.

    Args:
        seq, stamp_ns, frame_id, sent_ns: as in :func:`encode_cloud`.
        policy: policy / checkpoint name.
        action_names: discrete actions in index order.
        q_values: one finite value per action, or empty.
        chosen: index into ``action_names`` of the executed action.
        topic: ``decision`` (or ``decision<suffix>``).

    Raises:
        ValueError: bad topic, ``chosen`` out of range, ``q_values`` of the wrong length.
    """
    _check_topic(topic, "decision")
    names = [str(a) for a in action_names]
    values = [float(q) for q in q_values]
    if values and len(values) != len(names):
        raise ValueError(f"q_values has {len(values)} entries for {len(names)} actions")
    if not all(math.isfinite(q) for q in values):
        raise ValueError("q_values must be finite")
    if not _is_int(chosen) or not 0 <= chosen < len(names):
        raise ValueError(f"chosen={chosen!r} is not an index into {len(names)} action_names")
    header = _common_header("decision", seq, stamp_ns, sent_ns, frame_id)
    header.update(policy=str(policy), action_names=names, q_values=values, chosen=int(chosen))
    return [topic.encode("utf-8"), _packb(header), b""]


def _check_topic(topic: str, prefix: str) -> None:
    if not isinstance(topic, str) or not topic.startswith(prefix):
        raise ValueError(f"topic must start with {prefix!r}, got {topic!r}")


def _common_header(
    kind: str, seq: int, stamp_ns: int, sent_ns: int | None, frame_id: str
) -> dict[str, Any]:
    if sent_ns is None:
        sent_ns = time.time_ns()
    for key, value in (("seq", seq), ("stamp_ns", stamp_ns), ("sent_ns", sent_ns)):
        if not _is_int(value) or value < 0:
            raise ValueError(f"{key} must be a non-negative int, got {value!r}")
    if not isinstance(frame_id, str):
        raise ValueError(f"frame_id must be a str, got {type(frame_id).__name__}")
    return {
        "v": SCHEMA_VERSION,
        "kind": kind,
        "seq": int(seq),
        "stamp_ns": int(stamp_ns),
        "sent_ns": int(sent_ns),
        "frame_id": frame_id,
    }


def _fields(encoding: str, n: int) -> list[dict[str, Any]]:
    fields = []
    offset = 0
    for name, type_, count in _LAYOUT[encoding]:
        fields.append({"name": name, "type": type_, "count": count, "offset": offset})
        offset += n * count * _DTYPES[type_].itemsize
    return fields


def _check_pose(pose: dict | None) -> dict | None:
    """Validate and normalise a pose to ``{"frame": str, "t": [3 floats], "q": [4 floats]}``."""
    if pose is None:
        return None
    if not isinstance(pose, Mapping):
        raise ValueError(f"pose must be a dict or None, got {type(pose).__name__}")
    try:
        frame, t, q = pose["frame"], pose["t"], pose["q"]
    except KeyError as e:
        raise ValueError(f"pose needs keys 'frame', 't', 'q'; missing {e}") from None
    t = [float(v) for v in t]
    q = [float(v) for v in q]
    if not isinstance(frame, str) or len(t) != 3 or len(q) != 4:
        raise ValueError("pose must be {'frame': str, 't': [x, y, z], 'q': [x, y, z, w]}")
    if not all(math.isfinite(v) for v in (*t, *q)):
        raise ValueError("pose t / q must be finite")
    return {"frame": frame, "t": t, "q": q}


def _packb(header: dict[str, Any]) -> bytes:
    # Floats as float64, strings as msgpack str, no bin/ext types: every decoder reads it.
    return msgpack.packb(header, use_bin_type=True, use_single_float=False)


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


def decode(frames: Sequence[BytesLike]) -> CloudFrame | DecisionFrame:
    """Decode and validate one message ``[topic, header, payload]``.

    ``frames`` may be ``bytes``, ``bytearray`` or ``memoryview`` (e.g. zero-copy ZeroMQ frames);
    the arrays of the result may reference the payload buffer.

    Raises:
        ProtocolError: not three frames, topic not UTF-8, header not a msgpack map, unknown
            ``v`` / ``kind`` / ``encoding``, a missing or mistyped key, a field that runs past
            the end of the payload, a payload length that ``n`` and ``encoding`` do not explain,
            negative ``n``.
    """
    if isinstance(frames, (bytes, bytearray, memoryview, str)):
        raise ProtocolError("a message is 3 frames (topic, header, payload), got a single buffer")
    if len(frames) != 3:
        count = f"{len(frames)} frames"
        raise ProtocolError(f"a message has exactly 3 frames (topic, header, payload), got {count}")
    topic_raw, header_raw, payload = frames
    try:
        topic = bytes(topic_raw).decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(f"topic frame is not UTF-8: {e}") from None
    header = _unpack_header(header_raw)

    version = header.get("v")
    if version != SCHEMA_VERSION or not _is_int(version):
        raise ProtocolError(
            f"unknown schema version v={version!r} (this decoder reads v={SCHEMA_VERSION})"
        )
    kind = header.get("kind")
    seq = _get(header, "seq", int)
    stamp_ns = _get(header, "stamp_ns", int)
    sent_ns = _get(header, "sent_ns", int)
    frame_id = _get(header, "frame_id", str)
    if kind == "cloud":
        return _decode_cloud(topic, header, payload, seq, stamp_ns, sent_ns, frame_id)
    if kind == "decision":
        return _decode_decision(topic, header, payload, seq, stamp_ns, sent_ns, frame_id)
    raise ProtocolError(f"unknown kind {kind!r}; expected 'cloud' or 'decision'")


def _unpack_header(header_raw: BytesLike) -> dict:
    try:
        header = msgpack.unpackb(header_raw, raw=False, strict_map_key=False, use_list=True)
    except Exception as e:  # msgpack raises several types (ExtraData, ValueError, ...)
        raise ProtocolError(f"header is not a valid msgpack map: {type(e).__name__}: {e}") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"header must be a msgpack map, got a {type(header).__name__}")
    if not all(isinstance(k, str) for k in header):
        raise ProtocolError("header map keys must all be strings")
    return header


def _decode_cloud(
    topic: str,
    header: dict,
    payload: BytesLike,
    seq: int,
    stamp_ns: int,
    sent_ns: int,
    frame_id: str,
) -> CloudFrame:
    n = _get(header, "n", int)
    if n < 0:
        raise ProtocolError(f"n must be >= 0, got {n}")
    encoding = header.get("encoding")
    if encoding not in ENCODINGS:
        raise ProtocolError(f"unknown encoding {encoding!r}; expected one of {ENCODINGS}")
    scale = _get(header, "scale", float)
    if not (math.isfinite(scale) and scale > 0.0):
        raise ProtocolError(f"scale must be a finite number > 0, got {scale!r}")
    origin = _get_floats(header, "origin", 3)
    lo, hi = _get_floats(header, "attention_range", 2)
    colormap = _get(header, "colormap", str)
    pose = _decode_pose(header.get("pose"))

    payload_len = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
    offsets = _field_offsets(header.get("fields"), encoding, n, payload_len)
    expected = _BYTES_PER_POINT[encoding] * n
    if payload_len != expected:
        raise ProtocolError(
            f"payload is {payload_len} bytes but n={n} {encoding} points need exactly {expected}"
        )

    (_, pos_type, _), (_, att_type, _) = _LAYOUT[encoding]
    positions = np.frombuffer(payload, dtype=_DTYPES[pos_type], count=3 * n, offset=offsets[0])
    positions = positions.reshape(n, 3)
    raw_attention = np.frombuffer(payload, dtype=_DTYPES[att_type], count=n, offset=offsets[1])
    if encoding == "q16":
        # Reference dequantisation (PROTOCOL.md): in float64, then rounded to float32.
        grid = positions.astype(np.float64)
        grid *= scale
        for axis in range(3):
            column = grid[:, axis]
            np.add(column, origin[axis], out=column)
        xyz = grid.astype(np.float32)
        attention = (lo + raw_attention / 255.0 * (hi - lo)).astype(np.float32)
    else:
        if scale == 1.0 and not any(origin):
            xyz = positions  # zero-copy view of the payload
        else:
            xyz = (positions.astype(np.float64) * scale + np.asarray(origin)).astype(np.float32)
        attention = raw_attention
    return CloudFrame(
        topic=topic,
        seq=seq,
        stamp_ns=stamp_ns,
        sent_ns=sent_ns,
        frame_id=frame_id,
        xyz=xyz,
        attention=attention,
        encoding=encoding,
        colormap=colormap,
        pose=pose,
        header=header,
        payload_bytes=payload_len,
    )


def _field_offsets(fields: Any, encoding: str, n: int, payload_len: int) -> tuple[int, int]:
    """Byte offsets of the position and attention fields, checked against the payload."""
    if not isinstance(fields, list):
        raise ProtocolError(f"header key 'fields' must be a list of maps, got {fields!r}")
    by_name: dict[str, dict] = {}
    for field in fields:
        if not isinstance(field, dict):
            raise ProtocolError(f"each entry of 'fields' must be a map, got {field!r}")
        name = field.get("name")
        type_ = field.get("type")
        count, offset = field.get("count"), field.get("offset")
        if not isinstance(name, str) or type_ not in _DTYPES:
            raise ProtocolError(f"field {field!r} needs a str name and a type in {tuple(_DTYPES)}")
        if not (_is_int(count) and _is_int(offset)) or count < 0 or offset < 0:
            raise ProtocolError(f"field {name!r} needs int count >= 0 and int offset >= 0")
        end = offset + n * count * _DTYPES[type_].itemsize
        if end > payload_len:
            raise ProtocolError(
                f"field {name!r} runs past the end of the payload "
                f"(bytes {offset}..{end} of a {payload_len}-byte payload)"
            )
        by_name[name] = field
    offsets = []
    for name, type_, count in _LAYOUT[encoding]:
        field = by_name.get(name)
        if field is None:
            raise ProtocolError(f"{encoding} cloud has no {name!r} field")
        if field["type"] != type_ or field["count"] != count:
            raise ProtocolError(
                f"{encoding} field {name!r} must be {type_} x {count}, "
                f"got {field['type']} x {field['count']}"
            )
        offsets.append(int(field["offset"]))
    return offsets[0], offsets[1]


def _decode_pose(pose: Any) -> dict | None:
    if pose is None:
        return None
    if not isinstance(pose, dict):
        raise ProtocolError(f"pose must be a map or nil, got {type(pose).__name__}")
    frame = pose.get("frame")
    t, q = pose.get("t"), pose.get("q")
    if not isinstance(frame, str) or not _is_floats(t, 3) or not _is_floats(q, 4):
        raise ProtocolError("pose must be {'frame': str, 't': [x, y, z], 'q': [x, y, z, w]}")
    return {"frame": frame, "t": [float(v) for v in t], "q": [float(v) for v in q]}


def _decode_decision(
    topic: str,
    header: dict,
    payload: BytesLike,
    seq: int,
    stamp_ns: int,
    sent_ns: int,
    frame_id: str,
) -> DecisionFrame:
    policy = _get(header, "policy", str)
    names = _get(header, "action_names", list)
    if not all(isinstance(a, str) for a in names):
        raise ProtocolError("header key 'action_names' must be a list of str")
    q_values = _get(header, "q_values", list)
    if not _is_floats(q_values, len(q_values)):
        raise ProtocolError("header key 'q_values' must be a list of numbers")
    if q_values and len(q_values) != len(names):
        raise ProtocolError(f"q_values has {len(q_values)} entries for {len(names)} actions")
    chosen = _get(header, "chosen", int)
    if not 0 <= chosen < len(names):
        raise ProtocolError(f"chosen={chosen} is not an index into {len(names)} action_names")
    payload_len = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
    if payload_len:
        raise ProtocolError(f"decision payload must be empty, got {payload_len} bytes")
    return DecisionFrame(
        topic=topic,
        seq=seq,
        stamp_ns=stamp_ns,
        sent_ns=sent_ns,
        frame_id=frame_id,
        policy=policy,
        action_names=list(names),
        q_values=[float(q) for q in q_values],
        chosen=chosen,
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_floats(value: Any, length: int) -> bool:
    return isinstance(value, list) and len(value) == length and all(map(_is_number, value))


def _is_real(array: np.ndarray) -> bool:
    return array.dtype.kind in "iuf"


def _get(header: dict, key: str, type_: type) -> Any:
    """``header[key]`` checked against ``type_``; ``float`` accepts msgpack ints too."""
    if key not in header:
        raise ProtocolError(f"header has no {key!r} key")
    value = header[key]
    if type_ is float:
        ok = _is_number(value)
        value = float(value) if ok else value
    elif type_ is int:
        ok = _is_int(value)
    else:
        ok = isinstance(value, type_)
    if not ok:
        raise ProtocolError(f"header key {key!r} must be {type_.__name__}, got {value!r}")
    return value


def _get_floats(header: dict, key: str, length: int) -> list[float]:
    value = header.get(key)
    if not _is_floats(value, length):
        raise ProtocolError(f"header key {key!r} must be a list of {length} numbers, got {value!r}")
    return [float(v) for v in value]


# --------------------------------------------------------------------------------------------
# WebSocket / golden-file framing
# --------------------------------------------------------------------------------------------


def pack_ws(frames: Sequence[BytesLike]) -> bytes:
    """One binary WebSocket message (or golden file) from ``[topic, header, payload]``.

    Layout: ``uint32 LE topic_len | topic | uint32 LE header_len | header | payload``.
    """
    if len(frames) != 3:
        raise ProtocolError(f"pack_ws needs exactly 3 frames, got {len(frames)}")
    topic, header, payload = frames
    return b"".join((_WS_LEN.pack(len(topic)), topic, _WS_LEN.pack(len(header)), header, payload))


def unpack_ws(data: BytesLike) -> list[bytes]:
    """Inverse of :func:`pack_ws`: ``[topic, header, payload]`` (the payload may be empty).

    Raises:
        ProtocolError: the buffer ends before a length prefix or the bytes it announces.
    """
    view = memoryview(data).cast("B")
    total = view.nbytes
    frames = []
    offset = 0
    for name in ("topic", "header"):
        if offset + 4 > total:
            raise ProtocolError(
                f"WebSocket message ends before the {name} length ({total} bytes in all)"
            )
        (length,) = _WS_LEN.unpack_from(view, offset)
        offset += 4
        if offset + length > total:
            raise ProtocolError(
                f"WebSocket {name} length {length} runs past the end of the message "
                f"({total - offset} bytes left)"
            )
        frames.append(bytes(view[offset : offset + length]))
        offset += length
    frames.append(bytes(view[offset:]))
    return frames
