"""The simulated HSR and the whole explaining stack (the graph `make demo` runs).

    ros2 launch xai_bringup sim.launch.py layout:=office seed:=3 [use_ground_truth:=true]

sim_node publishes the topics explain.launch.py consumes under their default names and obeys
/cmd_vel (which the safety gate publishes). Needs a full ROS 2 install (launch, launch_ros); on
machines with only the PyPI wheels, scripts/run_demo.py starts this graph from this file
(xai_core.launch_runner) with the same YAML files.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("xai_bringup")
    config = os.path.join(share, "config")
    arg = LaunchConfiguration
    return LaunchDescription(
        [
            DeclareLaunchArgument("layout", default_value="", description="named layout or ''"),
            DeclareLaunchArgument("seed", default_value="0", description="first episode seed"),
            DeclareLaunchArgument("mode", default_value="goal", description="goal or sketch"),
            DeclareLaunchArgument(
                "use_ground_truth", default_value="false", description="skip the segmenter"
            ),
            DeclareLaunchArgument(
                "bridge_endpoint", default_value="tcp://*:5557", description="ZeroMQ endpoint"
            ),
            DeclareLaunchArgument("bridge_key", default_value="", description="CURVE secret"),
            DeclareLaunchArgument(
                "allowed_clients", default_value="", description="allowed client keys dir"
            ),
            Node(
                package="xai_nodes",
                executable="sim_node",
                name="sim_node",
                output="screen",
                parameters=[
                    os.path.join(config, "sim_node.yaml"),
                    {"layout": arg("layout"), "seed": arg("seed"), "mode": arg("mode")},
                ],
            ),
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(os.path.join(share, "launch", "explain.launch.py")),
                launch_arguments={
                    "mode": arg("mode"),
                    "use_ground_truth": arg("use_ground_truth"),
                    "bridge_endpoint": arg("bridge_endpoint"),
                    "bridge_key": arg("bridge_key"),
                    "allowed_clients": arg("allowed_clients"),
                }.items(),
            ),
        ]
    )
