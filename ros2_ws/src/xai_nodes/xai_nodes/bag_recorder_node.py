"""bag_recorder_node: record DDS topics byte for byte into a rosbag2 bag (``ros2 bag record``).

Discovers topics every ``discovery_period_s`` and subscribes to each one that has publishers,
with ``raw=True`` (the serialized CDR bytes, never deserialized) and a QoS that matches all of
them (``xai_core.bag.reader.adapt_qos``: reliable / transient local only if every publisher is,
keep last 100). The publishers' offered QoS profiles go into the bag metadata; timestamps are the
receive time (node clock, ns). Writing is ``xai_core.bag.BagWriter`` (MCAP or sqlite3, split
into sibling bags, flushed every second). Ctrl-C (SIGINT) or destroy: the bag is closed cleanly
and the totals per topic are logged.
"""

from __future__ import annotations

import importlib
from fnmatch import fnmatchcase
from functools import partial
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy

from xai_core.bag import BagWriter
from xai_core.bag.reader import adapt_qos
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.runner import run_node

#: A parameter that takes a string or a list of strings (an empty YAML list reads as unset).
LIST_PARAM = ParameterDescriptor(dynamic_typing=True)
#: Subscriber / player queue depth: deep enough that bursts are not dropped.
DEPTH = 100


def string_list(value: Any) -> list[str]:
    """A list-of-strings parameter value: None / "" -> [], "x" -> ["x"], list -> list."""
    if value is None or value == "":
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def message_class(msgtype: str) -> type:
    """The rclpy message class of ``pkg/msg/Name``.

    Raises:
        ImportError: the package's type support is not installed.
    """
    package, kind, name = msgtype.split("/")
    try:
        return getattr(importlib.import_module(f"{package}.{kind}"), name)
    except AttributeError as error:
        raise ImportError(f"{msgtype}: no such message in {package}.{kind}") from error


def qos_to_dict(qos: QoSProfile) -> dict[str, Any]:
    """A publisher's QoS as a bag profile dict (rosbag2 v9 spelling, durations sec/nsec)."""

    def duration(value: Duration) -> dict[str, int]:
        sec, nsec = divmod(value.nanoseconds, 1_000_000_000)
        return {"sec": sec, "nsec": nsec}

    return {
        "history": qos.history.name.lower(),
        "depth": qos.depth,
        "reliability": qos.reliability.name.lower(),
        "durability": qos.durability.name.lower(),
        "deadline": duration(qos.deadline),
        "lifespan": duration(qos.lifespan),
        "liveliness": qos.liveliness.name.lower(),
        "liveliness_lease_duration": duration(qos.liveliness_lease_duration),
        "avoid_ros_namespace_conventions": qos.avoid_ros_namespace_conventions,
    }


def qos_from_dict(profile: dict[str, Any]) -> QoSProfile:
    """A keep-last QoSProfile from a profile dict (``adapt_qos`` output or a recorded one)."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=max(1, int(profile.get("depth", DEPTH))),
        reliability=ReliabilityPolicy[str(profile.get("reliability", "reliable")).upper()],
        durability=DurabilityPolicy[str(profile.get("durability", "volatile")).upper()],
    )


class BagRecorderNode(Node):
    """Record discovered topics (parameters: ``xai_bringup/config/bag_recorder_node.yaml``)."""

    def __init__(self) -> None:
        super().__init__("bag_recorder_node")
        declare = self.declare_parameter
        output = str(declare("output", "").value)
        storage = str(declare("storage", "mcap").value)
        self.topics = string_list(declare("topics", [], LIST_PARAM).value)
        self.exclude = string_list(
            declare("exclude", ["/rosout", "/parameter_events"], LIST_PARAM).value
        )
        split_mb = float(declare("split_size_mb", 0.0).value)
        split_s = float(declare("split_duration_s", 0.0).value)
        period = float(declare("discovery_period_s", 1.0).value)
        reject_unknown_overrides(self)
        if not output:
            raise ValueError("parameter 'output' (the bag directory to create) is required")
        if period <= 0:
            raise ValueError(f"discovery_period_s must be > 0, got {period}")
        try:
            self.writer = BagWriter(
                output,
                storage=storage,
                split_size_bytes=round(split_mb * 1e6) if split_mb > 0 else None,
                split_duration_s=split_s if split_s > 0 else None,
            )
        except FileExistsError as error:
            raise ValueError(str(error)) from None
        self.subscriptions_by_topic: dict[str, Any] = {}
        self.unsupported: dict[str, str] = {}  # topic -> why it is not recorded
        self.write_errors = 0
        self._last_ns = 0
        self.create_timer(period, self._discover)
        self.get_logger().info(
            f"recording to {output} ({storage}); topics: {self.topics or 'all'}, "
            f"excluded: {self.exclude or 'none'}"
        )
        self._discover()

    def _wanted(self, topic: str) -> bool:
        if self.topics and topic not in self.topics:
            return False
        return not any(fnmatchcase(topic, pattern) for pattern in self.exclude)

    def _discover(self) -> None:
        self.writer.flush()  # also while nothing arrives: what was received is on disk
        for topic, types in self.get_topic_names_and_types():
            if topic in self.subscriptions_by_topic or topic in self.unsupported:
                continue
            if not self._wanted(topic):
                continue
            publishers = self.get_publishers_info_by_topic(topic)
            if not publishers:
                continue  # only subscribers so far: QoS unknown, wait for a publisher
            msgtype = types[0]
            try:
                msg_class = message_class(msgtype)
            except (ImportError, ValueError) as error:
                self.unsupported[topic] = f"type {msgtype} not importable ({error})"
                self.get_logger().warning(f"not recording {topic}: {self.unsupported[topic]}")
                continue
            if len(types) > 1:
                self.get_logger().warning(f"{topic} has several types {types}; recording {msgtype}")
            offered = [qos_to_dict(p.qos_profile) for p in publishers]
            qos = adapt_qos(offered, DEPTH)
            self.writer.add_topic(topic, msgtype, offered)
            self.subscriptions_by_topic[topic] = self.create_subscription(
                msg_class, topic, partial(self._on_message, topic), qos_from_dict(qos), raw=True
            )
            self.get_logger().info(
                f"recording {topic} ({msgtype}, {qos['reliability']}/{qos['durability']}, "
                f"{len(publishers)} publisher(s))"
            )

    def _on_message(self, topic: str, raw: bytes) -> None:
        # Receive time, strictly increasing so replay keeps the arrival order of all topics.
        stamp = max(self.get_clock().now().nanoseconds, self._last_ns + 1)
        self._last_ns = stamp
        try:
            self.writer.write(topic, stamp, raw)
        except (OSError, ValueError) as error:
            self.write_errors += 1
            self.get_logger().error(f"write failed on {topic}: {error} ({self.write_errors})")

    def close(self) -> None:
        """Close the bag and log the totals per topic (safe after rclpy shut down)."""
        self.writer.close()
        counts = ", ".join(f"{t} {n}" for t, n in sorted(self.writer.counts.items()))
        lines = [
            f"bag closed: {', '.join(str(p) for p in self.writer.paths)}: "
            f"{sum(self.writer.counts.values())} messages, "
            f"{self.writer.bytes_written / 1e6:.1f} MB ({counts or 'no topics'})"
        ]
        lines += [f"not recorded: {t}: {why}" for t, why in sorted(self.unsupported.items())]
        if self.write_errors:
            lines.append(f"{self.write_errors} messages lost to write errors")
        for line in lines:  # rcutils logging still works after the context shut down
            self.get_logger().info(line)


def main(args: list[str] | None = None) -> None:
    """Entry point of ``bag_recorder_node``: record until Ctrl-C, then close the bag."""
    nodes: list[BagRecorderNode] = []

    def factory() -> BagRecorderNode:
        nodes.append(BagRecorderNode())
        return nodes[-1]

    try:
        run_node(factory, "bag_recorder_node", args)
    finally:
        for node in nodes:
            node.close()


if __name__ == "__main__":
    main()
