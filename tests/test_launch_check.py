"""xai_core.launch_check on synthetic workspaces: each kind of launch breakage is reported.

Every test builds a small colcon workspace in tmp_path (a node package with console scripts and
a bringup package with launch files and YAML), breaks one thing, and checks that the problem
names the launch file, the node and the item.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from xai_core import launch_check as lc

TALKER = '''
"""A node using every declaration form the checker reads."""
from dataclasses import asdict

from rclpy.node import Node
from rclpy.parameter import Parameter
from std_msgs.msg import String

from xai_core.nav.actions import TwistMapping
from xai_nodes.params import declare_config

DEFAULTS = {"queue": 5, "gain": 0.5}


class Talker(Node):
    def __init__(self):
        super().__init__("talker")
        self.rate = self.declare_parameter("rate_hz", 10.0).value
        declare = self.declare_parameter
        frame = declare("frame_id", "map").value
        topics = list(declare("extra_topics", ["/extra/a", "/extra/b"]).value)
        p = {n: self.declare_parameter(n, d).value for n, d in [("flag", True), ("name", "x")]}
        q = {n: self.declare_parameter(n, d).value for n, d in DEFAULTS.items()}
        self.robot = self.declare_parameter("robot_id", Parameter.Type.STRING).value
        self.mapping = TwistMapping(**declare_config(self, "cmd_vel", asdict(TwistMapping())))
        self.pub = self.create_publisher(String, "/chatter", 10)
        sub = self.create_subscription
        sub(String, "/cmd", self.on_cmd, 10)
        for topic in topics:
            sub(String, topic, self.on_cmd, 10)
        for kind in ("left", "right"):
            self.create_publisher(String, f"/wheel/{kind}", 10)
        self.create_service(String, "~/reset", self.on_reset)

    def on_cmd(self, msg):
        pass

    def on_reset(self, request, response):
        return response


def main():
    pass
'''

SETUP_NODES = """
from setuptools import setup

package_name = "demo_nodes"

setup(
    name=package_name,
    packages=[package_name],
    entry_points={
        "console_scripts": [
            "talker = demo_nodes.talker:main",
            f"listener = {package_name}.listener:main",
        ],
    },
)
"""

LISTENER = """
from rclpy.node import Node


class Listener(Node):
    def __init__(self):
        super().__init__("listener")
        self.declare_parameter("verbose", False)
        self.create_subscription(str, "chatter", print, 10)


def main():
    pass
"""

SETUP_BRINGUP = """
from glob import glob

from setuptools import setup

package_name = "demo_bringup"

setup(
    name=package_name,
    data_files=[
        (f"share/{package_name}", ["package.xml"]),
        (f"share/{package_name}/launch", glob("launch/*.launch.py")),
        (f"share/{package_name}/config", glob("config/*.yaml")),
        (f"share/{package_name}/config/hsr", glob("config/hsr/*.yaml")),
    ],
)
"""

TALKER_YAML = """
talker:
  ros__parameters:
    rate_hz: 20.0
    frame_id: odom
    robot_id: hsr1
    flag: false
    queue: 3
    cmd_vel:
      linear_speed_mps: 0.2
"""

GOOD_LAUNCH = """
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    config = os.path.join(get_package_share_directory("demo_bringup"), "config")
    return LaunchDescription([
        DeclareLaunchArgument("rate", default_value="5.0"),
        Node(
            package="demo_nodes",
            executable="talker",
            name="talker",
            parameters=[
                os.path.join(config, "talker.yaml"),
                {"rate_hz": LaunchConfiguration("rate"), "name": "t1"},
            ],
            remappings=[("/chatter", "/speech"), ("~/reset", "/reset_talker")],
        ),
        Node(package="demo_nodes", executable="listener", remappings=[("chatter", "/speech")]),
    ])
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def _package_xml(name: str) -> str:
    return f"<package><name>{name}</name><version>0.0.0</version></package>\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace ``src`` with demo_nodes (talker, listener) and demo_bringup."""
    src = tmp_path / "src"
    nodes = src / "demo_nodes"
    _write(nodes / "package.xml", _package_xml("demo_nodes"))
    _write(nodes / "setup.py", SETUP_NODES)
    _write(nodes / "demo_nodes" / "__init__.py", "")
    _write(nodes / "demo_nodes" / "talker.py", TALKER)
    _write(nodes / "demo_nodes" / "listener.py", LISTENER)
    bringup = src / "demo_bringup"
    _write(bringup / "package.xml", _package_xml("demo_bringup"))
    _write(bringup / "setup.py", SETUP_BRINGUP)
    _write(bringup / "config" / "talker.yaml", TALKER_YAML)
    _write(bringup / "launch" / "good.launch.py", GOOD_LAUNCH)
    return src


def _launch(ws: Path, name: str, text: str) -> Path:
    return _write(ws / "demo_bringup" / "launch" / name, text)


def _broken(ws: Path, old: str, new: str, name: str = "broken.launch.py") -> Path:
    text = textwrap.dedent(GOOD_LAUNCH)
    assert old in text, old
    return _launch(ws, name, text.replace(old, new))


def _one(problems: list[str], *needles: str) -> str:
    """The single problem, which must contain every needle."""
    assert len(problems) == 1, problems
    for needle in needles:
        assert needle in problems[0], (needle, problems[0])
    return problems[0]


# -- the reading side ---------------------------------------------------------------------------


def test_node_interface_reads_every_declaration_form(ws: Path) -> None:
    interface = lc.node_interface(ws / "demo_nodes", "demo_nodes.talker")
    assert interface.node_name == "talker"
    params = interface.parameters
    assert params["rate_hz"].default == 10.0 and params["rate_hz"].ros_type == "double"
    assert params["frame_id"].ros_type == "string"  # through the `declare` alias
    assert params["extra_topics"].ros_type == "string_array"
    assert {"flag", "name", "queue", "gain"} <= set(params)  # comprehensions, module dict
    assert params["robot_id"].required and params["robot_id"].ros_type == "string"
    assert params["cmd_vel.max_linear_mps"].default == 1.0  # declare_config(asdict(TwistMapping()))
    assert interface.publishers.keys() == {"/chatter", "/wheel/left", "/wheel/right"}
    assert interface.subscriptions.keys() == {"/cmd", "/extra/a", "/extra/b"}
    assert interface.services.keys() == {"~/reset"}
    assert not interface.unresolved_names and not interface.unresolved_parameters


def test_node_interface_expands_sim_config(ws: Path) -> None:
    _write(
        ws / "demo_nodes" / "demo_nodes" / "sim.py",
        """
        from rclpy.node import Node
        from xai_nodes.params import declare_config
        from xai_sim import SimConfig

        class Sim(Node):
            def __init__(self):
                super().__init__("sim")
                declare_config(self, "sim", SimConfig().to_dict())
        """,
    )
    params = lc.node_interface(ws / "demo_nodes", "demo_nodes.sim").parameters
    assert params["sim.camera.tilt_deg"].ros_type == "double"
    assert params["sim.episode.max_steps"].ros_type == "integer"
    assert "sim.observe_topdown" not in params  # None leaves are not declared


def test_console_scripts_and_yaml_parameters(ws: Path) -> None:
    scripts = lc.console_scripts(ws / "demo_nodes" / "setup.py")
    assert scripts == {
        "talker": "demo_nodes.talker:main",
        "listener": "demo_nodes.listener:main",
    }
    sections = lc.yaml_parameters(ws / "demo_bringup" / "config" / "talker.yaml")
    assert sections["talker"] >= {"rate_hz", "cmd_vel.linear_speed_mps"}


def test_parse_launch_file(ws: Path) -> None:
    spec = lc.parse_launch_file(ws / "demo_bringup" / "launch" / "good.launch.py")
    talker, listener = spec.nodes
    assert (talker.package, talker.executable, talker.name) == ("demo_nodes", "talker", "talker")
    assert talker.parameter_files == [lc.SharePath("demo_bringup", "config/talker.yaml")]
    assert talker.overrides == {"rate_hz": lc.LaunchArg("rate"), "name": "t1"}
    assert talker.remappings == [("/chatter", "/speech"), ("~/reset", "/reset_talker")]
    assert listener.name is None
    assert spec.arguments == {"rate": "5.0"}
    assert spec.used_arguments == {"rate": [spec.nodes[0].line + 6]}
    assert not spec.undeclared_arguments


def test_a_consistent_launch_file_has_no_problems(ws: Path) -> None:
    assert lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py") == []
    assert lc.check_configs(ws / "demo_bringup" / "config") == []


# -- each kind of breakage ----------------------------------------------------------------------


def test_misspelled_executable(ws: Path) -> None:
    path = _broken(ws, 'executable="talker"', 'executable="talkr"')
    _one(
        lc.check_launch(path),
        "broken.launch.py",
        "node 'talker'",
        "executable 'talkr'",
        "demo_nodes",
        "did you mean 'talker'",
    )


def test_unknown_package(ws: Path) -> None:
    path = _broken(
        ws,
        'package="demo_nodes",\n            executable="talker"',
        'package="demo_node",\n            executable="talker"',
    )
    _one(lc.check_launch(path), "broken.launch.py", "package 'demo_node'", "demo_nodes")


def test_undeclared_yaml_parameter(ws: Path) -> None:
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("rate_hz: 20.0", "rate_hzz: 20.0"),
    )
    problem = _one(
        lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py"),
        "good.launch.py",
        "node 'talker'",
        "parameter 'rate_hzz'",
        "config/talker.yaml",
        "talker.py",
        "did you mean 'rate_hz'",
    )
    assert "line" in problem
    _one(lc.check_configs(ws / "demo_bringup" / "config"), "talker.yaml", "'rate_hzz'")


def test_undeclared_dotted_parameter_of_a_config_dataclass(ws: Path) -> None:
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("linear_speed_mps", "linear_speed"),
    )
    _one(
        lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py"),
        "parameter 'cmd_vel.linear_speed'",
        "did you mean 'cmd_vel.linear_speed_mps'",
    )


def test_yaml_value_of_the_wrong_ros_type(ws: Path) -> None:
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("rate_hz: 20.0", "rate_hz: 20"),
    )
    _one(
        lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py"),
        "node 'talker'",
        "parameter 'rate_hz'",
        "integer",
        "double",
    )


def test_yaml_scalars_are_typed_like_rcl_does(ws: Path) -> None:
    # rcl reads 2e1 as a double (PyYAML alone: a string) and a quoted "1.5" as a string.
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("rate_hz: 20.0", 'rate_hz: 2e1\n    name: "1.5"'),
    )
    assert lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py") == []
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("rate_hz: 20.0", "rate_hz: 20.0\n    name:"),
    )
    _one(lc.check_configs(ws / "demo_bringup" / "config"), "'name'", "has no value")


def test_launch_argument_default_of_the_wrong_type(ws: Path) -> None:
    path = _broken(ws, 'default_value="5.0"', 'default_value="5"')
    _one(lc.check_launch(path), "parameter 'rate_hz'", "launch argument 'rate'", "integer")


def test_undeclared_override_key(ws: Path) -> None:
    path = _broken(ws, '"name": "t1"', '"nmae": "t1"')
    _one(
        lc.check_launch(path),
        "broken.launch.py",
        "node 'talker'",
        "parameter 'nmae'",
        "override",
        "did you mean 'name'",
    )


def test_bad_remap(ws: Path) -> None:
    path = _broken(ws, '("/chatter", "/speech")', '("/chater", "/speech")')
    _one(
        lc.check_launch(path),
        "broken.launch.py",
        "node 'talker'",
        "remapping '/chater'",
        "did you mean '/chatter'",
    )


def test_relative_and_private_remaps_are_expanded(ws: Path) -> None:
    # listener subscribes "chatter" (relative); "/chatter" names the same topic at the root.
    path = _broken(ws, '("chatter", "/speech")', '("/chatter", "/speech")')
    assert lc.check_launch(path) == []
    path = _broken(ws, '("~/reset", "/reset_talker")', '("~/restart", "/x")')
    _one(lc.check_launch(path), "remapping '~/restart'")


def test_invalid_remap_target(ws: Path) -> None:
    path = _broken(ws, '("/chatter", "/speech")', '("/chatter", "/spe ech")')
    _one(lc.check_launch(path), "'/spe ech' is not a valid ROS name")


def test_undeclared_launch_argument(ws: Path) -> None:
    path = _broken(ws, 'LaunchConfiguration("rate")', 'LaunchConfiguration("rate_hz")')
    problems = lc.check_launch(path)
    assert any(
        "broken.launch.py" in p
        and "launch argument 'rate_hz'" in p
        and "never declared" in p
        and "line" in p
        for p in problems
    ), problems


def test_missing_and_uninstalled_parameter_files(ws: Path) -> None:
    path = _broken(ws, '"talker.yaml"', '"talkr.yaml"')
    _one(lc.check_launch(path), "node 'talker'", "config/talkr.yaml", "does not exist")
    _write(ws / "demo_bringup" / "config" / "extra" / "talker.yaml", TALKER_YAML)
    path = _broken(ws, '(config, "talker.yaml")', '(config, "extra", "talker.yaml")')
    _one(lc.check_launch(path), "config/extra/talker.yaml", "does not install it")


def test_yaml_section_not_matching_the_node_name(ws: Path) -> None:
    path = _broken(ws, 'name="talker"', 'name="talker_1"')
    problems = lc.check_launch(path)
    assert len(problems) == 2, problems
    assert "node 'talker_1'" in problems[0] and "no section for node 'talker_1'" in problems[0]
    assert "sections: talker" in problems[0] and "config/talker.yaml" in problems[0]
    # ... so the required parameter set there is missing too.
    assert "'robot_id' has no default" in problems[1]


def test_required_parameter_not_set(ws: Path) -> None:
    _write(
        ws / "demo_bringup" / "config" / "talker.yaml",
        TALKER_YAML.replace("    robot_id: hsr1\n", ""),
    )
    _one(
        lc.check_launch(ws / "demo_bringup" / "launch" / "good.launch.py"),
        "node 'talker'",
        "'robot_id' has no default",
    )
    _one(lc.check_configs(ws / "demo_bringup" / "config"), "required parameter 'robot_id'")


def test_nodes_made_by_a_helper_function_are_checked_per_call(ws: Path) -> None:
    path = _launch(
        ws,
        "helper.launch.py",
        """
        import os
        from launch import LaunchDescription
        from launch_ros.actions import Node
        from launch_ros.substitutions import FindPackageShare
        from launch.substitutions import PathJoinSubstitution

        def node(executable, **kwargs):
            config = PathJoinSubstitution([FindPackageShare("demo_bringup"), "config"])
            return Node(package="demo_nodes", executable=executable, name=executable,
                        parameters=[PathJoinSubstitution([config, f"{executable}.yaml"])], **kwargs)

        def generate_launch_description():
            return LaunchDescription([
                node("talker", remappings=[("/chatter", "/a")]),
                node("talker", remappings=[("/chattr", "/b")]),
            ])
        """,
    )
    _one(lc.check_launch(path), "helper.launch.py", "remapping '/chattr'")


def test_includes(ws: Path) -> None:
    _write(
        ws / "demo_bringup" / "config" / "hsr" / "talker.yaml",
        "talker:\n  ros__parameters:\n    rate: 1.0\n",
    )
    _launch(
        ws,
        "child.launch.py",
        """
        from launch import LaunchDescription
        from launch.actions import DeclareLaunchArgument
        from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
        from launch_ros.actions import Node
        from launch_ros.substitutions import FindPackageShare

        def generate_launch_description():
            share = FindPackageShare("demo_bringup")
            return LaunchDescription([
                DeclareLaunchArgument("robot", default_value=""),
                DeclareLaunchArgument("needed"),
                Node(package="demo_nodes", executable="talker", name="talker", parameters=[
                    PathJoinSubstitution([share, "config", "talker.yaml"]),
                    PathJoinSubstitution(
                        [share, "config", LaunchConfiguration("robot"), "talker.yaml"]
                    ),
                ]),
            ])
        """,
    )
    parent = _launch(
        ws,
        "parent.launch.py",
        """
        import os
        from ament_index_python.packages import get_package_share_directory
        from launch import LaunchDescription
        from launch.actions import IncludeLaunchDescription
        from launch.launch_description_sources import PythonLaunchDescriptionSource

        def generate_launch_description():
            share = get_package_share_directory("demo_bringup")
            return LaunchDescription([
                IncludeLaunchDescription(
                    PythonLaunchDescriptionSource(os.path.join(share, "launch", "child.launch.py")),
                    launch_arguments={"robot": "hsr", "colour": "red"}.items(),
                ),
                IncludeLaunchDescription(
                    PythonLaunchDescriptionSource(
                        os.path.join(share, "launch", "missing.launch.py")
                    ),
                ),
            ])
        """,
    )
    problems = lc.check_launch(parent)
    assert len(problems) == 4, problems
    text = "\n".join(problems)
    assert "passes launch argument 'colour' that child.launch.py does not declare" in text
    assert "requires launch argument 'needed'" in text
    assert "missing.launch.py" in text and "does not exist" in text
    # The child checked again with robot:='hsr' picks config/hsr/talker.yaml and its typo.
    assert "with robot:='hsr'" in text and "parameter 'rate'" in text and "hsr/talker.yaml" in text


def test_unresolvable_declarations_are_named_not_passed(ws: Path) -> None:
    _write(
        ws / "demo_nodes" / "demo_nodes" / "listener.py",
        LISTENER.replace(
            'self.declare_parameter("verbose", False)', "self.declare_parameter(self.get_name(), 1)"
        ),
    )
    _write(
        ws / "demo_bringup" / "config" / "listener.yaml",
        "listener:\n  ros__parameters:\n    verbose: true\n",
    )
    path = _broken(
        ws,
        'executable="listener",',
        'executable="listener", parameters=[os.path.join(config, "listener.yaml")],',
    )
    problem = _one(
        lc.check_launch(path), "parameter 'verbose'", "cannot resolve", "listener.py line(s) 7"
    )
    assert "CONFIG_CLASSES" in problem


def test_syntax_error_is_reported(ws: Path) -> None:
    path = _launch(ws, "bad.launch.py", "def generate_launch_description(:\n")
    _one(lc.check_launch(path), "bad.launch.py", "does not parse")
