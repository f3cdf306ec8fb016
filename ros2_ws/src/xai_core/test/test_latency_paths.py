"""LatencyStats percentiles and checkpoint path resolution."""

from __future__ import annotations

import math

import pytest

from xai_core.latency import LatencyStats
from xai_core.paths import CHECKPOINT_DIR_ENV, resolve_checkpoint


def test_latency_stats_summarise_the_window_in_milliseconds() -> None:
    stats = LatencyStats(window=100)
    assert math.isnan(stats.summary()["p50_ms"]) and stats.summary()["count"] == 0
    for ms in range(1, 201):
        stats.add(ms / 1000)
    s = stats.summary()
    assert s["count"] == 200  # all samples counted, percentiles over the last 100
    assert s["p50_ms"] == pytest.approx(150.5) and s["max_ms"] == pytest.approx(200.0)
    assert "200 samples" in stats.line()


def test_resolve_checkpoint_by_name_path_and_env(tmp_path, monkeypatch) -> None:
    assert resolve_checkpoint("aqt_goal").name == "aqt_goal.pt"  # committed
    own = tmp_path / "mine.pt"
    own.write_bytes(b"x")
    assert resolve_checkpoint(own) == own
    monkeypatch.setenv(CHECKPOINT_DIR_ENV, str(tmp_path))
    assert resolve_checkpoint("mine") == own
    with pytest.raises(FileNotFoundError, match=r"not found.*XAI_CHECKPOINT_DIR"):
        resolve_checkpoint("missing")
