"""Build and read ROS messages from/to the numpy types of xai_core (the only place that does).

Pixel and point layouts are handled by ``xai_core.images`` / ``xai_core.pointcloud2``; this
module only moves their buffers in and out of message objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Pose, PoseStamped
from nav_msgs.msg import Odometry, Path
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import Header

from xai_core.geometry import quaternion_to_yaw, yaw_to_quaternion
from xai_core.images import array_to_image_buffer, image_to_array
from xai_core.pointcloud2 import array_to_cloud_buffer
from xai_interfaces.msg import EpisodeStatus


def header(stamp: Time, frame_id: str) -> Header:
    """A header with ``stamp`` and ``frame_id``."""
    return Header(stamp=stamp, frame_id=frame_id)


def stamp_ns(stamp: Time) -> int:
    """A ``builtin_interfaces/Time`` as integer nanoseconds since the epoch."""
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def image_msg(pixels: np.ndarray, encoding: str, msg_header: Header) -> Image:
    """``sensor_msgs/Image`` from an ``(H, W)`` / ``(H, W, C)`` array (see xai_core.images)."""
    buffer = array_to_image_buffer(pixels, encoding)
    msg = Image(
        header=msg_header,
        height=buffer.height,
        width=buffer.width,
        encoding=buffer.encoding,
        is_bigendian=buffer.is_bigendian,
        step=buffer.step,
    )
    msg.data = buffer.data
    return msg


def rgb_or_mono(msg: Image, accepted: Sequence[str] = ("rgb8", "bgr8", "mono8")) -> np.ndarray:
    """Pixels of a camera Image: ``(H, W, 3)`` uint8 RGB for rgb8 / bgr8, ``(H, W)`` for mono8.

    Raises:
        ValueError: an encoding outside ``accepted`` (a subset of rgb8, bgr8, mono8; the message
            names them), no pixels, or sizes that do not match the data.
    """
    if msg.encoding not in accepted or msg.encoding not in ("rgb8", "bgr8", "mono8"):
        raise ValueError(f"unsupported encoding '{msg.encoding}' (accepted: {', '.join(accepted)})")
    pixels = image_to_array(msg)
    return pixels[..., ::-1] if msg.encoding == "bgr8" else pixels


def cloud_msg(points: np.ndarray, msg_header: Header, is_dense: bool = False) -> PointCloud2:
    """``sensor_msgs/PointCloud2`` from a structured array (see xai_core.pointcloud2)."""
    buffer = array_to_cloud_buffer(points, is_dense=is_dense)
    msg = PointCloud2(
        header=msg_header,
        height=buffer.height,
        width=buffer.width,
        is_bigendian=buffer.is_bigendian,
        point_step=buffer.point_step,
        row_step=buffer.row_step,
        is_dense=buffer.is_dense,
        fields=[
            PointField(name=f.name, offset=f.offset, datatype=f.datatype, count=f.count)
            for f in buffer.fields
        ],
    )
    msg.data = buffer.data
    return msg


def camera_info_msg(K: np.ndarray, width: int, height: int, msg_header: Header) -> CameraInfo:
    """Distortion-free pinhole ``CameraInfo`` for intrinsics ``K`` (3x3, pixels)."""
    K = np.asarray(K, dtype=np.float64)
    projection = np.zeros((3, 4))
    projection[:, :3] = K
    return CameraInfo(
        header=msg_header,
        width=int(width),
        height=int(height),
        distortion_model="plumb_bob",
        d=[0.0] * 5,
        k=K.reshape(-1).tolist(),
        r=np.eye(3).reshape(-1).tolist(),
        p=projection.reshape(-1).tolist(),
    )


def pose(x: float, y: float, yaw: float) -> Pose:
    """Planar pose (z = 0) with heading ``yaw`` (radians, counter-clockwise from +x)."""
    msg = Pose()
    msg.position.x, msg.position.y = float(x), float(y)
    qx, qy, qz, qw = yaw_to_quaternion(float(yaw))
    msg.orientation.x, msg.orientation.y, msg.orientation.z, msg.orientation.w = qx, qy, qz, qw
    return msg


def pose_stamped(x: float, y: float, yaw: float, msg_header: Header) -> PoseStamped:
    """``PoseStamped`` of a planar pose."""
    return PoseStamped(header=msg_header, pose=pose(x, y, yaw))


def pose_to_xyyaw(msg: Pose) -> tuple[float, float, float]:
    """``(x, y, yaw)`` of a Pose (roll and pitch ignored)."""
    q = msg.orientation
    return msg.position.x, msg.position.y, quaternion_to_yaw(q.x, q.y, q.z, q.w)


def odometry_msg(
    x: float,
    y: float,
    yaw: float,
    msg_header: Header,
    child_frame_id: str,
    linear_x: float = 0.0,
    angular_z: float = 0.0,
) -> Odometry:
    """``nav_msgs/Odometry`` of a planar pose and body-frame velocity."""
    msg = Odometry(header=msg_header, child_frame_id=child_frame_id)
    msg.pose.pose = pose(x, y, yaw)
    msg.twist.twist.linear.x = float(linear_x)
    msg.twist.twist.angular.z = float(angular_z)
    return msg


def path_msg(points_xy: np.ndarray, msg_header: Header) -> Path:
    """``nav_msgs/Path`` through ``(N, 2)`` points (metres); each pose faces the next point."""
    points_xy = np.asarray(points_xy, dtype=np.float64).reshape(-1, 2)
    headings = _headings(points_xy)
    return Path(
        header=msg_header,
        poses=[
            pose_stamped(px, py, yaw, msg_header)
            for (px, py), yaw in zip(points_xy.tolist(), headings, strict=False)
        ],
    )


def _headings(points_xy: np.ndarray) -> Sequence[float]:
    if len(points_xy) < 2:
        return [0.0] * len(points_xy)
    deltas = np.diff(points_xy, axis=0)
    yaws = np.arctan2(deltas[:, 1], deltas[:, 0])
    return [*yaws.tolist(), float(yaws[-1])]


def episode_status_msg(
    status: Any,
    msg_header: Header,
    *,
    mode: str,
    layout: str,
    sketch_id: str,
    episode: int,
    max_steps: int,
) -> EpisodeStatus:
    """``xai_interfaces/EpisodeStatus`` from an ``xai_sim.EpisodeStatus`` snapshot."""
    return EpisodeStatus(
        header=msg_header,
        mode=mode,
        layout=layout,
        sketch_id=sketch_id,
        episode=episode,
        step=status.step,
        max_steps=max_steps,
        collisions=status.collisions,
        subgoal_index=status.subgoal_index,
        num_subgoals=status.num_subgoals,
        distance_to_goal_m=status.distance_to_goal,
        done=status.done,
        success=status.success,
        reason=status.reason,
        ade_m=status.ade,
        fde_m=status.fde,
    )
