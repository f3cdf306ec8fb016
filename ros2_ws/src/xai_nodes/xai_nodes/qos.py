"""QoS profiles by role (DESIGN.md rule 5)."""

from __future__ import annotations

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

#: Images, depth, clouds, odometry: best effort, keep last 5. Late data is useless.
SENSOR = qos_profile_sensor_data

#: Commands and decisions: reliable, keep last 10.
COMMAND = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)

#: Latched status (goal, plan, sketch, episode status): reliable + transient local, depth 1,
#: so a node that starts late still receives the current value.
LATCHED = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
