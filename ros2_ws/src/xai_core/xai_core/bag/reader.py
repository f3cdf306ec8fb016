"""Read rosbag2 bags (directories, ``.mcap`` / ``.db3`` files, split parts) in time order.

:class:`BagReader` opens every part with rosbags (indexed, fast). What rosbags cannot read is
recovered where possible and listed in ``problems`` instead of failing:

* an MCAP file without summary/footer (writer killed, file cut) or with a broken index is read
  sequentially with the ``mcap`` library's stream reader: every message up to the damage;
* a corrupt chunk found while streaming is skipped, reading goes on with the next chunk;
* a bag directory without ``metadata.yaml`` (recording interrupted) is read from its storage
  files;
* messages of a type the typestore does not know are still yielded raw; ``decode`` gives None.

:class:`BagError` is raised only when nothing at all can be read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from mcap.exceptions import McapError
from mcap.records import Channel, Chunk, Message, Schema
from mcap.stream_reader import StreamReader, breakup_chunk
from rosbags.interfaces import Connection
from rosbags.rosbag2 import Reader
from rosbags.rosbag2.metadata import parse_qos
from rosbags.rosbag2.storage_mcap import McapReader
from rosbags.rosbag2.storage_sqlite3 import Sqlite3Reader
from ruamel.yaml import YAML

from xai_core.bag.typestore import deserialize, known_type
from xai_core.bag.writer import SPLIT_BASE_KEY, part_path, qos_to_dicts

MCAP_MAGIC = b"\x89MCAP0\r\n"
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class TopicInfo:
    """One topic of a bag: type (``pkg/msg/Name``), message count, offered QoS profiles."""

    name: str
    msgtype: str
    count: int
    qos: list[dict]  # rosbag2 v9 spelling (see writer.QOS_DEFAULTS); possibly empty


@dataclass(frozen=True)
class BagMessage:
    """One recorded message: serialized CDR bytes and the record timestamp (ns)."""

    topic: str
    msgtype: str
    timestamp_ns: int
    rawdata: bytes


class BagError(ValueError):
    """A bag that cannot be read at all; the message names the file and the problem."""


def adapt_qos(profiles: Sequence[dict], depth: int = 100) -> dict[str, Any]:
    """The QoS a subscriber (recorder) or re-publisher (player) uses for these offered profiles.

    Reliable only if every profile is reliable, transient local only if every profile is (so it
    matches all publishers); keep last ``depth``. No profiles: reliable, volatile.
    """
    reliable = all(p.get("reliability") == "reliable" for p in profiles)
    latched = bool(profiles) and all(p.get("durability") == "transient_local" for p in profiles)
    return {
        "history": "keep_last",
        "depth": depth,
        "reliability": "reliable" if reliable else "best_effort",
        "durability": "transient_local" if latched else "volatile",
    }


class _Problems(list):
    """``problems`` list that keeps each line once."""

    def note(self, line: str) -> None:
        if line not in self:
            self.append(line)


@dataclass
class _Topic:
    msgtype: str
    count: int
    qos: list[dict]


class _RosbagsSource:
    """A bag directory or storage file read through rosbags (indexed)."""

    def __init__(self, path: Path, storage: str) -> None:
        self.path, self.storage = path, storage
        if storage == "dir":
            self.reader: Any = Reader(path)
            self.reader.open()
            inner = self.reader.storage
            self.storage = "mcap" if isinstance(inner.storages[0], McapReader) else "sqlite3"
            self.files = [s.path for s in inner.storages]
            self.connections: list[Connection] = self.reader.connections
            meta = inner.metadata
        else:
            self.reader = (McapReader if storage == "mcap" else Sqlite3Reader)(path)
            self.reader.open()
            self.files, meta = [path], self.reader.metadata
            self.connections = self.reader.connections
        self.start_ns = meta.start_time if meta.message_count else None
        self.end_ns = meta.end_time - 1 if meta.message_count else None
        self.topics: dict[str, _Topic] = {}
        for conn in self.connections:
            qos = qos_to_dicts(conn.ext.offered_qos_profiles)
            if conn.topic in self.topics:
                self.topics[conn.topic].count += conn.msgcount
            else:
                self.topics[conn.topic] = _Topic(conn.msgtype, conn.msgcount, qos)

    def messages(self, topics: set[str] | None, problems: _Problems) -> Iterator[BagMessage]:
        conns = [c for c in self.connections if topics is None or c.topic in topics]
        if not conns:
            return
        last_ts, at_last = -1, 0
        try:
            for conn, timestamp, raw in self.reader.messages(conns):
                yield BagMessage(conn.topic, conn.msgtype, timestamp, bytes(raw))
                last_ts, at_last = timestamp, (at_last + 1 if timestamp == last_ts else 1)
        except Exception as error:  # corrupt data behind an intact index
            where = f"after the message at {last_ts} ns" if last_ts >= 0 else "at the start"
            rest = "read sequentially" if self.storage == "mcap" else "skipped"
            problems.note(f"{self.path}: read error {where} ({error}); the rest {rest}")
            if self.storage != "mcap":
                return
            for file in self.files:  # recover the rest sequentially
                stream = _McapStreamSource(file, problems)
                for message in stream.messages(topics, problems):
                    if message.timestamp_ns < last_ts:
                        continue
                    if message.timestamp_ns == last_ts and at_last > 0:
                        at_last -= 1
                        continue
                    yield message

    def close(self) -> None:
        self.reader.close()


class _McapStreamSource:
    """An MCAP file read front to back (no summary needed): recovers truncated files."""

    storage = "mcap"

    def __init__(self, path: Path, problems: _Problems) -> None:
        self.path, self.files = path, [path]
        self.topics: dict[str, _Topic] = {}
        self.start_ns: int | None = None
        self.end_ns: int | None = None
        channels: dict[int, Channel] = {}
        schemas: dict[int, str] = {}
        for message, channel, schema_name in self._scan(problems, channels, schemas):
            topic = self.topics.setdefault(
                channel.topic, _Topic(schema_name, 0, _channel_qos(channel))
            )
            topic.count += 1
            ts = message.log_time
            self.start_ns = ts if self.start_ns is None else min(self.start_ns, ts)
            self.end_ns = ts if self.end_ns is None else max(self.end_ns, ts)
        for channel in channels.values():  # topics without (recovered) messages
            self.topics.setdefault(
                channel.topic,
                _Topic(schemas.get(channel.schema_id, ""), 0, _channel_qos(channel)),
            )

    def _scan(
        self,
        problems: _Problems,
        channels: dict[int, Channel] | None = None,
        schemas: dict[int, str] | None = None,
    ) -> Iterator[tuple[Message, Channel, str]]:
        """(message, channel, schema name) in file order; chunks sorted by log time.

        ``channels`` / ``schemas`` (by id) are filled with every one seen.
        """
        schemas = {} if schemas is None else schemas
        channels = {} if channels is None else channels
        size = self.path.stat().st_size
        with open(self.path, "rb") as file:
            try:
                for record in StreamReader(file, emit_chunks=True, record_size_limit=size).records:
                    if isinstance(record, Chunk):
                        try:
                            inner = breakup_chunk(record)
                        except Exception as error:
                            problems.note(
                                f"{self.path}: corrupt chunk ({record.message_start_time} .. "
                                f"{record.message_end_time} ns) skipped: {error}"
                            )
                            continue
                        messages = [r for r in inner if isinstance(r, Message)]
                        messages.sort(key=lambda m: m.log_time)
                        others = [r for r in inner if not isinstance(r, Message)]
                        records: list = [*others, *messages]
                    else:
                        records = [record]
                    for rec in records:
                        if isinstance(rec, Schema):
                            schemas[rec.id] = rec.name
                        elif isinstance(rec, Channel):
                            channels[rec.id] = rec
                        elif isinstance(rec, Message):
                            channel = channels.get(rec.channel_id)
                            if channel is None:
                                problems.note(f"{self.path}: messages of unknown channel skipped")
                                continue
                            yield rec, channel, schemas.get(channel.schema_id, "")
            except (McapError, ValueError, OSError, EOFError) as error:
                problems.note(self._damage_line(file, size, error))

    def _damage_line(self, file: BinaryIO, size: int, error: Exception) -> str:
        where = min(file.tell(), size)
        if where >= size:
            return (
                f"{self.path}: truncated at {size} bytes (no summary/footer: the writer was "
                f"interrupted or the file cut); messages before the cut recovered"
            )
        return f"{self.path}: unreadable from about byte {where} of {size}: {error}"

    def messages(self, topics: set[str] | None, problems: _Problems) -> Iterator[BagMessage]:
        for message, channel, schema_name in self._scan(problems):
            if topics is None or channel.topic in topics:
                yield BagMessage(channel.topic, schema_name, message.log_time, message.data)

    def close(self) -> None:
        """Nothing stays open between passes."""


def _channel_qos(channel: Channel) -> list[dict]:
    text = channel.metadata.get("offered_qos_profiles", "")
    try:
        return qos_to_dicts(parse_qos(text))
    except Exception:
        return []


def _sniff(path: Path) -> str | None:
    with open(path, "rb") as file:
        head = file.read(16)
    if head.startswith(MCAP_MAGIC):
        return "mcap"
    return "sqlite3" if head.startswith(SQLITE_MAGIC) else None


def _split_parts(base: Path) -> list[Path]:
    """The parts ``<base>_1``, ``<base>_2``, ... that BagWriter wrote after ``base``."""
    parts, index = [], 1
    while (candidate := part_path(base, index)).is_dir():
        meta = candidate / "metadata.yaml"
        if meta.is_file():
            try:
                info = YAML(typ="safe").load(meta.read_text())["rosbag2_bagfile_information"]
                custom = info.get("custom_data") or {}
            except Exception:
                custom = {}
            if custom.get(SPLIT_BASE_KEY) != base.name:
                break
        parts.append(candidate)
        index += 1
    return parts


class BagReader:
    """Read one bag, a storage file, or several (split parts) as one time-ordered stream."""

    def __init__(self, paths: str | Path | Sequence[str | Path]) -> None:
        """Open every part.

        Args:
            paths: a bag directory (given alone, its split parts ``<dir>_1``, ``<dir>_2``, ...
                written by :class:`~xai_core.bag.writer.BagWriter` are added), a ``.mcap`` /
                ``.db3`` file, or a sequence of those (exactly those), read in order.

        Raises:
            BagError: nothing could be read (missing path, not a bag, every part unreadable).
        """
        self.problems: list[str] = _Problems()
        self._decode_noted: set[str] = set()
        self._sources: list[Any] = []
        errors: list[str] = []
        for path, kind in self._expand(paths):
            try:
                self._sources.append(self._open(path, kind))
            except BagError as error:
                errors.append(str(error))
        if not self._sources:
            raise BagError("; ".join(errors) or "no bag given")
        for line in errors:
            self.problems.note(line)
        #: Storage files read, in order.
        self.files: list[Path] = [f for s in self._sources for f in s.files]
        #: Storage id per part (``mcap`` / ``sqlite3``).
        self.storages: list[str] = [s.storage for s in self._sources]
        self.topics: dict[str, TopicInfo] = {}
        for source in self._sources:
            for name, topic in source.topics.items():
                known = self.topics.get(name)
                if known is None:
                    self.topics[name] = TopicInfo(name, topic.msgtype, topic.count, topic.qos)
                    continue
                if known.msgtype != topic.msgtype:
                    self.problems.note(
                        f"{name}: type {topic.msgtype} in {source.path} differs from "
                        f"{known.msgtype}; reported as {known.msgtype}"
                    )
                self.topics[name] = TopicInfo(
                    name, known.msgtype, known.count + topic.count, known.qos or topic.qos
                )
        starts = [s.start_ns for s in self._sources if s.start_ns is not None]
        ends = [s.end_ns for s in self._sources if s.end_ns is not None]
        #: First / last message timestamp (ns); 0 for a bag without messages.
        self.start_ns: int = min(starts, default=0)
        self.end_ns: int = max(ends, default=0)
        #: end - start in seconds.
        self.duration_s: float = (self.end_ns - self.start_ns) * 1e-9

    def _expand(self, paths: str | Path | Sequence[str | Path]) -> list[tuple[Path, str]]:
        single = isinstance(paths, (str, Path))
        given = [paths] if single else list(paths)
        entries: list[tuple[Path, str]] = []
        seen: set[Path] = set()

        def add(path: Path, kind: str) -> None:
            if path.resolve() not in seen:
                seen.add(path.resolve())
                entries.append((path, kind))

        for item in given:
            path = Path(item)
            if path.name == "metadata.yaml" and path.is_file():
                path = path.parent
            for part in [path, *(_split_parts(path) if single and path.is_dir() else [])]:
                if not part.exists():
                    add(part, "missing")
                elif part.is_file():
                    add(part, "file")
                elif (part / "metadata.yaml").is_file():
                    add(part, "dir")
                else:
                    files = sorted([*part.glob("*.mcap"), *part.glob("*.db3")])
                    if files:
                        self.problems.note(
                            f"{part}: no metadata.yaml (recording interrupted?); read "
                            f"{', '.join(f.name for f in files)} directly"
                        )
                    for file in files or [part]:
                        add(file, "file" if files else "empty")
        return entries

    def _open(self, path: Path, kind: str) -> Any:
        if kind == "missing":
            raise BagError(f"{path}: no such bag, file or directory")
        if kind == "empty":
            raise BagError(f"{path}: not a bag (no metadata.yaml, no .mcap or .db3 file)")
        if kind == "dir":
            try:
                return _RosbagsSource(path, "dir")
            except Exception as error:
                self.problems.note(f"{path}: {error}; reading its storage files directly")
                files = sorted([*path.glob("*.mcap"), *path.glob("*.db3")])
                if len(files) != 1:
                    raise BagError(f"{path}: unreadable bag: {error}") from None
                path = files[0]
        storage = _sniff(path)
        if storage is None:
            raise BagError(f"{path}: not a bag file (neither MCAP nor sqlite3 data)")
        try:
            return _RosbagsSource(path, storage)
        except Exception as error:
            if storage != "mcap":
                raise BagError(f"{path}: unreadable sqlite3 bag: {error}") from None
            self.problems.note(f"{path}: no usable index ({error}); reading it sequentially")
        return _McapStreamSource(path, self.problems)

    def messages(self, topics: Sequence[str] | None = None) -> Iterator[BagMessage]:
        """Messages of ``topics`` (None: all) in timestamp order across all parts.

        Corrupt parts are skipped and noted in ``problems``. Messages with equal timestamps keep
        their recorded order (per part; earlier parts first).
        """
        wanted = None if topics is None else set(topics)
        streams = [s.messages(wanted, self.problems) for s in self._sources]
        if len(streams) == 1:
            yield from streams[0]
        else:
            yield from heapq.merge(*streams, key=lambda m: m.timestamp_ns)

    def decode(self, message: BagMessage) -> Any | None:
        """The typestore dataclass of ``message``; None for an unknown type or a bad payload."""
        if not known_type(message.msgtype):
            if message.msgtype not in self._decode_noted:
                self._decode_noted.add(message.msgtype)
                topics = [t for t in self.topics.values() if t.msgtype == message.msgtype]
                names = ", ".join(t.name for t in topics) or message.topic
                count = sum(t.count for t in topics)
                self.problems.append(
                    f"unknown message type '{message.msgtype}' on {names}: "
                    f"{count} messages not decoded"
                )
            return None
        try:
            return deserialize(message.rawdata, message.msgtype)
        except Exception as error:
            self.problems.note(
                f"{message.topic}: undecodable {message.msgtype} payload "
                f"({len(message.rawdata)} bytes): {error}"
            )
            return None

    def close(self) -> None:
        """Close every part (idempotent)."""
        sources, self._sources = self._sources, []
        for source in sources:
            source.close()

    def __enter__(self) -> BagReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_bag(paths: str | Path | Sequence[str | Path]) -> BagReader:
    """Open a bag for reading (see :class:`BagReader`)."""
    return BagReader(paths)
