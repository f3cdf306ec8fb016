"""policy_node closes the loop with sim_node over DDS: the episode equals the in-process one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Odometry
from sensor_msgs.msg import Image

from xai_core.nav.predictor import GoalNavPredictor
from xai_core.paths import resolve_checkpoint
from xai_interfaces.msg import ActionDecision, EpisodeStatus
from xai_nodes.conversions import header, image_msg, odometry_msg, pose_stamped, stamp_ns
from xai_nodes.qos import COMMAND, LATCHED, SENSOR

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
SEED, LAYOUT = 5, "office"
# The sim camera at the policy's resolution: the node sees exactly the training observation.
SIM_PARAMS = {
    "layout": LAYOUT,
    "seed": SEED,
    "control_rate_hz": 20.0,
    "auto_reset": False,
    "publish_rgb": False,
    "sim.camera.width": 84,
    "sim.camera.height": 84,
}
REMAP = {"/xai/semantic_color": "/xai/sim/semantic_color"}


def _in_process_episode() -> tuple[list[int], dict]:
    from xai_sim import IndoorNavEnv

    predictor = GoalNavPredictor.from_checkpoint(resolve_checkpoint("aqt_goal"))
    env = IndoorNavEnv(mode="goal")
    obs, _ = env.reset(seed=SEED, options={"layout": LAYOUT})
    actions, done = [], False
    while not done:
        goal = obs["goal"]
        action = predictor.predict(obs["semantic"], float(goal[0]), float(goal[1])).action
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    return actions, info


def test_policy_node_drives_the_sim_and_explains_each_decision(probe, launch) -> None:
    decisions: list[ActionDecision] = []
    images: list[int] = []
    statuses: list[EpisodeStatus] = []
    probe.node.create_subscription(ActionDecision, "/xai/decision", decisions.append, COMMAND)
    probe.node.create_subscription(
        Image, "/xai/sim/semantic_color", lambda m: images.append(stamp_ns(m.header.stamp)), SENSOR
    )
    probe.node.create_subscription(
        EpisodeStatus, "/xai/sim/episode_status", statuses.append, LATCHED
    )
    policy = launch("policy_node", params_files=[CONFIG / "policy_node.yaml"], remappings=REMAP)
    probe.spin_for(2.0)  # the policy has joined the graph before the first state
    sim = launch("sim_node", params_files=[CONFIG / "sim_node.yaml"], parameters=SIM_PARAMS)
    assert probe.spin_until(lambda: statuses and statuses[-1].done, 120.0), (
        f"{len(decisions)} decisions\n{policy.log_tail()}\n{sim.log_tail()}"
    )
    status = statuses[-1]
    actions, info = _in_process_episode()
    # Lockstep over DDS is the in-process episode: same actions, same outcome.
    assert status.step == info["step"] == len(actions)
    assert status.success == bool(info["is_success"]) and status.collisions == info["collisions"]
    assert [d.chosen_action for d in decisions[: len(actions)]] == actions

    first = decisions[0]
    assert first.policy_name == "aqt_goal" and list(first.action_names)[:2] == ["stop", "forward"]
    grids = np.array(first.attention).reshape(
        len(first.action_names), first.attention_height, first.attention_width
    )
    assert grids.shape[1:] == (first.attention_height, first.attention_width) != (0, 0)
    np.testing.assert_allclose(grids.sum(axis=(1, 2)), 1.0, atol=1e-4)
    assert first.chosen_action == int(np.argmax(first.q_values))
    # Every decision carries the stamp of the image it was computed from (images are best
    # effort: the probe itself may miss a few), one decision per state.
    stamps = [stamp_ns(d.header.stamp) for d in decisions]
    assert stamps == sorted(set(stamps))
    assert len(set(stamps) & set(images)) >= 0.9 * len(stamps)
    assert policy.alive() and sim.alive()


def test_policy_node_drops_bad_images_and_keeps_deciding(probe, launch) -> None:
    decisions: list[ActionDecision] = []
    probe.node.create_subscription(ActionDecision, "/xai/decision", decisions.append, COMMAND)
    policy = launch(
        "policy_node",
        params_files=[CONFIG / "policy_node.yaml"],
        parameters={"sync": "latest", "publish_cmd_vel": False},
    )
    image_pub = probe.node.create_publisher(Image, "/xai/semantic_color", SENSOR)
    odom_pub = probe.node.create_publisher(Odometry, "/odom", SENSOR)
    goal_pub = probe.node.create_publisher(PoseStamped, "/goal", LATCHED)
    pubs = (image_pub, odom_pub, goal_pub)
    assert probe.spin_until(lambda: all(p.get_subscription_count() for p in pubs), 30.0)
    stamp = probe.node.get_clock().now().to_msg()
    goal_pub.publish(pose_stamped(2.0, 0.0, 0.0, header(stamp, "odom")))

    def publish(pixels: np.ndarray, encoding: str) -> None:
        odom_pub.publish(odometry_msg(0.0, 0.0, 0.0, header(stamp, "odom"), "base_footprint"))
        image_pub.publish(image_msg(pixels, encoding, header(stamp, "camera")))

    bad = [
        (np.zeros((84, 84), np.uint8), "mono8"),  # labels, not the colour image
        (np.zeros((84, 84), np.float32), "32FC1"),
    ]
    for pixels, encoding in bad:  # best-effort QoS: resend until the node has seen one

        def dropped(pixels: np.ndarray = pixels, encoding: str = encoding) -> bool:
            publish(pixels, encoding)
            probe.spin_for(0.2)
            return f"got {encoding}" in policy.log_tail()

        assert probe.spin_until(dropped, 20.0), policy.log_tail()
    good = np.zeros((84, 84, 3), np.uint8)
    good[42:] = (128, 64, 128)

    def decided() -> bool:
        if not decisions:
            publish(good, "rgb8")
        return bool(decisions)

    assert probe.spin_until(decided, 30.0), policy.log_tail()
    assert len(decisions[-1].q_values) == 4
    assert policy.alive()
    log = policy.log_tail()
    assert "dropped image" in log and "need an rgb8 colour image" in log
