"""The real Toyota HSR: the explaining stack on the head RGB-D camera, odometry and base.

    ros2 launch xai_bringup robot.launch.py bridge_key:=/keys/server.key_secret \
        allowed_clients:=/keys/allowed_clients [mode:=sketch] [dds_profile:=/path/profile.xml] \
        [lidar:=true lidar_topic:=/velodyne_points]

With lidar:=true, lidar_odam_node explains 3D detections on /xai/odam_cloud; add that topic to the
bridge's cloud_topics (config/hsr/hololens_bridge_node.yaml) to see it in the headset.

HSR topic names (hsrb_interface / tmc defaults) are the launch arguments' defaults; the robot's
parameters (safe speeds, stale timeouts, head camera mounting) come from config/hsr/*.yaml,
laid over the defaults in config/*.yaml.
Needs a full ROS 2 install (launch, launch_ros) on the robot or in docker/Dockerfile.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.conditions import IfCondition
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("xai_bringup")
    config = os.path.join(share, "config")
    arg = LaunchConfiguration
    forwarded = [
        "namespace",
        "mode",
        "policy_checkpoint",
        "seg_checkpoint",
        "bridge_endpoint",
        "bridge_key",
        "allowed_clients",
        "dds_profile",
        "color_topic",
        "depth_topic",
        "camera_info_topic",
        "odom_topic",
        "cmd_vel_topic",
    ]
    return LaunchDescription(
        [
            DeclareLaunchArgument("namespace", default_value="", description="ROS namespace"),
            DeclareLaunchArgument("mode", default_value="goal", description="goal or sketch"),
            DeclareLaunchArgument("policy_checkpoint", default_value="", description="policy"),
            DeclareLaunchArgument("seg_checkpoint", default_value="", description="segmenter"),
            DeclareLaunchArgument(
                "bridge_endpoint", default_value="tcp://*:5557", description="ZeroMQ endpoint"
            ),
            DeclareLaunchArgument("bridge_key", default_value="", description="CURVE secret"),
            DeclareLaunchArgument(
                "allowed_clients", default_value="", description="allowed client keys dir"
            ),
            DeclareLaunchArgument("dds_profile", default_value="", description="Fast DDS XML"),
            DeclareLaunchArgument(
                "color_topic",
                default_value="/hsrb/head_rgbd_sensor/rgb/image_rect_color",
                description="head camera RGB",
            ),
            DeclareLaunchArgument(
                "depth_topic",
                default_value="/hsrb/head_rgbd_sensor/depth_registered/image_rect_raw",
                description="head camera depth registered to RGB (16UC1 mm)",
            ),
            DeclareLaunchArgument(
                "camera_info_topic",
                default_value="/hsrb/head_rgbd_sensor/depth_registered/camera_info",
                description="head camera intrinsics",
            ),
            DeclareLaunchArgument(
                "odom_topic", default_value="/hsrb/odom", description="base odometry"
            ),
            DeclareLaunchArgument(
                "cmd_vel_topic",
                default_value="/hsrb/command_velocity",
                description="base velocity command",
            ),
            DeclareLaunchArgument(
                "lidar", default_value="false", description="start the LiDAR Guided ODAM node"
            ),
            DeclareLaunchArgument(
                "lidar_topic", default_value="/lidar/points", description="3D LiDAR PointCloud2"
            ),
            Node(
                package="xai_nodes",
                executable="lidar_odam_node",
                name="lidar_odam_node",
                output="screen",
                parameters=[os.path.join(config, "lidar_odam_node.yaml")],
                remappings=[("/lidar/points", arg("lidar_topic"))],
                condition=IfCondition(arg("lidar")),
            ),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(os.path.join(share, "launch", "explain.launch.py")),
                launch_arguments={
                    **{name: arg(name) for name in forwarded},
                    "robot": "hsr",  # config/hsr/*.yaml over config/*.yaml
                }.items(),
            ),
        ]
    )
