"""The lab's explainable-AI tools as services, without the navigation stack (a workstation or the
robot): box-prompted SAM, the distilled ViT classifier and LiDAR Guided ODAM.

    ros2 launch xai_bringup tools.launch.py [sam:=true] [kd:=true] [lidar:=false] \
        [sam_checkpoint:=sam_em_prompt] [kd_checkpoint:=kd_student] [namespace:=/tools]

Services (relative to the namespace): /sam_node/segment_with_boxes (SegmentWithBoxes),
/kd_classifier_node/classify (ClassifyImage), /lidar_odam_node/detect (DetectObjects3D; the node
also explains /lidar/points when something publishes it). Parameters come from config/*.yaml.
Needs a full ROS 2 install (launch, launch_ros).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node, PushRosNamespace


def generate_launch_description() -> LaunchDescription:
    config = os.path.join(get_package_share_directory("xai_bringup"), "config")
    arg = LaunchConfiguration
    nodes = [
        PushRosNamespace(arg("namespace")),
        Node(
            package="xai_nodes",
            executable="sam_node",
            name="sam_node",
            output="screen",
            parameters=[
                os.path.join(config, "sam_node.yaml"),
                {"checkpoint": arg("sam_checkpoint"), "device": arg("device")},
            ],
            condition=IfCondition(arg("sam")),
        ),
        Node(
            package="xai_nodes",
            executable="kd_classifier_node",
            name="kd_classifier_node",
            output="screen",
            parameters=[
                os.path.join(config, "kd_classifier_node.yaml"),
                {"checkpoint": arg("kd_checkpoint"), "device": arg("device")},
            ],
            condition=IfCondition(arg("kd")),
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
    ]
    return LaunchDescription(
        [
            DeclareLaunchArgument("namespace", default_value="", description="ROS namespace"),
            DeclareLaunchArgument("sam", default_value="true", description="start sam_node"),
            DeclareLaunchArgument(
                "kd", default_value="true", description="start kd_classifier_node"
            ),
            DeclareLaunchArgument(
                "lidar", default_value="false", description="start lidar_odam_node"
            ),
            DeclareLaunchArgument(
                "sam_checkpoint",
                default_value="sam_em_prompt",
                description="SAM checkpoint (path or committed name)",
            ),
            DeclareLaunchArgument(
                "kd_checkpoint",
                default_value="kd_student",
                description="distilled student checkpoint (path or committed name)",
            ),
            DeclareLaunchArgument(
                "device", default_value="cpu", description="torch device of SAM and the student"
            ),
            DeclareLaunchArgument(
                "lidar_topic", default_value="/lidar/points", description="3D LiDAR PointCloud2"
            ),
            GroupAction(nodes),
        ]
    )
