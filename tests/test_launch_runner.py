"""launch_runner: the graph a launch file would start, read statically (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from xai_core.launch_runner import plan_launch

LAUNCH = Path(__file__).resolve().parents[1] / "ros2_ws" / "src" / "xai_bringup" / "launch"


def test_sim_launch_plans_the_closed_loop_with_typed_arguments() -> None:
    nodes = {n.name: n for n in plan_launch(LAUNCH / "sim.launch.py", {"seed": "3"})}
    assert set(nodes) == {
        "sim_node",
        "segmentation_node",
        "policy_node",
        "safety_node",
        "attention_cloud_node",
        "hololens_bridge_node",
    }
    assert nodes["sim_node"].parameters["seed"] == 3  # YAML-typed like launch_ros does
    assert nodes["segmentation_node"].parameters["use_ground_truth"] is False
    assert nodes["policy_node"].remappings["/cmd_vel"] == "/xai/cmd_vel_request"
    files = [p.as_posix() for p in nodes["safety_node"].params_files]
    assert files[0].endswith("xai_bringup/config/safety_node.yaml")
    assert files[1].endswith("xai_bringup/config/sim/safety_node.yaml")


def test_robot_launch_uses_hsr_topics_and_the_lidar_switch() -> None:
    plain = {n.name: n for n in plan_launch(LAUNCH / "robot.launch.py")}
    assert "lidar_odam_node" not in plain
    assert plain["safety_node"].remappings["/cmd_vel"] == "/hsrb/command_velocity"
    assert plain["policy_node"].params_files[-1].parent.name == "hsr"
    with_lidar = {n.name for n in plan_launch(LAUNCH / "robot.launch.py", {"lidar": "true"})}
    assert "lidar_odam_node" in with_lidar


def test_required_argument_missing_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"required launch argument.*bag"):
        plan_launch(LAUNCH / "replay.launch.py")
    nodes = {n.name: n for n in plan_launch(LAUNCH / "replay.launch.py", {"bag": "out/run"})}
    assert nodes["bag_player_node"].parameters["bag"] == "out/run"
    assert nodes["policy_node"].parameters["use_sim_time"] is True
