"""scripted_driver_node: follows the current sub-goal (/goal) with a scripted controller.

The stand-in for the learned policy until it lands: for every odometry message it chooses one
of stop / forward / left / right with ``xai_sim.ScriptedDriver``, publishes it on /cmd_vel, and
publishes an ``ActionDecision`` (no Q-values, no attention) stamped like the odometry.
"""

from __future__ import annotations

import math
from dataclasses import asdict

from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry
from rclpy.node import Node

from xai_core.geometry import distance_and_bearing
from xai_core.nav.actions import ACTION_NAMES, TwistMapping, action_to_twist
from xai_core.sync import ExactStampSync
from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import pose_to_xyyaw, stamp_ns
from xai_nodes.params import declare_config, reject_unknown_overrides
from xai_nodes.qos import COMMAND, LATCHED, SENSOR
from xai_nodes.runner import run_node
from xai_sim import ScriptedDriver


class ScriptedDriverNode(Node):
    """Turn toward the sub-goal, then drive to it (parameters and topics: README)."""

    def __init__(self) -> None:
        super().__init__("scripted_driver_node")
        turn_angle_deg = self.declare_parameter("turn_angle_deg", 30.0).value
        self.mapping = TwistMapping(**declare_config(self, "cmd_vel", asdict(TwistMapping())))
        self.driver = ScriptedDriver(math.radians(turn_angle_deg))
        reject_unknown_overrides(self)
        self.goal_xy: tuple[float, float] | None = None
        self.sync = ExactStampSync(["odom", "goal"])
        self.cmd_pub = self.create_publisher(Twist, "/cmd_vel", COMMAND)
        self.decision_pub = self.create_publisher(ActionDecision, "/xai/decision", COMMAND)
        self.create_subscription(PoseStamped, "/goal", self._on_goal, LATCHED)
        self.create_subscription(Odometry, "/odom", self._on_odom, SENSOR)

    def _on_goal(self, msg: PoseStamped) -> None:
        x, y = msg.pose.position.x, msg.pose.position.y
        if not (math.isfinite(x) and math.isfinite(y)):
            self.get_logger().warning(f"dropped /goal with non-finite position ({x}, {y})")
            return
        self._add("goal", msg)

    def _on_odom(self, msg: Odometry) -> None:
        self._add("odom", msg)

    def _add(self, stream: str, msg) -> None:
        # Decide on the odometry and the sub-goal of the same state (the sub-goal switches when
        # one is reached, and the topics may arrive in either order), once per state: the sync
        # ignores a republished state, which keeps its stamp.
        stamp = stamp_ns(msg.header.stamp)
        group = self.sync.add(stream, stamp, msg)
        if group is not None:
            self._decide(group["odom"], group["goal"])

    def _decide(self, msg: Odometry, goal: PoseStamped) -> None:
        self.goal_xy = (goal.pose.position.x, goal.pose.position.y)
        x, y, yaw = pose_to_xyyaw(msg.pose.pose)
        action = self.driver.act((x, y, yaw), self.goal_xy)
        vx, wz = action_to_twist(action, self.mapping)
        twist = Twist()
        twist.linear.x, twist.angular.z = vx, wz
        self.cmd_pub.publish(twist)
        self.decision_pub.publish(
            ActionDecision(
                header=msg.header,
                policy_name="scripted",
                action_names=list(ACTION_NAMES),
                chosen_action=action,
                goal_info_names=["subgoal_distance_m", "subgoal_angle_rad"],
                goal_info=list(distance_and_bearing((x, y, yaw), self.goal_xy)),
            )
        )


def main(args: list[str] | None = None) -> None:
    """Entry point of ``scripted_driver_node``."""
    run_node(ScriptedDriverNode, "scripted_driver_node", args)


if __name__ == "__main__":
    main()
