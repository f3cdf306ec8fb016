"""The explaining navigation stack, robot-agnostic: segmentation -> policy -> safety gate ->
base, attention cloud, HoloLens bridge. Included by robot / sim / replay launch files, which say
where the camera, odometry and base topics are.

    ros2 launch xai_bringup explain.launch.py color_topic:=/my/rgb depth_topic:=/my/depth ...

Needs a full ROS 2 install (launch, launch_ros). Here, scripts/run_demo.py starts the graph of
sim.launch.py from this file (xai_core.launch_runner) with the same YAML files.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, SetEnvironmentVariable
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import Node, PushRosNamespace


def generate_launch_description() -> LaunchDescription:
    config = os.path.join(get_package_share_directory("xai_bringup"), "config")
    arg = LaunchConfiguration
    sim_time = {"use_sim_time": arg("use_sim_time")}
    nodes = [
        PushRosNamespace(arg("namespace")),
        Node(
            package="xai_nodes",
            executable="segmentation_node",
            name="segmentation_node",
            output="screen",
            parameters=[
                os.path.join(config, "segmentation_node.yaml"),
                PathJoinSubstitution([config, arg("robot"), "segmentation_node.yaml"]),
                {"checkpoint": arg("seg_checkpoint"), "use_ground_truth": arg("use_ground_truth")},
                sim_time,
            ],
            remappings=[("/camera/color/image_raw", arg("color_topic"))],
        ),
        Node(
            package="xai_nodes",
            executable="policy_node",
            name="policy_node",
            output="screen",
            parameters=[
                os.path.join(config, "policy_node.yaml"),
                PathJoinSubstitution([config, arg("robot"), "policy_node.yaml"]),
                {"mode": arg("mode"), "checkpoint": arg("policy_checkpoint")},
                sim_time,
            ],
            # The policy's command goes through the safety gate.
            remappings=[("/odom", arg("odom_topic")), ("/cmd_vel", "/xai/cmd_vel_request")],
        ),
        Node(
            package="xai_nodes",
            executable="safety_node",
            name="safety_node",
            output="screen",
            parameters=[
                os.path.join(config, "safety_node.yaml"),
                PathJoinSubstitution([config, arg("robot"), "safety_node.yaml"]),
                sim_time,
            ],
            remappings=[
                ("/cmd_vel", arg("cmd_vel_topic")),
                ("/camera/depth/image_raw", arg("depth_topic")),
                ("/camera/depth/camera_info", arg("camera_info_topic")),
            ],
        ),
        Node(
            package="xai_nodes",
            executable="attention_cloud_node",
            name="attention_cloud_node",
            output="screen",
            parameters=[
                os.path.join(config, "attention_cloud_node.yaml"),
                PathJoinSubstitution([config, arg("robot"), "attention_cloud_node.yaml"]),
                sim_time,
            ],
            remappings=[
                ("/camera/depth/image_raw", arg("depth_topic")),
                ("/camera/depth/camera_info", arg("camera_info_topic")),
            ],
        ),
        Node(
            package="xai_nodes",
            executable="hololens_bridge_node",
            name="hololens_bridge_node",
            output="screen",
            parameters=[
                os.path.join(config, "hololens_bridge_node.yaml"),
                PathJoinSubstitution([config, arg("robot"), "hololens_bridge_node.yaml"]),
                {
                    "endpoint": arg("bridge_endpoint"),
                    "server_secret_key": arg("bridge_key"),
                    "allowed_clients_dir": arg("allowed_clients"),
                },
                sim_time,
            ],
            remappings=[("/odom", arg("odom_topic"))],
        ),
    ]
    return LaunchDescription(
        [
            DeclareLaunchArgument(
                "robot",
                default_value="sim",
                description="parameter overlay directory under config/ (sim, hsr)",
            ),
            DeclareLaunchArgument(
                "namespace", default_value="", description="ROS namespace of the whole stack"
            ),
            DeclareLaunchArgument(
                "mode",
                default_value="goal",
                description="goal (semantic image + /goal) or sketch (map + /sketch)",
            ),
            DeclareLaunchArgument(
                "policy_checkpoint",
                default_value="",
                description="navigation checkpoint (path or name); '' = aqt_goal / aqt_sketch",
            ),
            DeclareLaunchArgument(
                "seg_checkpoint",
                default_value="",
                description="segmentation checkpoint; '' = the committed one",
            ),
            DeclareLaunchArgument(
                "use_ground_truth",
                default_value="false",
                description="true: republish the simulator's labels instead of segmenting",
            ),
            DeclareLaunchArgument(
                "bridge_endpoint",
                default_value="tcp://*:5557",
                description="ZeroMQ endpoint of the HoloLens bridge",
            ),
            DeclareLaunchArgument(
                "bridge_key",
                default_value="",
                description="bridge's secret CURVE certificate (xai-bridge-keygen)",
            ),
            DeclareLaunchArgument(
                "allowed_clients",
                default_value="",
                description="directory of allowed client public certificates",
            ),
            DeclareLaunchArgument(
                "dds_profile",
                default_value="",
                description="Fast DDS XML profile ('' = keep the environment's)",
            ),
            DeclareLaunchArgument(
                "color_topic",
                default_value="/camera/color/image_raw",
                description="RGB image of the head camera",
            ),
            DeclareLaunchArgument(
                "depth_topic",
                default_value="/camera/depth/image_raw",
                description="registered depth image (32FC1 m or 16UC1 mm)",
            ),
            DeclareLaunchArgument(
                "camera_info_topic",
                default_value="/camera/depth/camera_info",
                description="depth camera_info",
            ),
            DeclareLaunchArgument("odom_topic", default_value="/odom", description="odometry"),
            DeclareLaunchArgument(
                "cmd_vel_topic",
                default_value="/cmd_vel",
                description="velocity command of the base (after the safety gate)",
            ),
            DeclareLaunchArgument(
                "use_sim_time", default_value="false", description="use /clock (bag replay)"
            ),
            SetEnvironmentVariable(
                "FASTDDS_DEFAULT_PROFILES_FILE",
                arg("dds_profile"),
                condition=IfCondition(PythonExpression(["'", arg("dds_profile"), "' != ''"])),
            ),
            GroupAction(nodes),
        ]
    )
