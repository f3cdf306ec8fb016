"""``ros2 bag info`` for :class:`~xai_core.bag.reader.BagReader`: a dict and its text form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from xai_core.bag.reader import BagReader


def bag_info(reader: BagReader) -> dict[str, Any]:
    """Summary of an open bag (JSON-serializable).

    Returns:
        ``files`` (storage file paths), ``storage`` (ids, one per part), ``size_bytes``,
        ``duration_s``, ``start_ns``, ``end_ns``, ``message_count``, ``topics`` (list of
        ``name``, ``type``, ``count``, ``qos`` profile dicts) and ``problems``.
    """
    topics = sorted(reader.topics.values(), key=lambda t: t.name)
    return {
        "files": [str(f) for f in reader.files],
        "storage": sorted(set(reader.storages)),
        "size_bytes": sum(f.stat().st_size for f in reader.files if f.exists()),
        "duration_s": reader.duration_s,
        "start_ns": reader.start_ns,
        "end_ns": reader.end_ns,
        "message_count": sum(t.count for t in topics),
        "topics": [
            {"name": t.name, "type": t.msgtype, "count": t.count, "qos": t.qos} for t in topics
        ],
        "problems": list(reader.problems),
    }


def _size(num_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if num_bytes < 1024 or unit == "GiB":
            return f"{num_bytes:.1f} {unit}" if unit != "B" else f"{int(num_bytes)} B"
        num_bytes /= 1024
    raise AssertionError("unreachable")


def _time(ns: int) -> str:
    stamp = datetime.fromtimestamp(ns // 1_000_000_000, UTC).strftime("%b %d %Y %H:%M:%S")
    return f"{stamp}.{ns % 1_000_000_000:09d} UTC ({ns // 1_000_000_000}.{ns % 10**9:09d})"


def _qos_line(profiles: list[dict]) -> str:
    if not profiles:
        return "QoS: -"
    parts = {
        f"{p.get('reliability', '?')}/{p.get('durability', '?')} depth {p.get('depth', '?')}"
        for p in profiles
    }
    return f"QoS: {', '.join(sorted(parts))} ({len(profiles)} publisher(s))"


def format_info(info: dict[str, Any]) -> str:
    """``ros2 bag info`` style text of :func:`bag_info`'s dict."""
    label = 19
    lines = [f"{'Files:':<{label}}{info['files'][0] if info['files'] else '-'}"]
    lines += [" " * label + f for f in info["files"][1:]]
    lines += [
        f"{'Bag size:':<{label}}{_size(info['size_bytes'])}",
        f"{'Storage id:':<{label}}{', '.join(info['storage'])}",
        f"{'Duration:':<{label}}{info['duration_s']:.9f}s",
    ]
    if info["message_count"]:
        lines += [
            f"{'Start:':<{label}}{_time(info['start_ns'])}",
            f"{'End:':<{label}}{_time(info['end_ns'])}",
        ]
    lines.append(f"{'Messages:':<{label}}{info['message_count']}")
    topics = info["topics"]
    width = max((len(t["name"]) for t in topics), default=0)
    type_width = max((len(t["type"]) for t in topics), default=0)
    for i, topic in enumerate(topics):
        head = f"{'Topic information:':<{label}}" if i == 0 else " " * label
        lines.append(
            f"{head}Topic: {topic['name']:<{width}} | Type: {topic['type']:<{type_width}} | "
            f"Count: {topic['count']} | Serialization Format: cdr | {_qos_line(topic['qos'])}"
        )
    if not topics:
        lines.append(f"{'Topic information:':<{label}}-")
    for i, problem in enumerate(info["problems"]):
        lines.append(f"{'Problems:' if i == 0 else '':<{label}}{problem}")
    return "\n".join(lines)
