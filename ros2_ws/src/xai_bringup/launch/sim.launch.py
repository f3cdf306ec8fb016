"""Simulator graph: sim_node + scripted driver (the policy and attention nodes join later).

    ros2 launch xai_bringup sim.launch.py layout:=office seed:=3

Needs a full ROS 2 install (launch, launch_ros). On machines with only the PyPI wheels,
`make demo` starts the same nodes with the same YAML files as processes (scripts/run_demo.py).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    config = os.path.join(get_package_share_directory("xai_bringup"), "config")
    layout = LaunchConfiguration("layout")
    seed = LaunchConfiguration("seed")
    return LaunchDescription(
        [
            DeclareLaunchArgument("layout", default_value="", description="named layout or ''"),
            DeclareLaunchArgument("seed", default_value="0", description="first episode seed"),
            Node(
                package="xai_nodes",
                executable="sim_node",
                name="sim_node",
                output="screen",
                parameters=[
                    os.path.join(config, "sim_node.yaml"),
                    {"layout": layout, "seed": seed},
                ],
            ),
            Node(
                package="xai_nodes",
                executable="scripted_driver_node",
                name="scripted_driver_node",
                output="screen",
                parameters=[os.path.join(config, "scripted_driver_node.yaml")],
            ),
        ]
    )
