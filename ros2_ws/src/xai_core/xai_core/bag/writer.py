"""Write rosbag2 bags (MCAP or sqlite3) from serialized CDR messages.

A bag is a rosbag2 *directory*: ``metadata.yaml`` plus one ``<name>.mcap`` or ``<name>.db3``
storage file, which ``ros2 bag info/play`` and any MCAP reader open. The offered QoS profiles of
each topic are stored the way ``ros2 bag record`` stores them (``offered_qos_profiles``, in the
metadata and in the MCAP channel / sqlite3 topic table).

Splitting: rosbags writes one storage file per bag, so a split starts a new *sibling bag
directory*: ``<path>`` first, then ``<path>_1``, ``<path>_2``, ... Each part is a complete bag
with every topic, and its ``custom_data`` names the part (``xai_split_base``,
``xai_split_part``), so :class:`xai_core.bag.reader.BagReader` given ``<path>`` reads the parts
that follow it in order.

Crash safety: the writer flushes every ``flush_period_s`` (wall time): the MCAP writer's pending
chunk (rosbags buffers up to 1 MB in memory) is closed and written, sqlite3 commits. A process
killed without :meth:`BagWriter.close` leaves a directory without ``metadata.yaml`` and an MCAP
file without summary/footer (or a db3 without the metadata row); ``BagReader`` recovers every
message up to the last flush from it. Call ``close()`` in a ``finally`` (or use ``with``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from rosbags.interfaces import Connection, Qos
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.metadata import dump_qos_v9, parse_qos
from rosbags.rosbag2.storage_mcap import McapWriter
from rosbags.rosbag2.storage_sqlite3 import Sqlite3Writer

from xai_core.bag.typestore import known_type, typestore

STORAGES = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
#: rosbag2 metadata version written (Jazzy / Kilted).
BAG_VERSION = 9
#: Type hash recorded for a type the typestore does not know (no definition available).
UNKNOWN_TYPE_HASH = "RIHS01_" + "0" * 64
SPLIT_BASE_KEY, SPLIT_PART_KEY = "xai_split_base", "xai_split_part"

_ZERO_TIME = {"sec": 0, "nsec": 0}
#: Fields of a QoS profile dict (rosbag2 v9 metadata spelling); missing keys take these values.
QOS_DEFAULTS: dict[str, Any] = {
    "history": "keep_last",
    "depth": 10,
    "reliability": "reliable",
    "durability": "volatile",
    "deadline": _ZERO_TIME,
    "lifespan": _ZERO_TIME,
    "liveliness": "automatic",
    "liveliness_lease_duration": _ZERO_TIME,
    "avoid_ros_namespace_conventions": False,
}


def qos_from_dicts(profiles: Sequence[dict[str, Any]]) -> list[Qos]:
    """rosbags ``Qos`` tuples from profile dicts (v9 spelling: ``reliability: reliable`` ...)."""
    return parse_qos([{**QOS_DEFAULTS, **profile} for profile in profiles])


def qos_to_dicts(profiles: Sequence[Qos]) -> list[dict[str, Any]]:
    """Profile dicts (rosbag2 v9 metadata spelling) from rosbags ``Qos`` tuples."""
    return [dict(d) for d in dump_qos_v9(list(profiles))]


def part_path(base: Path, part: int) -> Path:
    """Directory of split part ``part`` of the bag ``base`` (0: ``base``, k: ``<base>_k``)."""
    return base if part == 0 else base.with_name(f"{base.name}_{part}")


class BagWriter:
    """Record serialized messages into a rosbag2 bag (see the module doc for splitting)."""

    def __init__(
        self,
        path: str | Path,
        *,
        storage: str = "mcap",
        split_size_bytes: int | None = None,
        split_duration_s: float | None = None,
        flush_period_s: float | None = 1.0,
    ) -> None:
        """Create the bag directory ``path`` (it must not exist).

        Args:
            storage: ``mcap`` or ``sqlite3``.
            split_size_bytes: start a new part before the payload bytes of the current one
                would exceed this (a single larger message still makes a part); None = never.
            split_duration_s: start a new part when a message is this many seconds (message
                timestamps) after the first of the current part; None = never.
            flush_period_s: flush to disk at most this often (wall time, checked on write);
                None = only on close.

        Raises:
            ValueError: unknown storage or non-positive split limits.
            FileExistsError: ``path`` (or, when splitting, ``<path>_1``) exists.
        """
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {sorted(STORAGES)}, got '{storage}'")
        for name, value in (
            ("split_size_bytes", split_size_bytes),
            ("split_duration_s", split_duration_s),
        ):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0 or None, got {value}")
        self.base = Path(path)
        self.storage = storage
        self.split_size_bytes = split_size_bytes
        self.split_duration_ns = None if split_duration_s is None else round(split_duration_s * 1e9)
        self.flush_period_s = flush_period_s
        splitting = split_size_bytes is not None or split_duration_s is not None
        for existing in (self.base, part_path(self.base, 1) if splitting else None):
            if existing is not None and existing.exists():
                raise FileExistsError(f"{existing} exists already; bags are never overwritten")
        #: Messages written per topic (all parts).
        self.counts: dict[str, int] = {}
        #: Payload bytes written (all parts).
        self.bytes_written = 0
        self._topics: dict[str, tuple[str, list[Qos]]] = {}
        self._paths: list[Path] = []
        self._writer: Writer | None = None
        self._connections: dict[str, Connection] = {}
        self._part_bytes = 0
        self._part_start_ns: int | None = None
        self._last_flush = time.monotonic()
        self._open_part()

    @property
    def paths(self) -> list[Path]:
        """The bag directories written so far, in order (one per split part)."""
        return list(self._paths)

    def _open_part(self) -> None:
        path = part_path(self.base, len(self._paths))
        writer = Writer(path, version=BAG_VERSION, storage_plugin=STORAGES[self.storage])
        if len(self._paths) or self.split_size_bytes or self.split_duration_ns:
            writer.set_custom_data(SPLIT_BASE_KEY, self.base.name)
            writer.set_custom_data(SPLIT_PART_KEY, str(len(self._paths)))
        writer.open()
        self._writer, self._connections = writer, {}
        self._paths.append(path)
        self._part_bytes, self._part_start_ns = 0, None
        for topic in self._topics:
            self._add_connection(topic)

    def _add_connection(self, topic: str) -> None:
        assert self._writer is not None
        msgtype, qos = self._topics[topic]
        if known_type(msgtype):
            kwargs: dict[str, Any] = {"typestore": typestore()}
        else:  # still recorded (raw CDR), without a definition
            kwargs = {"msgdef": "", "rihs01": UNKNOWN_TYPE_HASH}
        self._connections[topic] = self._writer.add_connection(
            topic, msgtype, offered_qos_profiles=qos, **kwargs
        )

    def add_topic(self, topic: str, msgtype: str, qos: list[dict] | None = None) -> None:
        """Declare ``topic`` of type ``msgtype`` (``pkg/msg/Name``) before writing to it.

        Args:
            qos: the publishers' offered QoS profiles as dicts (keys of :data:`QOS_DEFAULTS`;
                missing keys take the defaults); stored in the bag metadata.

        Raises:
            ValueError: the topic was added before with another type.
        """
        if topic in self._topics:
            if self._topics[topic][0] != msgtype:
                raise ValueError(
                    f"topic {topic} was added as {self._topics[topic][0]}, not {msgtype}"
                )
            return
        self._topics[topic] = (msgtype, qos_from_dicts(qos or []))
        self.counts[topic] = 0
        self._add_connection(topic)

    def write(self, topic: str, timestamp_ns: int, rawdata: bytes) -> None:
        """Append one serialized (CDR) message of an added topic at ``timestamp_ns`` (ns).

        Raises:
            KeyError: the topic was not added.
            ValueError: the writer is closed.
        """
        if self._writer is None:
            raise ValueError(f"bag {self.base} is closed")
        if topic not in self._connections:
            raise KeyError(f"topic {topic} was not added to bag {self.base} (add_topic first)")
        if self._needs_split(timestamp_ns, len(rawdata)):
            self._writer.close()
            self._open_part()
        self._writer.write(self._connections[topic], timestamp_ns, rawdata)
        if self._part_start_ns is None:
            self._part_start_ns = timestamp_ns
        self._part_bytes += len(rawdata)
        self.bytes_written += len(rawdata)
        self.counts[topic] += 1
        if (
            self.flush_period_s is not None
            and time.monotonic() - self._last_flush >= self.flush_period_s
        ):
            self.flush()

    def _needs_split(self, timestamp_ns: int, size: int) -> bool:
        if self._part_start_ns is None:  # never split an empty part
            return False
        too_big = (
            self.split_size_bytes is not None and self._part_bytes + size > self.split_size_bytes
        )
        too_long = (
            self.split_duration_ns is not None
            and timestamp_ns - self._part_start_ns >= self.split_duration_ns
        )
        return too_big or too_long

    def flush(self) -> None:
        """Put everything written so far on disk (readable even if the process dies next)."""
        self._last_flush = time.monotonic()
        storage = None if self._writer is None else self._writer.storage
        if isinstance(storage, McapWriter):
            if storage.chunk.msgs:
                storage.close_chunk()
            storage.bio.flush()
        elif isinstance(storage, Sqlite3Writer):
            storage.conn.commit()

    def close(self) -> None:
        """Finish the current part (summary, ``metadata.yaml``). Safe to call twice."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()  # also on errors: what was written stays a readable bag
