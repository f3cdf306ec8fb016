"""Exact-stamp synchroniser."""

from __future__ import annotations

import pytest

from xai_core.sync import ExactStampSync


def test_emits_a_group_when_every_stream_arrived() -> None:
    sync = ExactStampSync(["a", "b"])
    assert sync.add("a", 10, "a10") is None
    assert sync.add("b", 20, "b20") is None
    assert sync.add("b", 10, "b10") == {"a": "a10", "b": "b10"}
    assert sync.add("a", 20, "a20") == {"a": "a20", "b": "b20"}
    assert sync.dropped == 0


def test_incomplete_stamps_are_dropped_not_hoarded() -> None:
    sync = ExactStampSync(["a", "b"], max_pending=3)
    for stamp in range(10):
        sync.add("a", stamp, stamp)
    assert sync.dropped == 7
    assert sync.add("b", 9, "b") == {"a": 9, "b": "b"}
    assert sync.dropped == 9  # stamps 7 and 8 can no longer complete


def test_unknown_stream_is_an_error() -> None:
    with pytest.raises(KeyError, match="unknown stream"):
        ExactStampSync(["a"]).add("z", 0, None)


def test_each_stamp_is_emitted_once_and_never_after_a_newer_one() -> None:
    sync = ExactStampSync(["a", "b"])
    sync.add("a", 10, 1)
    assert sync.add("b", 10, 2) is not None
    assert sync.add("a", 10, 3) is None and sync.add("b", 10, 4) is None  # republished
    assert sync.add("a", 5, 5) is None and sync.add("b", 5, 6) is None  # late
    sync.add("a", 11, 7)
    assert sync.add("b", 11, 8) == {"a": 7, "b": 8}
