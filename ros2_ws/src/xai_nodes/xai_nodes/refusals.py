"""Count and log the inputs a node drops or refuses, by reason (house rule 8).

The first occurrence of a reason is always logged; repeats at most every 5 s, with the count.
"""

from __future__ import annotations

from collections import Counter


class Refusals:
    """Per-reason counter with throttled warnings (``Refusals(logger, "dropped image")``)."""

    def __init__(self, logger, prefix: str) -> None:
        self.logger = logger
        self.prefix = prefix
        self.counts: Counter[str] = Counter()

    def add(self, reason: str, message: str | None = None) -> int:
        """Count ``reason`` and log ``message`` (default: the reason); returns its count."""
        self.counts[reason] += 1
        n = self.counts[reason]
        text = f"{self.prefix}: {message or reason} ({n} so far for this reason)"
        if n == 1:
            self.logger.warning(text)
        else:
            self.logger.warning(text, throttle_duration_sec=5.0)
        return n

    def total(self) -> int:
        """All refusals so far."""
        return sum(self.counts.values())

    def summary(self) -> str:
        """``"<total>: {reason: count, ...}"`` or ``"0: none"``."""
        return f"{self.total()}: {dict(self.counts) or 'none'}"
