"""Fixtures for tests that start real node processes and talk to them over (local) DDS."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from xai_core.process_graph import NodeProcess, start_node


class Probe:
    """An in-process rclpy node for a test, with a helper that spins until a condition holds."""

    def __init__(self) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node("test_probe", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def spin_until(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """Spin callbacks until ``predicate()`` is true or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.05)
        return predicate()

    def spin_for(self, seconds: float) -> None:
        """Spin callbacks for ``seconds``."""
        self.spin_until(lambda: False, seconds)

    def call(self, client, request, timeout_s: float, resend_after_s: float = 10.0):
        """Call a service and return its response (None on timeout).

        ``service_is_ready`` only says the request reader matched; Fast DDS can still drop the
        first response ("failed to send response (timeout)") while the client's response reader
        is matching. Our services are idempotent, so an unanswered request is sent again after
        ``resend_after_s``.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            future = client.call_async(request)
            wait = min(resend_after_s, deadline - time.monotonic())
            if self.spin_until(future.done, wait):
                return future.result()
            client.remove_pending_request(future)
        return None

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


@pytest.fixture
def probe() -> Iterator[Probe]:
    p = Probe()
    yield p
    p.close()


@pytest.fixture
def launch(tmp_path) -> Iterator[Callable[..., NodeProcess]]:
    """Start node processes (logs under tmp_path); all are stopped at teardown."""
    started: list[NodeProcess] = []

    def _launch(executable: str, **kwargs) -> NodeProcess:
        process = start_node(
            "xai_nodes", executable, dict(os.environ), log_dir=tmp_path / "logs", **kwargs
        )
        started.append(process)
        return process

    yield _launch
    for process in started:
        process.stop()
