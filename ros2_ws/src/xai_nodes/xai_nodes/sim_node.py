"""sim_node: the pure-Python indoor simulator (xai_sim) as a ROS 2 robot.

Publishes what the HSR head RGB-D camera and base publish (colour, depth, camera_info, odom),
the current sub-goal on /goal, and ground truth for evaluation (semantic labels, top-down map,
plan, sketch, episode status); obeys /cmd_vel. Each control tick executes the latest command
(mapped to stop / forward / left / right), renders, and publishes everything with one stamp.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from inspect import signature

from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry, Path
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image

from xai_core.nav.actions import (
    STOP,
    InvalidCommand,
    TwistMapping,
    action_to_twist,
    twist_to_action,
)
from xai_interfaces.msg import EpisodeStatus
from xai_interfaces.srv import ResetEpisode
from xai_nodes import conversions as conv
from xai_nodes.params import declare_config, reject_unknown_overrides
from xai_nodes.qos import COMMAND, LATCHED, SENSOR
from xai_nodes.runner import run_node
from xai_sim import IndoorNavEnv, SimConfig, TickScheduler


class SimNode(Node):
    """ROS 2 face of :class:`xai_sim.IndoorNavEnv` (topics and parameters: README)."""

    def __init__(self) -> None:
        super().__init__("sim_node")
        p = {
            name: self.declare_parameter(name, default).value
            for name, default in [
                ("mode", "goal"),
                ("layout", ""),
                ("seed", 0),
                ("sketch_id", ""),
                ("control_rate_hz", 5.0),
                ("step_on_command", True),
                ("idle_publish_period_s", 0.5),
                ("cmd_timeout_s", 0.5),
                ("auto_reset", True),
                ("reset_delay_s", 1.0),
                ("publish_rgb", True),
                ("odom_frame", "odom"),
                ("base_frame", "base_footprint"),
                ("camera_frame", "head_rgbd_sensor_rgb_frame"),
            ]
        }
        self.p = p
        config = SimConfig.from_dict(declare_config(self, "sim", SimConfig().to_dict()))
        self.mapping = TwistMapping(**declare_config(self, "cmd_vel", asdict(TwistMapping())))
        reject_unknown_overrides(self)
        self.env = IndoorNavEnv(config, mode=p["mode"], layout=p["layout"] or None)
        self.camera = config.camera
        self.topdown_size = config.topdown_size
        self.episode = 0
        self.next_seed = int(p["seed"])
        # Timing parameters share TickScheduler's argument names (step_on_command, ...).
        self.scheduler = TickScheduler(**{k: p[k] for k in signature(TickScheduler).parameters})
        self.rejected_commands = 0
        self.last_action = STOP

        pub = self.create_publisher
        self.color_pub = pub(Image, "/camera/color/image_raw", SENSOR)
        self.depth_pub = pub(Image, "/camera/depth/image_raw", SENSOR)
        self.info_pub = pub(CameraInfo, "/camera/depth/camera_info", SENSOR)
        self.color_info_pub = pub(CameraInfo, "/camera/color/camera_info", SENSOR)
        self.labels_pub = pub(Image, "/xai/sim/semantic", SENSOR)
        self.semantic_pub = pub(Image, "/xai/sim/semantic_color", SENSOR)
        self.topdown_pub = pub(Image, "/xai/sim/topdown", SENSOR)
        self.odom_pub = pub(Odometry, "/odom", SENSOR)
        self.goal_pub = pub(PoseStamped, "/goal", LATCHED)
        self.final_goal_pub = pub(PoseStamped, "/xai/sim/final_goal", LATCHED)
        self.plan_pub = pub(Path, "/xai/sim/plan", LATCHED)
        self.sketch_pub = pub(Path, "/sketch", LATCHED)
        self.status_pub = pub(EpisodeStatus, "/xai/sim/episode_status", LATCHED)
        self.create_subscription(Twist, "/cmd_vel", self._on_cmd_vel, COMMAND)
        self.create_service(ResetEpisode, "~/reset", self._on_reset)

        self._reset(p["layout"], p["sketch_id"], seed=None)
        self.create_timer(1.0 / float(p["control_rate_hz"]), self._tick)
        self.get_logger().info(
            f"sim_node ready: mode={p['mode']} layout={p['layout'] or 'procedural'} "
            f"camera {self.camera.width}x{self.camera.height} at {p['control_rate_hz']} Hz"
        )

    def _on_cmd_vel(self, msg: Twist) -> None:
        lin, ang = msg.linear, msg.angular
        try:
            action = twist_to_action((lin.x, lin.y, lin.z), (ang.x, ang.y, ang.z), self.mapping)
        except InvalidCommand as error:
            self.rejected_commands += 1
            self.get_logger().warning(
                f"dropped /cmd_vel: {error} ({self.rejected_commands} dropped so far)"
            )
            return
        self.scheduler.command(action, self.get_clock().now().nanoseconds * 1e-9)

    def _on_reset(self, request: ResetEpisode.Request, response: ResetEpisode.Response):
        if request.mode and request.mode not in ("goal", "sketch"):
            response.success = False
            response.message = f"unknown mode '{request.mode}'; use 'goal' or 'sketch'"
            return response
        if request.mode:
            self.env.mode = request.mode
        seed = int(request.seed) if request.seed >= 0 else None
        try:
            self._reset(request.layout, request.sketch_id, seed)
        except (ValueError, KeyError) as error:
            response.success = False
            response.message = f"reset refused: {error}"
            self.get_logger().warning(response.message)
            return response
        response.success = True
        response.message = self._describe()
        return response

    def _reset(self, layout: str, sketch_id: str, seed: int | None) -> None:
        options = {"layout": layout or None}
        if sketch_id:
            options["sketch"] = sketch_id
        if seed is None:
            seed, self.next_seed = self.next_seed, self.next_seed + 1
        self.env.reset(seed=seed, options=options)  # raises ValueError on bad names: state kept
        self.episode += 1
        self.seed = seed
        self.scheduler.episode_started()
        self.state_stamp = self.get_clock().now().to_msg()
        self._publish_episode_geometry()
        self.get_logger().info(f"episode {self.episode}: {self._describe()}")

    def _describe(self) -> str:
        s = self.env.episode_status()
        return (
            f"seed {self.seed}, layout {self.env.layout_name}, {s.num_subgoals} sub-goals, "
            f"{s.distance_to_goal:.2f} m to goal"
        )

    def _tick(self) -> None:
        now = self.get_clock().now()
        now_s = now.nanoseconds * 1e-9
        plan = self.scheduler.tick(now_s, self.env.episode_status().done)
        if plan.reset:
            self._reset(self.p["layout"], self.p["sketch_id"], seed=None)
        if plan.action is not None:
            self.last_action = plan.action
            self.env.step(plan.action)
            self.state_stamp = now.to_msg()
        if plan.publish:
            # A finished episode republishes only its status (a republished state means "still
            # waiting for its command" to the policy).
            if plan.action is None and not plan.reset and self.env.episode_status().done:
                self._publish_status()
            else:
                self._publish_sensors()
            self.scheduler.published(now_s)

    def _publish_episode_geometry(self) -> None:
        header = conv.header(self.get_clock().now().to_msg(), self.p["odom_frame"])
        gx, gy = self.env.goal_xy
        self.final_goal_pub.publish(conv.pose_stamped(gx, gy, 0.0, header))
        self.plan_pub.publish(conv.path_msg(self.env.subgoals, header))
        if self.env.sketch is not None:
            self.sketch_pub.publish(conv.path_msg(self.env.sketch.waypoints, header))

    def _publish_sensors(self) -> None:
        # Stamped with the time the state was produced: a republished, unchanged state keeps
        # its stamp, so consumers can tell it from a new one (one decision per state).
        stamp = self.state_stamp
        cam_header = conv.header(stamp, self.p["camera_frame"])
        odom_header = conv.header(stamp, self.p["odom_frame"])
        frame = self.env.render_camera(
            self.camera.width, self.camera.height, with_rgb=self.p["publish_rgb"]
        )
        color = frame.rgb if frame.rgb is not None else frame.semantic_rgb
        self.color_pub.publish(conv.image_msg(color, "rgb8", cam_header))
        self.depth_pub.publish(conv.image_msg(frame.depth_m, "32FC1", cam_header))
        info = conv.camera_info_msg(frame.K, self.camera.width, self.camera.height, cam_header)
        self.info_pub.publish(info)
        self.color_info_pub.publish(info)
        self.labels_pub.publish(conv.image_msg(frame.labels, "mono8", cam_header))
        self.semantic_pub.publish(conv.image_msg(frame.semantic_rgb, "rgb8", cam_header))
        x, y, yaw = self.env.pose
        topdown = self.env.render_topdown(self.topdown_size)
        self.topdown_pub.publish(conv.image_msg(topdown, "rgb8", odom_header))
        vx, wz = action_to_twist(self.last_action, self.mapping)
        self.odom_pub.publish(
            conv.odometry_msg(x, y, yaw, odom_header, self.p["base_frame"], vx, wz)
        )
        sx, sy = self.env.subgoal_xy
        self.goal_pub.publish(conv.pose_stamped(sx, sy, math.atan2(sy - y, sx - x), odom_header))
        self._publish_status()

    def _publish_status(self) -> None:
        msg = conv.episode_status_msg(
            self.env.episode_status(),
            conv.header(self.state_stamp, self.p["odom_frame"]),
            mode=self.env.mode,
            layout=self.env.layout_name,
            episode=self.episode,
            max_steps=self.env.max_steps,
            sketch_id="" if self.env.sketch is None else self.env.sketch.id,
        )
        self.status_pub.publish(msg)


def main(args: list[str] | None = None) -> None:
    """Entry point of ``sim_node``."""
    run_node(SimNode, "sim_node", args)
