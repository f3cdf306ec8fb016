"""demo_recorder_node: records the closed-loop demo as seen over DDS and writes its outputs.

Pairs, by stamp, the camera image, the segmentation the policy saw, depth, the top-down map and
the policy's decision, and per episode counts steps, collisions, success and the decision
latency (image stamp -> decision received here). When ``episodes`` episodes have ended it writes
to ``output_dir``: ``episode.gif`` (first episode: camera with the chosen action's attention |
segmentation | depth | top-down path), ``attention_cloud.png`` (the coloured point cloud seen
from behind the robot), ``summary.json`` and ``summary.txt``; then it exits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Image, PointCloud2

from xai_core.attention import normalize, overlay
from xai_core.cloud_render import render_cloud_snapshot
from xai_core.images import image_to_array
from xai_core.latency import LatencyStats
from xai_core.media import write_gif
from xai_core.pointcloud2 import cloud_to_array, unpack_rgb
from xai_core.sync import ExactStampSync
from xai_interfaces.msg import ActionDecision, EpisodeStatus
from xai_nodes.conversions import stamp_ns
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import LATCHED, SENSOR
from xai_nodes.runner import run_node
from xai_sim import compose_panel_arrays

STREAMS = {
    "camera": "/camera/color/image_raw",
    "semantic": "/xai/semantic_color",
    "depth": "/camera/depth/image_raw",
    "topdown": "/xai/sim/topdown",
}


class DemoRecorderNode(Node):
    """Collect panels and per-episode numbers, then write the demo outputs."""

    def __init__(self) -> None:
        super().__init__("demo_recorder_node")
        declare = self.declare_parameter
        self.output_dir = Path(declare("output_dir", "out/demo").value)
        self.episodes = int(declare("episodes", 3).value)
        self.fps = float(declare("gif_fps", 5.0).value)
        self.max_depth_m = float(declare("max_depth_m", 6.0).value)
        self.downsample = int(declare("downsample", 2).value)
        self.snapshot_after = int(declare("snapshot_after_decisions", 8).value)
        reject_unknown_overrides(self)
        self.sync = ExactStampSync([*STREAMS, "decision"])
        self.frames: list[np.ndarray] = []
        self.rows: list[dict] = []
        self.latency = LatencyStats()
        self.decisions = 0
        self.snapshot: Path | None = None
        self.pending: EpisodeStatus | None = None  # a "done" status not yet final
        for stream, topic in STREAMS.items():
            self.create_subscription(
                Image, topic, lambda msg, s=stream: self._on_image(s, msg), SENSOR
            )
        # Every decision counts: a deep queue, so a busy recorder (panels, snapshot) loses none.
        every = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        self.create_subscription(ActionDecision, "/xai/decision", self._on_decision, every)
        # Clouds are large: the subscription lives only until the snapshot is taken.
        self.cloud_sub = self.create_subscription(
            PointCloud2, "/xai/attention_cloud", self._on_cloud, SENSOR
        )
        self.create_subscription(EpisodeStatus, "/xai/sim/episode_status", self._on_status, LATCHED)

    def _on_image(self, stream: str, msg: Image) -> None:
        try:
            pixels = image_to_array(msg)
        except ValueError as error:
            self.get_logger().warning(f"dropped {STREAMS[stream]}: {error}")
            return
        self._add(stream, stamp_ns(msg.header.stamp), pixels)

    def _on_decision(self, msg: ActionDecision) -> None:
        self.decisions += 1
        self.latency.add((self.get_clock().now().nanoseconds - stamp_ns(msg.header.stamp)) * 1e-9)
        self._add("decision", stamp_ns(msg.header.stamp), msg)

    def _add(self, stream: str, stamp: int, item) -> None:
        group = self.sync.add(stream, stamp, item)
        if group is None or self.rows:  # the GIF shows the first episode
            return
        decision: ActionDecision = group["decision"]
        camera = group["camera"]
        if decision.attention:
            grids = np.asarray(decision.attention, np.float32).reshape(
                len(decision.action_names), decision.attention_height, decision.attention_width
            )
            # Min-max like the attention cloud (attention_cloud_node.yaml: normalize minmax).
            camera = overlay(camera, normalize(grids[decision.chosen_action]), 0.5, vmax=1.0)
        panel = compose_panel_arrays(
            group["semantic"], group["depth"], group["topdown"], self.max_depth_m, rgb=camera
        )
        self.frames.append(panel[:: self.downsample, :: self.downsample].copy())

    def _on_cloud(self, msg: PointCloud2) -> None:
        if self.snapshot is not None or self.decisions < self.snapshot_after:
            return
        try:
            points = cloud_to_array(msg)
            xyz = np.stack([points["x"], points["y"], points["z"]], axis=-1)
            rgb = unpack_rgb(points["rgb"])
        except (ValueError, KeyError) as error:
            self.get_logger().warning(f"dropped /xai/attention_cloud: {error}")
            return
        # A view with depth shows the room best: skip clouds of a wall right ahead for a while.
        depth_range = float(np.ptp(xyz[:, 2])) if len(xyz) else 0.0
        if depth_range < 2.5 and self.decisions < 3 * self.snapshot_after:
            return
        # Optical frame (x right, y down, z forward): 2.5 m behind and 1.2 m above the camera.
        image = render_cloud_snapshot(
            xyz, rgb, eye=(0.0, -1.2, -2.5), target=(0.0, 0.3, 3.0), up=(0.0, -1.0, 0.0)
        )
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.snapshot = self.output_dir / "attention_cloud.png"
        PILImage.fromarray(image).save(self.snapshot)
        self.get_logger().info(f"wrote {self.snapshot} ({len(xyz)} points)")
        self.destroy_subscription(self.cloud_sub)

    def _on_status(self, msg: EpisodeStatus) -> None:
        # Images are best effort and status is reliable, so they can arrive out of order. An
        # episode is final at its second "done" status (the simulator republishes the last
        # state every idle period) or when the next episode starts, whichever comes first.
        if self.pending is not None and msg.episode != self.pending.episode:
            self._finish(self.pending)
        if not msg.done or any(row["episode"] == msg.episode for row in self.rows):
            return
        if self.pending is not None and self.pending.episode == msg.episode:
            self._finish(msg)
        else:
            self.pending = msg

    def _finish(self, msg: EpisodeStatus) -> None:
        self.pending = None
        latency = self.latency.summary()
        self.latency = LatencyStats()
        self.rows.append(
            {
                "episode": msg.episode,
                "layout": msg.layout,
                "steps": msg.step,
                "collisions": msg.collisions,
                "success": msg.success,
                "reason": msg.reason,
                "subgoals_reached": msg.subgoal_index,
                "num_subgoals": msg.num_subgoals,
                "decisions": latency["count"],
                "decision_latency_ms_mean": latency["mean_ms"],
                "decision_latency_ms_p99": latency["p99_ms"],
            }
        )
        self.get_logger().info(f"episode {msg.episode}: {self._line(self.rows[-1])}")
        if len(self.rows) >= self.episodes:
            self._write()
            raise SystemExit(0)

    @staticmethod
    def _line(row: dict) -> str:
        return (
            f"steps={row['steps']} collisions={row['collisions']} "
            f"success={str(row['success']).lower()} reason={row['reason']} "
            f"layout={row['layout']} decision_latency_ms={row['decision_latency_ms_mean']:.1f}"
        )

    def _write(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        gif = write_gif(self.frames, self.output_dir / "episode.gif", fps=self.fps)
        summary = {
            "episodes": self.rows,
            "success_rate": float(np.mean([r["success"] for r in self.rows])),
            "mean_collisions": float(np.mean([r["collisions"] for r in self.rows])),
            "gif_frames": len(self.frames),
            "snapshot": None if self.snapshot is None else self.snapshot.name,
        }
        (self.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        lines = [self._line(row) for row in self.rows]
        (self.output_dir / "summary.txt").write_text("\n".join(lines) + "\n")
        self.get_logger().info(f"wrote {gif} ({len(self.frames)} frames) and the summary")


def main(args: list[str] | None = None) -> None:
    """Entry point of ``demo_recorder_node``."""
    run_node(DemoRecorderNode, "demo_recorder_node", args)


if __name__ == "__main__":
    main()
