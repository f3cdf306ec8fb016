"""Golden frames: the committed files are reproduced byte for byte and decode to their json."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import msgpack
import numpy as np
import pytest

from xai_bridge.codec import CloudFrame, DecisionFrame, ProtocolError, decode, pack_ws, unpack_ws
from xai_bridge.golden import GOLDEN_DIR, GOOD, main, write_golden

GOOD_NAMES = sorted(GOOD)
BAD_FILES = sorted(p.name for p in GOLDEN_DIR.glob("bad_*.bin"))


def _load(name: str) -> tuple[bytes, dict]:
    data = (GOLDEN_DIR / f"{name}.bin").read_bytes()
    info = json.loads((GOLDEN_DIR / f"{name}.json").read_text())
    return data, info


def test_golden_dir_is_the_tests_golden_folder() -> None:
    assert Path(__file__).resolve().parent / "golden" == GOLDEN_DIR


def test_required_golden_files_are_committed() -> None:
    names = {p.name for p in GOLDEN_DIR.iterdir()}
    for required in ("cloud_q16", "cloud_f32", "decision", "cloud_empty"):
        assert {f"{required}.bin", f"{required}.json"} <= names
    for bad in ("bad_truncated_payload", "bad_version", "bad_header_not_map"):
        assert {f"{bad}.bin", f"{bad}.json"} <= names


def test_regenerating_reproduces_every_file_byte_for_byte(tmp_path: Path) -> None:
    written = write_golden(tmp_path)
    assert {p.name for p in written} == {p.name for p in GOLDEN_DIR.iterdir()}
    for path in written:
        committed = (GOLDEN_DIR / path.name).read_bytes()
        assert path.read_bytes() == committed, f"{path.name} differs from the committed file"


def test_module_entry_point_writes_into_a_directory(tmp_path: Path, capsys) -> None:
    assert main([str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "cloud_q16.bin").read_bytes() == (
        GOLDEN_DIR / "cloud_q16.bin"
    ).read_bytes()
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_golden_file_decodes_to_its_json(name: str) -> None:
    data, info = _load(name)
    assert info["file"] == f"{name}.bin"
    assert hashlib.sha256(data).hexdigest() == info["bin_sha256"]
    frames = unpack_ws(data)
    assert pack_ws(frames) == data
    message = decode(frames)
    assert message.topic == info["topic"]
    assert msgpack.unpackb(frames[1]) == info["header"]
    assert len(frames[2]) == info["payload_bytes"]
    assert hashlib.sha256(frames[2]).hexdigest() == info["payload_sha256"]
    header = info["header"]
    assert (message.seq, message.stamp_ns, message.sent_ns, message.frame_id) == (
        header["seq"], header["stamp_ns"], header["sent_ns"], header["frame_id"],
    )  # fmt: skip
    # stamps are exact doubles, so JavaScript's JSON.parse reads the same numbers
    assert int(float(header["stamp_ns"])) == header["stamp_ns"]
    assert int(float(header["sent_ns"])) == header["sent_ns"]

    if info["kind"] == "cloud":
        assert isinstance(message, CloudFrame)
        assert message.n == info["n"] == header["n"]
        count = min(5, message.n)
        # exact: the reference dequantisation (float64, then float32) is deterministic
        np.testing.assert_array_equal(
            message.xyz[:count], np.asarray(info["xyz_first5"], np.float32).reshape(count, 3)
        )
        np.testing.assert_array_equal(
            message.attention[:count], np.asarray(info["attention_first5"], np.float32)
        )
        assert message.encoding == header["encoding"]
        assert message.colormap == header["colormap"] and message.pose == header["pose"]
        if header["encoding"] == "q16":
            n = message.n
            q = np.frombuffer(frames[2], "<i2", 3 * n).reshape(n, 3)
            u8 = np.frombuffer(frames[2], "u1", n, 6 * n)
            assert q[:count].tolist() == info["q16_position_first5"]
            assert u8[:count].tolist() == info["q16_attention_first5"]
            # the json's floats follow from its ints by the PROTOCOL.md formula
            scale, origin = header["scale"], np.asarray(header["origin"])
            expected = np.asarray(info["q16_position_first5"]).reshape(count, 3) * scale + origin
            np.testing.assert_array_equal(expected.astype(np.float32), message.xyz[:count])
    else:
        assert isinstance(message, DecisionFrame)
        assert message.policy == info["policy"]
        assert message.action_names == info["action_names"]
        assert message.q_values == info["q_values"]
        assert message.chosen == info["chosen"]


def test_golden_set_covers_the_protocol_variants() -> None:
    clouds = {name: _load(name)[1] for name in GOOD_NAMES if name.startswith("cloud")}
    assert {c["header"]["encoding"] for c in clouds.values()} == {"q16", "f32"}
    assert clouds["cloud_empty"]["n"] == 0 and clouds["cloud_empty"]["payload_bytes"] == 0
    assert clouds["cloud_q16_wide"]["header"]["scale"] > 0.001
    assert clouds["cloud_q16_wide"]["header"]["attention_range"] == [-2.0, 3.0]
    assert clouds["cloud_q16"]["header"]["pose"] is not None
    assert clouds["cloud_q16_wide"]["header"]["pose"] is None
    assert clouds["cloud_q16"]["n"] > 5 and clouds["cloud_f32"]["n"] > 5


def test_bad_files_exist_for_every_listed_validation() -> None:
    assert {
        "bad_truncated_payload.bin", "bad_version.bin", "bad_header_not_map.bin",
        "bad_unknown_kind.bin", "bad_unknown_encoding.bin", "bad_negative_n.bin",
        "bad_field_past_end.bin", "bad_payload_length.bin", "bad_ws_truncated.bin",
    } <= set(BAD_FILES)  # fmt: skip


@pytest.mark.parametrize("filename", BAD_FILES)
def test_bad_golden_file_is_rejected(filename: str) -> None:
    data, info = _load(filename.removesuffix(".bin"))
    assert info["reject"] is True and info["file"] == filename and info["reason"]
    with pytest.raises(ProtocolError, match=info["python_error"]):
        decode(unpack_ws(data))
