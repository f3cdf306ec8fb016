"""The ``main()`` shared by every node: init, construct, spin, shut down cleanly."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions


def run_node(factory: Callable[[], Node], name: str, args: list[str] | None = None) -> None:
    """Run a node until Ctrl-C or external shutdown.

    A configuration the node rejects while it is constructed (``ValueError``, or a parameter of
    the wrong type) ends the process with exit status 1 and one readable line, instead of a
    traceback; errors after start-up are the node's to log and survive. A node's optional
    ``on_shutdown()`` runs after spinning ends, while it can still publish.
    """
    try:
        # Ctrl-C raises KeyboardInterrupt out of spin() with the context still valid, so
        # on_shutdown() can publish; SIGTERM keeps rclpy's handler (shuts the context down).
        with rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.SIGTERM):
            try:
                node = factory()
            except (ValueError, ParameterException) as error:
                raise SystemExit(f"{name}: invalid configuration: {error}") from None
            executor = SingleThreadedExecutor()
            executor.add_node(node)
            try:
                # Short waits: Python raises the KeyboardInterrupt of Ctrl-C between them, also
                # in nodes that have no timer.
                while rclpy.ok():
                    executor.spin_once(timeout_sec=0.1)
            finally:
                # Last words while the context still runs (e.g. a zero velocity on Ctrl-C).
                hook = getattr(node, "on_shutdown", None)
                if hook is not None and rclpy.ok():
                    hook()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
