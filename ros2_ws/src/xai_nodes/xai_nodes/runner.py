"""The ``main()`` shared by every node: init, construct, spin, shut down cleanly."""

from __future__ import annotations

from collections.abc import Callable

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node


def run_node(factory: Callable[[], Node], name: str, args: list[str] | None = None) -> None:
    """Run a node until Ctrl-C or external shutdown.

    A configuration the node rejects while it is constructed (``ValueError``, or a parameter of
    the wrong type) ends the process with exit status 1 and one readable line, instead of a
    traceback; errors after start-up are the node's to log and survive.
    """
    try:
        with rclpy.init(args=args):
            try:
                node = factory()
            except (ValueError, ParameterException) as error:
                raise SystemExit(f"{name}: invalid configuration: {error}") from None
            rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
