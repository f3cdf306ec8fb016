"""Group messages of several streams by identical header stamp (exact-time synchroniser).

``message_filters`` is not available from PyPI here, and our publishers stamp everything of one
control tick with the same time, so an exact-stamp match is both sufficient and stricter.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any


class ExactStampSync:
    """Collects one item per stream for each stamp and emits complete groups, once per stamp.

    Items stamped at or before the last completed stamp are ignored: they are late or repeated
    (the simulator republishes an unchanged state with its original stamp), so every stamp is
    emitted at most once and never after a newer one.

    Args:
        streams: names of the streams that make a complete group.
        max_pending: stamps kept waiting for missing streams; the oldest is dropped beyond it
            (counted in ``dropped``), so a stream that stops cannot grow memory.
    """

    def __init__(self, streams: Sequence[str], max_pending: int = 30) -> None:
        if not streams:
            raise ValueError("ExactStampSync needs at least one stream")
        self.streams = tuple(streams)
        self.max_pending = max_pending
        self._pending: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._last_completed: int | None = None
        self.dropped = 0

    def add(self, stream: str, stamp_ns: int, item: Any) -> dict[str, Any] | None:
        """Add ``item`` of ``stream`` stamped ``stamp_ns``; return the group once complete."""
        if stream not in self.streams:
            raise KeyError(f"unknown stream '{stream}'; expected one of {self.streams}")
        if self._last_completed is not None and stamp_ns <= self._last_completed:
            return None
        group = self._pending.setdefault(stamp_ns, {})
        group[stream] = item
        if len(group) == len(self.streams):
            del self._pending[stamp_ns]
            self._last_completed = stamp_ns
            # Anything older than a completed stamp can no longer complete in order.
            for old in [s for s in self._pending if s < stamp_ns]:
                del self._pending[old]
                self.dropped += 1
            return group
        while len(self._pending) > self.max_pending:
            self._pending.popitem(last=False)
            self.dropped += 1
        return None
