"""policy_node: the learned navigation policy (AQT or CNN) driving the robot, with its explanation.

Goal mode: colour-coded semantic image (``/xai/semantic_color``) + current sub-goal (``/goal``) +
odometry (``/odom``). Sketch mode: top-down map image (``/xai/sim/topdown``) + hand-drawn sketch
(``/sketch``, nav_msgs/Path) + odometry. One decision per input image: publishes ``/cmd_vel`` and
``/xai/decision`` (q-values, chosen action, every action's attention grid) stamped with the
image's stamp, so latency is measurable end to end.
"""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np
import torch
from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry, Path
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import Image

from xai_core.geometry import distance_and_bearing
from xai_core.images import image_to_array
from xai_core.latency import LatencyStats
from xai_core.nav.actions import ACTION_NAMES, TwistMapping, action_to_twist
from xai_core.nav.predictor import Decision, GoalNavPredictor, SketchNavPredictor
from xai_core.paths import resolve_checkpoint
from xai_core.sync import ExactStampSync
from xai_interfaces.msg import ActionDecision
from xai_nodes.conversions import pose_to_xyyaw, stamp_ns
from xai_nodes.params import declare_config, reject_unknown_overrides
from xai_nodes.qos import COMMAND, LATCHED, SENSOR
from xai_nodes.runner import run_node

GOAL_INFO_NAMES = {
    "goal": ["subgoal_distance_norm", "sin_subgoal_bearing", "cos_subgoal_bearing"],
    "sketch": ["x", "y", "sin_yaw", "cos_yaw", "waypoint_dx", "waypoint_dy"],
}
DEFAULT_CHECKPOINT = {"goal": "aqt_goal", "sketch": "aqt_sketch"}


class PolicyNode(Node):
    """Decide stop / forward / left / right per image (parameters and topics: README)."""

    def __init__(self) -> None:
        super().__init__("policy_node")
        self.mode = self.declare_parameter("mode", "goal").value
        checkpoint = self.declare_parameter("checkpoint", "").value
        self.sync_mode = self.declare_parameter("sync", "exact").value
        threads = int(self.declare_parameter("torch_threads", 1).value)
        self.publish_cmd = bool(self.declare_parameter("publish_cmd_vel", True).value)
        self.summary_every = int(self.declare_parameter("summary_every", 50).value)
        self.mapping = TwistMapping(**declare_config(self, "cmd_vel", asdict(TwistMapping())))
        reject_unknown_overrides(self)
        if self.mode not in DEFAULT_CHECKPOINT:
            raise ValueError(f"mode must be 'goal' or 'sketch', got '{self.mode}'")
        if self.sync_mode not in ("exact", "latest"):
            raise ValueError(f"sync must be 'exact' or 'latest', got '{self.sync_mode}'")
        torch.set_num_threads(max(1, threads))
        path = resolve_checkpoint(checkpoint or DEFAULT_CHECKPOINT[self.mode])
        predictor_cls = GoalNavPredictor if self.mode == "goal" else SketchNavPredictor
        self.predictor = predictor_cls.from_checkpoint(path)
        self.latency = LatencyStats()
        self.compute = LatencyStats()
        self.dropped = 0
        self.resent = 0  # commands sent again for a republished (still waiting) state
        self.last_stamp: int | None = None
        self.last_twist: Twist | None = None
        self.goal_xy: tuple[float, float] | None = None
        self.odom: Odometry | None = None
        self.sketch: np.ndarray | None = None
        self.sketch_step = 0
        # Exact: image, odometry (and sub-goal) of one state; the simulator stamps them alike.
        self.sync = ExactStampSync(
            ["image", "odom", "goal"] if self.mode == "goal" else ["image", "odom"]
        )

        self.cmd_pub = self.create_publisher(Twist, "/cmd_vel", COMMAND)
        self.decision_pub = self.create_publisher(ActionDecision, "/xai/decision", COMMAND)
        image_topic = "/xai/semantic_color" if self.mode == "goal" else "/xai/sim/topdown"
        self.create_subscription(Image, image_topic, self._on_image, SENSOR)
        self.create_subscription(Odometry, "/odom", self._on_odom, SENSOR)
        if self.mode == "goal":
            self.create_subscription(PoseStamped, "/goal", self._on_goal, LATCHED)
        else:
            self.create_subscription(Path, "/sketch", self._on_sketch, LATCHED)
        self.get_logger().info(
            f"policy_node ready: {self.mode} mode, {self.predictor.name} from {path}, "
            f"input {image_topic}, sync={self.sync_mode}"
        )

    def _drop(self, what: str, reason: str) -> None:
        self.dropped += 1
        self.get_logger().warning(f"dropped {what}: {reason} ({self.dropped} dropped so far)")

    def _on_goal(self, msg: PoseStamped) -> None:
        xy = (msg.pose.position.x, msg.pose.position.y)
        if not np.all(np.isfinite(xy)):
            self._drop("/goal", f"non-finite position {xy}")
            return
        self.goal_xy = xy
        if self.sync_mode == "exact":
            self._on_group(self.sync.add("goal", stamp_ns(msg.header.stamp), xy))

    def _on_sketch(self, msg: Path) -> None:
        points = np.array([(p.pose.position.x, p.pose.position.y) for p in msg.poses])
        if len(points) == 0 or not np.all(np.isfinite(points)):
            self._drop("/sketch", f"{len(points)} waypoints, need >= 1 finite")
            return
        self.sketch, self.sketch_step = points, 0  # the start pose is taken at the next decision

    def _on_odom(self, msg: Odometry) -> None:
        self.odom = msg
        if self.sync_mode == "exact":
            self._on_group(self.sync.add("odom", stamp_ns(msg.header.stamp), msg))

    def _on_image(self, msg: Image) -> None:
        try:
            pixels = image_to_array(msg)
            if pixels.ndim != 3 or pixels.shape[2] != 3 or msg.encoding not in ("rgb8", "bgr8"):
                raise ValueError(f"need an rgb8 colour image, got {msg.encoding} {pixels.shape}")
        except ValueError as error:
            self._drop("image", str(error))
            return
        if msg.encoding == "bgr8":
            pixels = pixels[..., ::-1]
        item = (msg.header, np.ascontiguousarray(pixels))
        if self.sync_mode == "exact":
            stamp = stamp_ns(msg.header.stamp)
            if stamp == self.last_stamp and self.last_twist is not None:
                # The same state again: a lockstep simulator republishes a state while it still
                # waits for its command (lost, e.g. sent before the base had matched at start-up).
                self.cmd_pub.publish(self.last_twist)
                self.resent += 1
                return
            self._on_group(self.sync.add("image", stamp, item))
        elif self.odom is not None:
            self._on_group({"image": item, "odom": self.odom})

    def _on_group(self, group: dict | None) -> None:
        if group is None:
            return
        (header, pixels), odom = group["image"], group["odom"]
        self.goal_xy = group.get("goal", self.goal_xy)
        pose = pose_to_xyyaw(odom.pose.pose)
        started = time.perf_counter()
        decision = self._decide(pixels, pose)
        if decision is None:
            return
        self.compute.add(time.perf_counter() - started)
        if self.publish_cmd:
            twist = Twist()
            twist.linear.x, twist.angular.z = action_to_twist(decision.action, self.mapping)
            self.cmd_pub.publish(twist)
            self.last_stamp, self.last_twist = stamp_ns(header.stamp), twist
        self.decision_pub.publish(self._decision_msg(header, decision))
        self.latency.add((self.get_clock().now().nanoseconds - stamp_ns(header.stamp)) * 1e-9)
        if self.latency.count % self.summary_every == 0:
            self.get_logger().info(
                f"decisions: image stamp -> publish {self.latency.line()}; "
                f"inference {self.compute.line()}; {self.dropped} inputs dropped, "
                f"{self.resent} commands resent"
            )

    def _decide(self, pixels: np.ndarray, pose: tuple[float, float, float]) -> Decision | None:
        if self.mode == "goal":
            if self.goal_xy is None:
                self._drop("image", "no /goal received yet")
                return None
            distance, bearing = distance_and_bearing(pose, self.goal_xy)
            return self.predictor.predict(pixels, distance, bearing)
        if self.sketch is None:
            self._drop("image", "no /sketch received yet")
            return None
        if self.sketch_step == 0:
            self.predictor.set_sketch(self.sketch, np.asarray(pose))
        decision = self.predictor.predict(pixels, np.asarray(pose), self.sketch_step)
        self.sketch_step += 1
        return decision

    def _decision_msg(self, header, decision: Decision) -> ActionDecision:
        msg = ActionDecision(
            header=header,
            policy_name=self.predictor.name,
            action_names=list(ACTION_NAMES),
            q_values=decision.q_values.astype(np.float32).tolist(),
            chosen_action=int(decision.action),
            goal_info_names=GOAL_INFO_NAMES[self.mode],
            goal_info=np.asarray(decision.goal_info, np.float32).ravel().tolist(),
        )
        if decision.attention is not None:
            _, msg.attention_height, msg.attention_width = decision.attention.shape
            msg.attention = decision.attention.astype(np.float32).ravel().tolist()
        return msg

    def on_shutdown(self) -> None:
        """Leave the robot standing: a zero velocity as the node goes down."""
        if self.publish_cmd:
            self.cmd_pub.publish(Twist())
            self.cmd_pub.wait_for_all_acked(Duration(seconds=1.0))  # delivered before exit


def main(args: list[str] | None = None) -> None:
    """Entry point of ``policy_node``."""
    run_node(PolicyNode, "policy_node", args)


if __name__ == "__main__":
    main()
