"""demo_recorder_node: records one episode as seen over DDS and writes the demo outputs.

Subscribes to the simulator's colour-coded semantic image, depth and top-down map, pairs them
by stamp, and when the episode status says the episode is done writes
``<output_dir>/episode.gif`` (first-person semantic | depth | top-down, side by side) and
``<output_dir>/summary.txt`` / ``summary.json`` (steps, collisions, success), then exits.
"""

from __future__ import annotations

import json
from pathlib import Path

from rclpy.node import Node
from sensor_msgs.msg import Image

from xai_core.images import image_to_array
from xai_core.media import write_gif
from xai_core.sync import ExactStampSync
from xai_interfaces.msg import EpisodeStatus
from xai_nodes.params import reject_unknown_overrides
from xai_nodes.qos import LATCHED, SENSOR
from xai_nodes.runner import run_node
from xai_sim import compose_panel_arrays

STREAMS = {
    "semantic": "/xai/sim/semantic_color",
    "depth": "/camera/depth/image_raw",
    "topdown": "/xai/sim/topdown",
}


class DemoRecorderNode(Node):
    """Collect panels until the episode ends, then write the GIF and the summary."""

    def __init__(self) -> None:
        super().__init__("demo_recorder_node")
        self.output_dir = Path(self.declare_parameter("output_dir", "out/demo").value)
        self.fps = float(self.declare_parameter("gif_fps", 5.0).value)
        self.max_depth_m = float(self.declare_parameter("max_depth_m", 6.0).value)
        self.downsample = int(self.declare_parameter("downsample", 2).value)
        reject_unknown_overrides(self)
        self.sync = ExactStampSync(list(STREAMS))
        self.frames: list = []
        self.done_updates = 0
        self.finished = False
        for stream, topic in STREAMS.items():
            self.create_subscription(
                Image, topic, lambda msg, s=stream: self._on_image(s, msg), SENSOR
            )
        self.create_subscription(EpisodeStatus, "/xai/sim/episode_status", self._on_status, LATCHED)

    def _on_image(self, stream: str, msg: Image) -> None:
        stamp = msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec
        try:
            pixels = image_to_array(msg)
        except ValueError as error:
            self.get_logger().warning(f"dropped {STREAMS[stream]}: {error}")
            return
        group = self.sync.add(stream, stamp, pixels)
        # The sync emits each state once, so a republished (unchanged) state adds no frame.
        if group is not None and not self.finished:
            panel = compose_panel_arrays(
                group["semantic"], group["depth"], group["topdown"], self.max_depth_m
            )
            self.frames.append(panel[:: self.downsample, :: self.downsample].copy())

    def _on_status(self, msg: EpisodeStatus) -> None:
        # Images are best effort and status is reliable, so they can arrive out of order; the
        # simulator republishes the final state every idle period, so by the second "done"
        # status the episode's last frame is in.
        if not msg.done or self.finished or not self.frames:
            return
        self.done_updates += 1
        if self.done_updates >= 2:
            self.finished = True
            self._write(msg)
            raise SystemExit(0)

    def _write(self, status: EpisodeStatus) -> None:
        gif = write_gif(self.frames, self.output_dir / "episode.gif", fps=self.fps)
        summary = {
            "steps": status.step,
            "collisions": status.collisions,
            "success": status.success,
            "reason": status.reason,
            "layout": status.layout,
            "mode": status.mode,
            "subgoals_reached": status.subgoal_index,
            "num_subgoals": status.num_subgoals,
            "frames": len(self.frames),
            "dropped_unpaired": self.sync.dropped,
        }
        line = (
            f"steps={status.step} collisions={status.collisions} "
            f"success={str(status.success).lower()} reason={status.reason} "
            f"layout={status.layout}"
        )
        (self.output_dir / "summary.txt").write_text(line + "\n")
        (self.output_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        self.get_logger().info(f"wrote {gif} ({len(self.frames)} frames): {line}")


def main(args: list[str] | None = None) -> None:
    """Entry point of ``demo_recorder_node``."""
    run_node(DemoRecorderNode, "demo_recorder_node", args)


if __name__ == "__main__":
    main()
