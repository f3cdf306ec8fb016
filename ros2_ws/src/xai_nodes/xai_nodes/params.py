"""Declare a node's parameters from a config dict and read them back (rclpy side of
``xai_core.config_utils``)."""

from __future__ import annotations

from typing import Any

from rclpy.node import Node

from xai_core.config_utils import flatten, unflatten


def declare_config(node: Node, prefix: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """Declare ``<prefix>.<dotted leaf>`` for every non-None leaf of ``defaults``.

    Returns:
        The nested config dict with the values the node was started with (parameter files
        and ``-p`` overrides applied). Types come from the defaults, so a YAML value of the wrong
        type fails at start-up with rclpy's InvalidParameterTypeException.
    """
    leaves = {k: v for k, v in flatten(defaults).items() if v is not None}
    node.declare_parameters("", [(f"{prefix}.{k}", v) for k, v in leaves.items()])
    return unflatten({k: node.get_parameter(f"{prefix}.{k}").value for k in leaves})


def reject_unknown_overrides(node: Node) -> None:
    """Fail start-up on parameters given to the node (YAML or ``-p``) that it never declared.

    rclpy ignores such overrides silently, so a typo (``sim.camera.tilt`` for
    ``sim.camera.tilt_deg``) would run with the default. Call after all declarations.

    Raises:
        ValueError: naming the unknown parameters.
    """
    # rclpy keeps the overrides it was started with here; there is no public accessor.
    unknown = sorted(set(node._parameter_overrides) - set(node._parameters))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) for {node.get_name()}: {', '.join(unknown)} "
            f"(see the node's YAML in xai_bringup/config for the declared ones)"
        )
