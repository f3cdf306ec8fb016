"""bag_player_node: publish a recorded bag with its original timing (``ros2 bag play``).

Reads with ``xai_core.bag.BagReader`` (split parts, recovered truncated files) and publishes the
recorded CDR bytes as they are (``Publisher.publish(bytes)`` sends serialized data), in bag order
(so per-topic order is kept), at ``rate`` times the recorded speed, from a playback thread while
the main thread spins. Publisher QoS: the recorded offered profiles adapted like the recorder
does (``qos_from_bag``), else reliable keep last 100. ``publish_clock``: ``/clock`` follows the bag
time (before every message and at 100 Hz in between). Topics whose type is not importable are
skipped with a log line.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

from xai_core.bag import BagReader
from xai_core.bag.reader import adapt_qos
from xai_nodes.bag_recorder_node import DEPTH, LIST_PARAM, message_class, qos_from_dict, string_list
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.runner import run_node

CLOCK_PERIOD_S = 0.01
PROGRESS_PERIOD_S = 5.0
WAKE_PERIOD_S = 0.2


def parse_remaps(remaps: list[str]) -> dict[str, str]:
    """``["/a:=/b", ...]`` -> ``{"/a": "/b"}``; raises ValueError naming a malformed entry."""
    pairs = {}
    for remap in remaps:
        source, sep, target = remap.partition(":=")
        if not sep or not source or not target:
            raise ValueError(f"remap entries look like '/from:=/to', got '{remap}'")
        pairs[source] = target
    return pairs


class BagPlayerNode(Node):
    """Replay a bag (parameters: ``xai_bringup/config/bag_player_node.yaml``)."""

    def __init__(self) -> None:
        super().__init__("bag_player_node")
        declare = self.declare_parameter
        bags = string_list(declare("bag", "", LIST_PARAM).value)
        self.rate = float(declare("rate", 1.0).value)
        self.offset_ns = round(float(declare("start_offset_s", 0.0).value) * 1e9)
        self.loop = bool(declare("loop", False).value)
        topics = string_list(declare("topics", [], LIST_PARAM).value)
        remaps = parse_remaps(string_list(declare("remap", [], LIST_PARAM).value))
        publish_clock = bool(declare("publish_clock", False).value)
        qos_from_bag = bool(declare("qos_from_bag", True).value)
        self.wait_s = float(declare("wait_for_subscribers_s", 0.0).value)
        self.exit_when_done = bool(declare("exit_when_done", True).value)
        reject_unknown_overrides(self)
        if not bags:
            raise ValueError("parameter 'bag' (a bag directory / file, or a list) is required")
        if self.rate <= 0:
            raise ValueError(f"rate must be > 0, got {self.rate}")
        # One path alone: its split parts <path>_1, ... follow. BagError is a ValueError.
        self.reader = BagReader(bags[0] if len(bags) == 1 else bags)
        for problem in self.reader.problems:
            self.get_logger().warning(f"bag problem: {problem}")
        if missing := sorted(set(topics) - set(self.reader.topics)):
            self.get_logger().warning(f"topics not in the bag: {', '.join(missing)}")
        self.publishers_by_topic: dict[str, Any] = {}
        for name, info in sorted(self.reader.topics.items()):
            if topics and name not in topics:
                continue
            try:
                msg_class = message_class(info.msgtype)
            except (ImportError, ValueError) as error:
                self.get_logger().warning(f"skipping {name}: type not importable ({error})")
                continue
            qos = adapt_qos(info.qos if qos_from_bag else [], DEPTH)
            self.publishers_by_topic[name] = self.create_publisher(
                msg_class, remaps.get(name, name), qos_from_dict(qos)
            )
        self.clock_pub = (
            self.create_publisher(Clock, "/clock", QoSProfile(depth=10)) if publish_clock else None
        )
        self.counts = dict.fromkeys(self.publishers_by_topic, 0)
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bag_player", daemon=True)
        self.create_timer(WAKE_PERIOD_S, self._on_timer)
        self.get_logger().info(
            f"playing {', '.join(map(str, self.reader.files))}: {len(self.counts)} topics, "
            f"{self.reader.duration_s:.2f} s at rate {self.rate}"
            + (f", remapped {remaps}" if remaps else "")
        )
        self._thread.start()

    def _run(self) -> None:
        try:
            self._wait_for_subscribers()
            while not self._stop.is_set():
                if not self._play_once() or not self.loop:  # (an empty selection never loops)
                    break
            self._finish(wait_for_acks=not self._stop.is_set())
        except Exception as error:  # never die silently in the thread
            if self.context.ok() and not self._stop.is_set():  # not just Ctrl-C mid-publish
                self.get_logger().error(f"playback failed: {error!r}")
        finally:
            self.finished.set()

    def _on_timer(self) -> None:
        # Wakes the spinning main thread regularly, so Ctrl-C is handled even though nothing is
        # subscribed; ends spinning once playback is done (``exit_when_done``).
        if self.exit_when_done and self.finished.is_set():
            self.context.try_shutdown()

    def _wait_for_subscribers(self) -> None:
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline and not self._stop.is_set():
            if all(p.get_subscription_count() for p in self.publishers_by_topic.values()):
                return
            self._stop.wait(0.05)

    def _publish_clock(self, bag_ns: int) -> None:
        if self.clock_pub is not None:
            msg = Clock()
            msg.clock.sec, msg.clock.nanosec = divmod(bag_ns, 1_000_000_000)
            self.clock_pub.publish(msg)

    def _play_once(self) -> int:
        """Play the bag once (from ``start_offset_s``); returns the number of messages sent."""
        start_ns = self.reader.start_ns + self.offset_ns
        wall0 = time.monotonic()
        next_progress = wall0 + PROGRESS_PERIOD_S
        total = sum(self.reader.topics[t].count for t in self.publishers_by_topic)
        played = 0
        for message in self.reader.messages(list(self.publishers_by_topic)):
            if message.timestamp_ns < start_ns:
                continue
            due = wall0 + (message.timestamp_ns - start_ns) * 1e-9 / self.rate
            while (left := due - time.monotonic()) > 0:  # sleep, ticking /clock
                if self._stop.wait(min(left, CLOCK_PERIOD_S) if self.clock_pub else left):
                    return played
                now_ns = start_ns + round((time.monotonic() - wall0) * self.rate * 1e9)
                self._publish_clock(min(now_ns, message.timestamp_ns))
            self._publish_clock(message.timestamp_ns)
            self.publishers_by_topic[message.topic].publish(message.rawdata)
            self.counts[message.topic] += 1
            played += 1
            if time.monotonic() >= next_progress:
                next_progress += PROGRESS_PERIOD_S
                self.get_logger().info(f"played {played}/{total} messages")
        return played

    def _finish(self, wait_for_acks: bool) -> None:
        for publisher in self.publishers_by_topic.values():  # reliable data reached readers
            if wait_for_acks and publisher.qos_profile.reliability == ReliabilityPolicy.RELIABLE:
                publisher.wait_for_all_acked(timeout=Duration(seconds=5))
        counts = ", ".join(f"{t} {n}" for t, n in sorted(self.counts.items()))
        self.get_logger().info(f"playback done: {sum(self.counts.values())} messages ({counts})")

    def stop(self) -> None:
        """Stop the playback thread and close the bag (safe after rclpy shut down, twice)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self.reader.close()

    def destroy_node(self) -> None:
        """Stop playback, then destroy the node."""
        self.stop()
        super().destroy_node()


def main(args: list[str] | None = None) -> None:
    """Entry point of ``bag_player_node``: play, then exit (``exit_when_done``) or spin on."""
    nodes: list[BagPlayerNode] = []

    def factory() -> BagPlayerNode:
        nodes.append(BagPlayerNode())
        return nodes[-1]

    try:
        run_node(factory, "bag_player_node", args)
    finally:
        for node in nodes:
            node.stop()


if __name__ == "__main__":
    main()
