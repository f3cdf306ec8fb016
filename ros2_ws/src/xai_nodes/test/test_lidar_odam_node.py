"""lidar_odam_node in its own process with a random-weights checkpoint, fed and queried over DDS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from sensor_msgs.msg import PointCloud2
from visualization_msgs.msg import Marker, MarkerArray

from xai_core.lidar.build import build_lidar_model
from xai_core.lidar.checkpoint import save_lidar_checkpoint
from xai_core.lidar.synthetic import synthetic_scan
from xai_core.pointcloud2 import cloud_to_array
from xai_interfaces.msg import Detection3DArray
from xai_interfaces.srv import DetectObjects3D
from xai_nodes import conversions as conv
from xai_nodes.qos import COMMAND, SENSOR

pytestmark = pytest.mark.ros

CONFIG = Path(__file__).resolve().parents[2] / "xai_bringup" / "config"
PARAMS = [CONFIG / "lidar_odam_node.yaml"]
FRAME = "velodyne"
NODE = "lidar_odam_node"


@pytest.fixture(scope="module")
def scan() -> np.ndarray:
    """``(N, 4)`` float32 x, y, z, reflectance of one synthetic scan."""
    return synthetic_scan(3).points


@pytest.fixture
def node(launch, tmp_path):
    """The node on a random-weights checkpoint, a near-zero threshold, explaining 2 boxes."""
    checkpoint = tmp_path / "pointpillars_small_random.pt"
    save_lidar_checkpoint(checkpoint, build_lidar_model("pointpillars_small"), "pointpillars_small")
    params = {"checkpoint": str(checkpoint), "score_threshold": 0.0, "explain_top_k": 2}
    return launch(NODE, params_files=PARAMS, parameters=params)


def _cloud(points: np.ndarray, sec: int, fields: tuple[str, ...] = ("x", "y", "z", "intensity")):
    """A PointCloud2 with float32 ``fields`` from the columns of ``points``."""
    dtype = np.dtype({"names": list(fields), "formats": ["<f4"] * len(fields)})
    cloud = np.empty(len(points), dtype=dtype)
    for i, name in enumerate(fields):
        cloud[name] = points[:, i]
    return conv.cloud_msg(cloud, conv.header(Time(sec=sec, nanosec=500), FRAME))


def test_scans_give_detections_markers_and_an_odam_cloud(probe, node, scan) -> None:
    heard: dict[str, dict[int, object]] = {"det": {}, "markers": {}, "cloud": {}}

    def keep(store: dict[int, object], stamp_of):
        return lambda m: store.setdefault(stamp_of(m).sec, m)

    sub = probe.node.create_subscription
    sub(Detection3DArray, "/xai/detections", keep(heard["det"], lambda m: m.header.stamp), COMMAND)
    sub(PointCloud2, "/xai/odam_cloud", keep(heard["cloud"], lambda m: m.header.stamp), SENSOR)
    sub(
        MarkerArray,
        "/xai/detection_markers",
        keep(heard["markers"], lambda m: m.markers[0].header.stamp),
        COMMAND,
    )
    pub = probe.node.create_publisher(PointCloud2, "/lidar/points", SENSOR)
    msg = _cloud(scan, 11)

    def done() -> bool:
        if all(11 in store for store in heard.values()):
            return True
        pub.publish(msg)
        probe.spin_for(0.5)  # the node needs a while per scan: do not flood it
        return False

    assert probe.spin_until(done, 120.0), node.log_tail()
    det = heard["det"][11]
    assert (det.header.stamp.nanosec, det.header.frame_id) == (500, FRAME)
    assert len(det.detections) > 0 and det.method == "guided_odam"
    scores = [d.score for d in det.detections]
    assert scores == sorted(scores, reverse=True)
    assert all(d.size.x > 0 and d.size.y > 0 and d.size.z > 0 for d in det.detections)
    markers = heard["markers"][11].markers
    assert markers[0].action == Marker.DELETEALL
    assert len(markers) == 1 + 2 * len(det.detections)
    assert markers[1].type == Marker.LINE_LIST and len(markers[1].points) == 24
    assert markers[2].type == Marker.TEXT_VIEW_FACING and markers[2].text
    cloud = cloud_to_array(heard["cloud"][11])
    assert len(cloud) == len(scan)
    assert {"x", "y", "z", "rgb", "attention"} <= set(cloud.dtype.names)
    np.testing.assert_allclose(cloud["x"], scan[:, 0])
    assert cloud["attention"].min() >= 0 and cloud["attention"].max() <= 1
    assert cloud["attention"].max() > 0

    # Bad clouds are logged and counted; the node keeps detecting.
    nan = scan.copy()
    nan[:, :3] = np.nan
    for bad in (_cloud(scan[:0], 90), _cloud(scan[:, :3], 91, ("x", "y", "z")), _cloud(nan, 92)):
        pub.publish(bad)
        probe.spin_for(0.2)
    msg = _cloud(scan, 12)
    assert probe.spin_until(lambda: done() if 12 not in heard["det"] else True, 120.0)
    assert not {90, 91, 92} & set(heard["det"]) and node.alive()
    log = node.log_tail(200)
    assert "dropped cloud: the point cloud is empty" in log, log
    assert "cloud has no intensity field" in log and "have NaN or inf" in log, log


def test_detect_service_explains_and_survives_bad_requests(probe, node, scan) -> None:
    client = probe.node.create_client(DetectObjects3D, f"/{NODE}/detect")
    assert probe.spin_until(client.service_is_ready, 60.0), node.log_tail()

    def call(cloud: PointCloud2, explain: bool = True, method: str = "") -> Any:
        request = DetectObjects3D.Request(cloud=cloud, explain=explain, method=method)
        response = probe.call(client, request, 120.0)
        assert response is not None, node.log_tail()
        return response

    # A reflectance field works as well; a few NaN points are dropped, not fatal.
    points = scan.copy()
    points[:5, 0] = np.nan
    good = call(_cloud(points, 21, ("x", "y", "z", "reflectance")))
    assert good.success and "explained by guided_odam" in good.message, good.message
    assert good.detections.header.stamp.sec == 21 and good.detections.method == "guided_odam"
    attention = cloud_to_array(good.attention_cloud)["attention"]
    assert len(attention) == len(scan) - 5
    assert good.attention_cloud.header.stamp.sec == 21
    assert attention.min() >= 0 and attention.max() <= 1

    nan = scan.copy()
    nan[:] = np.nan
    bad = {
        "empty": _cloud(scan[:0], 30),
        "no intensity field": _cloud(scan[:, :3], 31, ("x", "y", "z")),
        "NaN": _cloud(nan, 32),
        "no z": _cloud(scan[:, [0, 1, 3]], 33, ("x", "y", "intensity")),
    }
    for reason, cloud in bad.items():
        answer = call(cloud)
        assert not answer.success and reason in answer.message, answer.message
    unknown = call(_cloud(scan, 34), method="gradcam++")
    assert not unknown.success and "unknown method" in unknown.message

    plain = call(_cloud(scan, 22), explain=False)
    assert plain.success and plain.detections.header.stamp.sec == 22, plain.message
    assert plain.attention_cloud.width == 0 and plain.detections.method == ""
    assert node.alive()


def test_missing_checkpoint_exits_with_one_readable_line(launch) -> None:
    node = launch(NODE, parameters={"checkpoint": "/nonexistent/lidar.pt"})
    assert node.popen.wait(timeout=60) != 0
    log = node.log_tail(50)
    assert "checkpoint '/nonexistent/lidar.pt' not found" in log and "Traceback" not in log, log
