"""3D detections -> ROS messages (Detection3D, the MarkerArray for RViz, the attention cloud)."""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import Point
from sensor_msgs.msg import PointCloud2
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from xai_core.attention import jet
from xai_core.lidar.kitti import box_corners_lidar
from xai_core.lidar.predictor import Detection
from xai_core.pointcloud2 import pack_rgb, xyz_rgb_dtype
from xai_interfaces.msg import Detection3D
from xai_nodes import conversions as conv

#: The 12 edges of a box as index pairs into :func:`box_corners_lidar` corners.
EDGES = [(0, 1), (1, 2), (2, 3), (3, 0), (4, 5), (5, 6), (6, 7), (7, 4)]
EDGES += [(0, 4), (1, 5), (2, 6), (3, 7)]
CLASS_COLORS = {"Car": (0.1, 0.9, 0.1), "Pedestrian": (1.0, 0.6, 0.0), "Cyclist": (0.2, 0.6, 1.0)}


def detection_msg(detection: Detection) -> Detection3D:
    """One detection (LiDAR frame box x, y, z, l, w, h, yaw) as ``Detection3D``."""
    x, y, z, length, width, height, yaw = (float(v) for v in detection.box)
    msg = Detection3D(class_name=detection.cls, score=float(detection.score))
    msg.center = conv.pose(x, y, yaw)
    msg.center.position.z = z
    msg.size.x, msg.size.y, msg.size.z = length, width, height
    return msg


def attention_cloud_msg(xyz: np.ndarray, attention: np.ndarray, header: Header) -> PointCloud2:
    """``(N, 3)`` points + ``(N,)`` attention in [0, 1] -> PointCloud2 x y z rgb (jet) attention."""
    cloud = np.empty(len(xyz), dtype=xyz_rgb_dtype(("attention",)))
    cloud["x"], cloud["y"], cloud["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    cloud["attention"] = np.clip(attention, 0.0, 1.0)
    cloud["rgb"] = pack_rgb(jet(cloud["attention"]))
    return conv.cloud_msg(cloud, header, is_dense=True)


def markers_msg(detections: list[Detection], header: Header) -> MarkerArray:
    """RViz boxes (LINE_LIST) and labels, after a DELETEALL of the previous scan's."""
    markers = [Marker(header=header, action=Marker.DELETEALL)]
    for i, det in enumerate(detections):
        r, g, b = CLASS_COLORS.get(det.cls, (1.0, 1.0, 1.0))
        color = ColorRGBA(r=r, g=g, b=b, a=1.0)
        box = Marker(header=header, ns="boxes", id=i, type=Marker.LINE_LIST, color=color)
        box.pose.orientation.w = 1.0
        box.scale.x = 0.05
        corners = box_corners_lidar(det.box)[0]
        box.points = [Point(x=c[0], y=c[1], z=c[2]) for e in EDGES for c in corners[list(e)]]
        label = Marker(header=header, ns="labels", id=i, type=Marker.TEXT_VIEW_FACING)
        label.pose.position.x, label.pose.position.y = float(det.box[0]), float(det.box[1])
        label.pose.position.z = float(det.box[2] + det.box[5] / 2 + 0.3)
        label.pose.orientation.w = 1.0
        label.scale.z, label.color = 0.5, color
        label.text = f"{det.cls} {det.score:.2f}"
        markers += [box, label]
    return MarkerArray(markers=markers)
