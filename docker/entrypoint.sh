#!/usr/bin/env bash
# Entry point of docker/Dockerfile: ROS 2 Jazzy + the colcon workspace, then the command
# (default: ros2 launch xai_bringup robot.launch.py).
set -e
# shellcheck disable=SC1091
source /opt/ros/jazzy/setup.bash
# shellcheck disable=SC1091
source /opt/xai/ros2_ws/install/setup.bash
exec "$@"
