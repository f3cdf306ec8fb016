"""Latency bookkeeping for nodes and benchmarks: bounded window, percentiles in milliseconds."""

from __future__ import annotations

from collections import deque

import numpy as np


class LatencyStats:
    """Keeps the last ``window`` latencies (seconds) and summarises them in milliseconds."""

    def __init__(self, window: int = 1000) -> None:
        self._values: deque[float] = deque(maxlen=window)
        self.count = 0

    def add(self, seconds: float) -> None:
        """Record one latency in seconds."""
        self._values.append(float(seconds))
        self.count += 1

    def summary(self) -> dict[str, float]:
        """``{"count", "mean_ms", "p50_ms", "p99_ms", "max_ms"}`` over the window (NaN if empty)."""
        if not self._values:
            nan = float("nan")
            return {"count": 0, "mean_ms": nan, "p50_ms": nan, "p99_ms": nan, "max_ms": nan}
        ms = np.asarray(self._values) * 1e3
        return {
            "count": self.count,
            "mean_ms": float(ms.mean()),
            "p50_ms": float(np.percentile(ms, 50)),
            "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max()),
        }

    def line(self) -> str:
        """One human-readable summary line."""
        s = self.summary()
        return (
            f"{s['count']} samples, mean {s['mean_ms']:.1f} ms, p50 {s['p50_ms']:.1f} ms, "
            f"p99 {s['p99_ms']:.1f} ms"
        )
