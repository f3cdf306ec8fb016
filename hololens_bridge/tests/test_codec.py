"""xai_bridge.codec: round trips, quantisation error bounds, and every decode validation error."""

from __future__ import annotations

import struct
import time

import msgpack
import numpy as np
import pytest

from xai_bridge.codec import (
    COLORMAPS,
    SCHEMA_VERSION,
    CloudFrame,
    DecisionFrame,
    ProtocolError,
    decode,
    encode_cloud,
    encode_decision,
    pack_ws,
    unpack_ws,
)

STAMP = 1_700_000_000_000_000_000
POSE = {"frame": "map", "t": [1.0, 2.0, 0.5], "q": [0.0, 0.0, 0.0, 1.0]}


def _cloud(n: int, extent_m: float = 6.0, center=(0.0, 0.0, 0.0), seed: int = 0):
    rng = np.random.default_rng(seed)
    xyz = (rng.random((n, 3)) - 0.5) * extent_m + np.asarray(center)
    return xyz.astype(np.float32), rng.random(n).astype(np.float32)


def _encode(xyz, attention, **kwargs) -> list[bytes]:
    args = {"seq": 5, "stamp_ns": STAMP, "frame_id": "cam", "sent_ns": STAMP + 10}
    args.update(kwargs)
    return encode_cloud("cloud/attention", xyz, attention, **args)


def _position_error_bound(xyz: np.ndarray, scale: float) -> float:
    """scale / 2 plus the float32 rounding of the decoded coordinates (half an ulp)."""
    largest = float(np.abs(xyz).max()) if xyz.size else 0.0
    return scale / 2 + float(np.spacing(np.float32(largest))) / 2 + 1e-12


# ---- round trips ---------------------------------------------------------------------------


def test_q16_round_trip_keeps_metadata_and_is_within_half_a_grid_step() -> None:
    xyz, attention = _cloud(5000)
    frames = _encode(xyz, attention, colormap="viridis", pose=POSE)
    assert [type(f) for f in frames] == [bytes, bytes, bytes]
    assert frames[0] == b"cloud/attention"
    assert len(frames[2]) == 7 * 5000

    cloud = decode(frames)
    assert isinstance(cloud, CloudFrame)
    assert (cloud.topic, cloud.seq, cloud.stamp_ns, cloud.sent_ns) == (
        "cloud/attention", 5, STAMP, STAMP + 10,
    )  # fmt: skip
    assert (cloud.frame_id, cloud.encoding, cloud.colormap) == ("cam", "q16", "viridis")
    assert cloud.pose == POSE
    assert cloud.payload_bytes == 35000 and cloud.n == 5000
    assert cloud.xyz.shape == (5000, 3) and cloud.xyz.dtype == np.float32
    assert cloud.attention.shape == (5000,) and cloud.attention.dtype == np.float32
    assert cloud.header["v"] == SCHEMA_VERSION and cloud.header["kind"] == "cloud"

    scale = cloud.header["scale"]
    assert scale == 0.001
    error = np.abs(cloud.xyz.astype(np.float64) - xyz).max()
    assert error <= _position_error_bound(xyz, scale)
    # attention in [0, 1] is quantised over the fixed range [0, 1]: error <= 1 / 510
    assert cloud.header["attention_range"] == [0.0, 1.0]
    assert np.abs(cloud.attention - attention).max() <= 0.5 / 255 + 1e-6


@pytest.mark.parametrize(
    ("extent_m", "center"),
    [
        (1.0, (0.0, 0.0, 0.0)),
        (65.0, (10.0, -3.0, 1.0)),
        (65.534, (0.0, 0.0, 0.0)),  # the widest cloud on the 1 mm grid
        (65.6, (0.0, 0.0, 0.0)),  # just wider: scale grows so nothing clips
        (300.0, (-40.0, 20.0, 0.0)),
        (4.0, (1000.0, -2000.0, 5.0)),  # far from the sensor origin
    ],
)
def test_q16_error_bound_holds_for_any_extent(extent_m: float, center) -> None:
    xyz, attention = _cloud(4000, extent_m, center, seed=1)
    # put points exactly on the bbox corners: the extremes must not clip
    xyz[0] = np.asarray(center) - extent_m / 2
    xyz[1] = np.asarray(center) + extent_m / 2
    cloud = decode(_encode(xyz, attention))
    extent = float((xyz.max(axis=0).astype(np.float64) - xyz.min(axis=0)).max())
    scale = cloud.header["scale"]
    assert scale == pytest.approx(max(0.001, extent / 65534), rel=1e-12)
    error = np.abs(cloud.xyz.astype(np.float64) - xyz).max(axis=0)
    assert error.max() <= _position_error_bound(xyz, scale)
    n = len(xyz)
    q = np.frombuffer(_encode(xyz, attention)[2], "<i2", 3 * n).reshape(n, 3)
    assert q.min() >= -32767 and q.max() <= 32767
    if extent_m > 65.6 - 1e-9:
        assert q[:, 0].min() == -32767 and q[:, 0].max() == 32767  # the full range is used


def test_large_extent_scales_the_grid_and_keeps_the_bound() -> None:
    xyz = np.array([[-50.0, 0.0, 0.0], [50.0, 1.0, 2.0], [12.345, -0.5, 0.25]], np.float32)
    cloud = decode(_encode(xyz, np.array([0.0, 0.5, 1.0])))
    assert cloud.header["scale"] == pytest.approx(100.0 / 65534)
    assert cloud.header["origin"] == pytest.approx([0.0, 0.25, 1.0])  # bbox midpoint
    assert np.abs(cloud.xyz - xyz).max() <= 100.0 / 65534 / 2 + 1e-5
    np.testing.assert_array_equal(cloud.xyz[:2, 0], [-50.0, 50.0])


def test_f32_round_trip_is_lossless_and_zero_copy() -> None:
    xyz, attention = _cloud(1000, 80.0)
    attention[3] = 7.5  # f32 stores values as they are, even outside [0, 1]
    frames = _encode(xyz, attention, encoding="f32")
    assert len(frames[2]) == 16 * 1000
    cloud = decode(frames)
    assert cloud.encoding == "f32"
    assert cloud.header["scale"] == 1.0 and cloud.header["origin"] == [0.0, 0.0, 0.0]
    np.testing.assert_array_equal(cloud.xyz, xyz)
    np.testing.assert_array_equal(cloud.attention, attention)
    payload = np.frombuffer(frames[2], np.uint8)
    assert np.shares_memory(cloud.xyz, payload) and np.shares_memory(cloud.attention, payload)
    assert not cloud.xyz.flags.writeable


def test_f32_decoder_applies_a_non_identity_scale_and_origin() -> None:
    xyz = np.array([[1.0, 2.0, 3.0]], np.float32)
    topic, header, payload = _encode(xyz, np.array([0.5]), encoding="f32")
    changed = msgpack.unpackb(header)
    changed.update(scale=2, origin=[10, 0, -1])  # ints where floats are expected are fine
    cloud = decode([topic, msgpack.packb(changed), payload])
    np.testing.assert_array_equal(cloud.xyz, [[12.0, 4.0, 5.0]])


@pytest.mark.parametrize("encoding", ["q16", "f32"])
def test_empty_cloud_round_trips(encoding: str) -> None:
    frames = _encode(np.zeros((0, 3)), np.zeros(0), encoding=encoding)
    assert frames[2] == b""
    cloud = decode(frames)
    assert cloud.n == 0 and cloud.xyz.shape == (0, 3) and cloud.attention.shape == (0,)
    assert cloud.header["attention_range"] == [0.0, 1.0]
    assert [f["offset"] for f in cloud.header["fields"]] == [0, 0]


@pytest.mark.parametrize("encoding", ["q16", "f32"])
def test_single_point_round_trips_exactly(encoding: str) -> None:
    xyz = np.array([[1.234, -5.678, 0.9]], np.float32)
    cloud = decode(_encode(xyz, np.array([0.3], np.float32), encoding=encoding))
    # q16: zero extent -> origin is the point itself and q = 0
    np.testing.assert_array_equal(cloud.xyz, xyz)
    assert cloud.attention[0] == pytest.approx(0.3, abs=0.5 / 255)


def test_q16_fields_match_the_protocol_layout() -> None:
    header = msgpack.unpackb(_encode(*_cloud(10))[1])
    assert header["fields"] == [
        {"name": "position", "type": "int16", "count": 3, "offset": 0},
        {"name": "attention", "type": "uint8", "count": 1, "offset": 60},
    ]
    f32 = msgpack.unpackb(_encode(*_cloud(10), encoding="f32")[1])
    assert [f["offset"] for f in f32["fields"]] == [0, 120]
    assert [f["type"] for f in f32["fields"]] == ["float32", "float32"]
    assert list(header)[:6] == ["v", "kind", "seq", "stamp_ns", "sent_ns", "frame_id"]


def test_q16_payload_holds_rounded_grid_values() -> None:
    xyz = np.array([[0.0, 0.0, 0.0], [0.0104, 0.0, -0.0026], [1.0, 1.0, 1.0]], np.float32)
    _, header, payload = _encode(xyz, np.array([0.0, 0.2, 1.0]))
    origin = msgpack.unpackb(header)["origin"]
    assert origin == pytest.approx([0.5, 0.5, 0.4987], abs=1e-6)
    q = np.frombuffer(payload, "<i2", 9).reshape(3, 3)
    expected = np.floor((xyz.astype(np.float64) - origin) / 0.001 + 0.5)
    np.testing.assert_array_equal(q, expected)
    np.testing.assert_array_equal(np.frombuffer(payload, "u1", 3, 18), [0, 51, 255])


def test_attention_outside_unit_range_uses_its_min_max() -> None:
    xyz, _ = _cloud(100)
    attention = np.linspace(-2.0, 3.0, 100)
    cloud = decode(_encode(xyz, attention))
    assert cloud.header["attention_range"] == [-2.0, 3.0]
    assert cloud.attention.min() == -2.0 and cloud.attention.max() == 3.0
    assert np.abs(cloud.attention - attention).max() <= 5.0 / 510 + 1e-6


def test_constant_attention_outside_unit_range_decodes_to_that_constant() -> None:
    cloud = decode(_encode(*_cloud(10)[:1], np.full(10, 4.0)))
    assert cloud.header["attention_range"] == [4.0, 4.0]
    np.testing.assert_array_equal(cloud.attention, np.full(10, 4.0, np.float32))


def test_default_sent_ns_is_the_encoding_wall_clock() -> None:
    before = time.time_ns()
    frames = encode_cloud("cloud/x", *_cloud(3), seq=0, stamp_ns=1, frame_id="f")
    after = time.time_ns()
    assert before <= decode(frames).sent_ns <= after


def test_q16_encode_and_decode_of_250k_points_take_milliseconds() -> None:
    xyz, attention = _cloud(250_000)
    encode_s, decode_s = [], []
    for seq in range(5):
        t0 = time.perf_counter()
        frames = _encode(xyz, attention, seq=seq)
        t1 = time.perf_counter()
        decode(frames)
        encode_s.append(t1 - t0)
        decode_s.append(time.perf_counter() - t1)
    # ~2 ms each on one core; generous bounds for a loaded CI machine.
    assert min(encode_s) < 0.03, encode_s
    assert min(decode_s) < 0.03, decode_s


# ---- encoder input validation ----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["q16", "f32"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_positions_are_rejected(encoding: str, bad: float) -> None:
    xyz, attention = _cloud(10)
    xyz[4, 1] = bad
    with pytest.raises(ValueError, match="xyz contains NaN or inf"):
        _encode(xyz, attention, encoding=encoding)


def test_non_finite_attention_is_rejected() -> None:
    xyz, attention = _cloud(10)
    attention[2] = np.nan
    with pytest.raises(ValueError, match="attention contains NaN or inf"):
        _encode(xyz, attention)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"xyz": np.zeros((4, 2))}, r"shape \(N, 3\)"),
        ({"attention": np.zeros(5)}, r"shape \(4,\)"),
        ({"encoding": "q8"}, "unknown encoding"),
        ({"colormap": "rainbow"}, "unknown colormap"),
        ({"topic": "attention"}, "cloud/<name>"),
        ({"topic": "cloud/"}, "cloud/<name>"),
        ({"seq": -1}, "seq must be a non-negative int"),
        ({"stamp_ns": 1.5}, "stamp_ns must be a non-negative int"),
        ({"pose": {"frame": "map", "t": [0, 0]}}, "pose needs keys"),
        ({"pose": {"frame": "map", "t": [0, 0], "q": [0, 0, 0, 1]}}, "pose must be"),
        ({"xyz": np.zeros((4, 3), complex)}, "real numbers"),
    ],
)
def test_encode_cloud_rejects_bad_arguments(change: dict, message: str) -> None:
    args = {
        "topic": "cloud/a", "xyz": np.zeros((4, 3)), "attention": np.zeros(4), "seq": 0,
        "stamp_ns": 0, "frame_id": "f",
    }  # fmt: skip
    args.update(change)
    with pytest.raises(ValueError, match=message):
        encode_cloud(**args)


def test_colormaps_are_the_protocol_ids() -> None:
    assert COLORMAPS == ("jet", "turbo", "viridis", "gray")
    for colormap in COLORMAPS:
        assert decode(_encode(*_cloud(2), colormap=colormap)).colormap == colormap


# ---- decisions ---------------------------------------------------------------------------


def _decision(**kwargs) -> list[bytes]:
    args = {
        "seq": 3, "stamp_ns": STAMP, "frame_id": "base_link", "policy": "aqt",
        "action_names": ["forward", "left", "right"], "q_values": [0.5, -1.0, 2.0], "chosen": 2,
        "sent_ns": STAMP + 1,
    }  # fmt: skip
    args.update(kwargs)
    return encode_decision(**args)


def test_decision_round_trip() -> None:
    frames = _decision()
    assert frames[0] == b"decision" and frames[2] == b""
    decision = decode(frames)
    assert decision == DecisionFrame(
        topic="decision", seq=3, stamp_ns=STAMP, sent_ns=STAMP + 1, frame_id="base_link",
        policy="aqt", action_names=["forward", "left", "right"], q_values=[0.5, -1.0, 2.0],
        chosen=2,
    )  # fmt: skip


def test_decision_without_q_values_round_trips() -> None:
    assert decode(_decision(q_values=[])).q_values == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chosen": 3}, "not an index"),
        ({"chosen": -1}, "not an index"),
        ({"q_values": [1.0, 2.0]}, "2 entries for 3 actions"),
        ({"q_values": [1.0, float("nan"), 2.0]}, "finite"),
        ({"topic": "cloud/decision"}, "start with 'decision'"),
    ],
)
def test_encode_decision_rejects_bad_arguments(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _decision(**change)


# ---- decode validation -------------------------------------------------------------------


def _cloud_frames(n: int = 4) -> list[bytes]:
    return _encode(*_cloud(n))


def _with_header(frames: list[bytes], drop: tuple[str, ...] = (), **changes) -> list[bytes]:
    header = msgpack.unpackb(frames[1])
    header.update(changes)
    for key in drop:
        del header[key]
    return [frames[0], msgpack.packb(header), frames[2]]


def _fields_with(index: int, **changes) -> list[dict]:
    fields = msgpack.unpackb(_cloud_frames()[1])["fields"]
    fields[index].update(changes)
    return fields


BAD_MESSAGES = {
    "two frames": (lambda: _cloud_frames()[:2], "exactly 3 frames"),
    "four frames": (lambda: [*_cloud_frames(), b""], "exactly 3 frames"),
    "one buffer": (lambda: pack_ws(_cloud_frames()), "a single buffer"),
    "topic not utf-8": (lambda: [b"\xff\xfe", *_cloud_frames()[1:]], "not UTF-8"),
    "header not msgpack": (lambda: [b"cloud/a", b"\xc1", b""], "not a valid msgpack map"),
    "header with trailing bytes": (
        lambda: [b"cloud/a", msgpack.packb({"v": 1}) + b"\x01", b""],
        "not a valid msgpack map",
    ),
    "header is a list": (lambda: [b"cloud/a", msgpack.packb([1, 2]), b""], "must be a msgpack map"),
    "header is a string": (lambda: [b"cloud/a", msgpack.packb("v1"), b""], "must be a msgpack map"),
    "non-string key": (lambda: [b"c", msgpack.packb({1: 1}), b""], "keys must all be strings"),
    "version 2": (lambda: _with_header(_cloud_frames(), v=2), "unknown schema version v=2"),
    "version missing": (lambda: _with_header(_cloud_frames(), ("v",)), "unknown schema version"),
    "version as str": (lambda: _with_header(_cloud_frames(), v="1"), "unknown schema version"),
    "version as bool": (lambda: _with_header(_cloud_frames(), v=True), "unknown schema version"),
    "unknown kind": (lambda: _with_header(_cloud_frames(), kind="mesh"), "unknown kind 'mesh'"),
    "missing kind": (lambda: _with_header(_cloud_frames(), ("kind",)), "unknown kind None"),
    "missing seq": (lambda: _with_header(_cloud_frames(), ("seq",)), "no 'seq' key"),
    "stamp as str": (lambda: _with_header(_cloud_frames(), stamp_ns="1"), "'stamp_ns' must be int"),
    "frame_id not str": (lambda: _with_header(_cloud_frames(), frame_id=3), "'frame_id' must be"),
    "unknown encoding": (
        lambda: _with_header(_cloud_frames(), encoding="q8"),
        "unknown encoding 'q8'",
    ),
    "negative n": (lambda: _with_header(_cloud_frames(), n=-1), "n must be >= 0"),
    "n as float": (lambda: _with_header(_cloud_frames(), n=4.0), "'n' must be int"),
    "n too large": (lambda: _with_header(_cloud_frames(), n=5), "runs past the end"),
    "n too small": (lambda: _with_header(_cloud_frames(), n=3), "need exactly 21"),
    "truncated payload": (
        lambda: [*_cloud_frames()[:2], _cloud_frames()[2][:-1]],
        "runs past the end of the payload",
    ),
    "payload too long": (lambda: [*_cloud_frames()[:2], _cloud_frames()[2] + b"\0"], "exactly 28"),
    "field past the end": (
        lambda: _with_header(_cloud_frames(), fields=_fields_with(1, offset=25)),
        "field 'attention' runs past the end of the payload",
    ),
    "field with negative offset": (
        lambda: _with_header(_cloud_frames(), fields=_fields_with(0, offset=-2)),
        "offset >= 0",
    ),
    "field of unknown type": (
        lambda: _with_header(_cloud_frames(), fields=_fields_with(0, type="int64")),
        "a type in",
    ),
    "q16 position as uint8": (
        lambda: _with_header(_cloud_frames(), fields=_fields_with(0, type="uint8", count=3)),
        "must be int16 x 3",
    ),
    "attention field missing": (
        lambda: _with_header(_cloud_frames(), fields=_fields_with(1, name="weight")),
        "no 'attention' field",
    ),
    "fields not a list": (lambda: _with_header(_cloud_frames(), fields={}), "'fields' must be"),
    "zero scale": (lambda: _with_header(_cloud_frames(), scale=0.0), "scale must be"),
    "nan scale": (lambda: _with_header(_cloud_frames(), scale=float("nan")), "scale must be"),
    "short origin": (lambda: _with_header(_cloud_frames(), origin=[0, 0]), "'origin' must be"),
    "bad attention_range": (
        lambda: _with_header(_cloud_frames(), attention_range=[0, "1"]),
        "'attention_range'",
    ),
    "pose not a map": (lambda: _with_header(_cloud_frames(), pose=[1, 2]), "pose must be a map"),
    "pose without q": (
        lambda: _with_header(_cloud_frames(), pose={"frame": "m", "t": [0, 0, 0]}),
        "pose must be",
    ),
    "decision with payload": (lambda: [*_decision()[:2], b"\0"], "payload must be empty"),
    "decision chosen out of range": (lambda: _with_header(_decision(), chosen=3), "not an index"),
    "decision q_values length": (
        lambda: _with_header(_decision(), q_values=[1.0]),
        "1 entries for 3 actions",
    ),
    "decision names not str": (
        lambda: _with_header(_decision(), action_names=["a", 2, "c"]),
        "list of str",
    ),
    "decision without policy": (lambda: _with_header(_decision(), ("policy",)), "no 'policy'"),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
def test_decode_rejects_with_a_message_naming_the_problem(case: str) -> None:
    make, message = BAD_MESSAGES[case]
    frames = make()
    with pytest.raises(ProtocolError, match=message):
        decode(frames)


def test_protocol_error_is_a_value_error() -> None:
    assert issubclass(ProtocolError, ValueError)


def test_decode_ignores_unknown_header_keys() -> None:
    frames = _with_header(_cloud_frames(), future_key={"nested": [1, 2]})
    cloud = decode(frames)
    assert cloud.n == 4 and cloud.header["future_key"] == {"nested": [1, 2]}


def test_decode_accepts_an_unknown_colormap_id() -> None:
    assert decode(_with_header(_cloud_frames(), colormap="inferno")).colormap == "inferno"


def test_decode_reads_zero_copy_memoryview_frames() -> None:
    frames = _encode(*_cloud(50), encoding="f32")
    views = [memoryview(f) for f in frames]
    np.testing.assert_array_equal(decode(views).xyz, decode(frames).xyz)


def test_decode_uses_field_offsets_from_the_header() -> None:
    """A producer may order the fields differently: decoders follow `fields`, not a fixed layout."""
    xyz, attention = _cloud(6)
    topic, header, payload = _encode(xyz, attention)
    swapped = payload[36:] + payload[:36]  # attention first, then positions
    fields = msgpack.unpackb(header)["fields"]
    fields[0]["offset"], fields[1]["offset"] = 6, 0
    cloud = decode([topic, msgpack.packb({**msgpack.unpackb(header), "fields": fields}), swapped])
    np.testing.assert_array_equal(cloud.xyz, decode([topic, header, payload]).xyz)
    np.testing.assert_array_equal(cloud.attention, decode([topic, header, payload]).attention)


# ---- WebSocket framing -------------------------------------------------------------------


def test_pack_ws_layout_is_length_prefixed_little_endian() -> None:
    data = pack_ws([b"cloud/a", b"\x81\xa1v\x01", b"\x01\x02\x03"])
    assert data == struct.pack("<I", 7) + b"cloud/a" + struct.pack("<I", 4) + b"\x81\xa1v\x01" + (
        b"\x01\x02\x03"
    )
    assert unpack_ws(data) == [b"cloud/a", b"\x81\xa1v\x01", b"\x01\x02\x03"]


@pytest.mark.parametrize("frames", [_cloud_frames(100), _decision()], ids=["cloud", "decision"])
def test_ws_round_trip(frames: list[bytes]) -> None:
    data = pack_ws(frames)
    assert unpack_ws(data) == frames
    assert unpack_ws(memoryview(data)) == frames
    assert unpack_ws(bytearray(data)) == frames


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "ends before the topic length"),
        (b"\x01\x00", "ends before the topic length"),
        (struct.pack("<I", 9) + b"cloud/a", "topic length 9 runs past"),
        (struct.pack("<I", 1) + b"d", "ends before the header length"),
        (struct.pack("<I", 1) + b"d" + struct.pack("<I", 3) + b"\x80", "header length 3 runs past"),
    ],
)
def test_unpack_ws_rejects_truncated_messages(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        unpack_ws(data)


def test_pack_ws_needs_three_frames() -> None:
    with pytest.raises(ProtocolError, match="exactly 3 frames"):
        pack_ws([b"a", b"b"])
