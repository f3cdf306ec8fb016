"""Replay a recorded run through the current models: a bag's sensor topics -> the explaining stack.

    ros2 launch xai_bringup replay.launch.py bag:=out/demo/run rate:=1.0 [robot:=hsr ...]

bag_player_node publishes only the recorded *inputs* (camera, depth, odometry, goal, sketch) with
their original timing and /clock; the stack (use_sim_time) recomputes segmentation, decisions
and attention clouds, which `xai-bag record` can capture and `xai-eval` can compare with the
original run. The base command stays on /xai/replay/cmd_vel so nothing drives. Topic names are
the simulator's by default; pass the robot's for an HSR bag.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

# The recorded inputs; decisions, labels and clouds are recomputed by the stack.
INPUT_TOPICS = [
    "/camera/color/image_raw",
    "/camera/depth/image_raw",
    "/camera/depth/camera_info",
    "/odom",
    "/goal",
    "/sketch",
    "/xai/sim/topdown",
]


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("xai_bringup")
    config = os.path.join(share, "config")
    arg = LaunchConfiguration
    return LaunchDescription(
        [
            DeclareLaunchArgument("bag", description="bag directory or .mcap / .db3 file"),
            DeclareLaunchArgument("rate", default_value="1.0", description="playback rate"),
            DeclareLaunchArgument("robot", default_value="sim", description="sim or hsr"),
            DeclareLaunchArgument(
                "bridge_endpoint", default_value="tcp://*:5557", description="ZeroMQ endpoint"
            ),
            DeclareLaunchArgument("bridge_key", default_value="", description="CURVE secret"),
            DeclareLaunchArgument(
                "allowed_clients", default_value="", description="allowed client keys dir"
            ),
            Node(
                package="xai_nodes",
                executable="bag_player_node",
                name="bag_player_node",
                output="screen",
                parameters=[
                    os.path.join(config, "bag_player_node.yaml"),
                    {
                        "bag": arg("bag"),
                        "rate": arg("rate"),
                        "publish_clock": True,
                        "topics": INPUT_TOPICS,
                    },
                ],
            ),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(os.path.join(share, "launch", "explain.launch.py")),
                launch_arguments={
                    "robot": arg("robot"),
                    "use_sim_time": "true",
                    "cmd_vel_topic": "/xai/replay/cmd_vel",
                    "bridge_endpoint": arg("bridge_endpoint"),
                    "bridge_key": arg("bridge_key"),
                    "allowed_clients": arg("allowed_clients"),
                }.items(),
            ),
        ]
    )
