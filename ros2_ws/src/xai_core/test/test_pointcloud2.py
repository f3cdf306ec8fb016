"""PointCloud2 codec against hand-built sensor_msgs messages (bytes packed with struct)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from sensor_msgs.msg import PointCloud2, PointField

from xai_core.pointcloud2 import (
    FLOAT32,
    UINT8,
    UINT16,
    array_to_cloud_buffer,
    cloud_to_array,
    dtype_to_fields,
    fields_to_dtype,
    pack_rgb,
    unpack_rgb,
    xyz_rgb_dtype,
)


def _field(name: str, offset: int, datatype: int, count: int = 1) -> PointField:
    return PointField(name=name, offset=offset, datatype=datatype, count=count)


def _padded_xyz_rgb_cloud(points: list[tuple[float, float, float, int]]) -> PointCloud2:
    """The common RealSense/PCL layout: x y z at 0, 4, 8, 4 bytes padding, rgb at 16, step 32."""
    msg = PointCloud2()
    msg.height, msg.width = 1, len(points)
    msg.fields = [
        _field("x", 0, FLOAT32),
        _field("y", 4, FLOAT32),
        _field("z", 8, FLOAT32),
        _field("rgb", 16, FLOAT32),
    ]
    msg.is_bigendian = False
    msg.point_step, msg.row_step = 32, 32 * len(points)
    data = b""
    for x, y, z, rgb in points:
        data += struct.pack("<fff4xI12x", x, y, z, rgb)
    msg.data = data
    return msg


def test_reads_fields_at_their_offsets_with_point_step_padding() -> None:
    msg = _padded_xyz_rgb_cloud([(1.0, 2.0, 3.0, 0xFF8000), (-1.5, 0.25, 9.0, 0x0000FF)])
    cloud = cloud_to_array(msg)
    assert cloud.shape == (2,)
    assert cloud.dtype.itemsize == 32
    np.testing.assert_array_equal(cloud["x"], [1.0, -1.5])
    np.testing.assert_array_equal(cloud["z"], [3.0, 9.0])
    np.testing.assert_array_equal(unpack_rgb(cloud["rgb"]), [[255, 128, 0], [0, 0, 255]])


def test_unpadded_cloud_is_a_zero_copy_view() -> None:
    msg = _padded_xyz_rgb_cloud([(1.0, 2.0, 3.0, 0)] * 4)
    cloud = cloud_to_array(msg)
    assert not cloud.flags.owndata
    assert np.shares_memory(cloud, np.frombuffer(memoryview(msg.data).cast("B"), np.uint8))


def test_big_endian_fields_are_decoded() -> None:
    msg = PointCloud2()
    msg.height, msg.width = 1, 2
    msg.fields = [_field("intensity", 0, UINT16), _field("ring", 2, UINT8)]
    msg.is_bigendian = True
    msg.point_step, msg.row_step = 4, 8
    msg.data = struct.pack(">HBx", 0x0102, 7) + struct.pack(">HBx", 0xA0B0, 31)
    cloud = cloud_to_array(msg)
    assert cloud["intensity"].tolist() == [0x0102, 0xA0B0]
    assert cloud["ring"].tolist() == [7, 31]


def test_organised_cloud_with_row_padding_keeps_rows_apart() -> None:
    msg = PointCloud2()
    msg.height, msg.width = 2, 3
    msg.fields = [_field("z", 0, FLOAT32)]
    msg.is_bigendian = False
    msg.point_step, msg.row_step = 4, 16  # 4 bytes of padding at the end of each row
    msg.data = struct.pack("<3f4x", 1, 2, 3) + struct.pack("<3f4x", 4, 5, 6)
    cloud = cloud_to_array(msg)
    assert cloud.shape == (2, 3)
    np.testing.assert_array_equal(cloud["z"], [[1, 2, 3], [4, 5, 6]])


def test_count_greater_than_one_becomes_a_subarray() -> None:
    msg = PointCloud2()
    msg.height, msg.width = 1, 1
    msg.fields = [_field("normal", 0, FLOAT32, count=3)]
    msg.is_bigendian = False
    msg.point_step, msg.row_step = 12, 12
    msg.data = struct.pack("<3f", 0.0, 0.6, 0.8)
    np.testing.assert_allclose(cloud_to_array(msg)["normal"], [[0.0, 0.6, 0.8]], rtol=1e-6)


def test_round_trip_through_a_real_message() -> None:
    dtype = xyz_rgb_dtype(("attention",))
    points = np.zeros(5, dtype=dtype)
    points["x"] = np.arange(5)
    points["rgb"] = pack_rgb(np.array([[255, 0, 0]] * 5, dtype=np.uint8))
    points["attention"] = np.linspace(0, 1, 5)
    buffer = array_to_cloud_buffer(points, is_dense=True)
    msg = PointCloud2(
        height=buffer.height,
        width=buffer.width,
        is_bigendian=buffer.is_bigendian,
        point_step=buffer.point_step,
        row_step=buffer.row_step,
        is_dense=buffer.is_dense,
        fields=[_field(f.name, f.offset, f.datatype, f.count) for f in buffer.fields],
    )
    msg.data = buffer.data
    assert [f.name for f in msg.fields] == ["x", "y", "z", "rgb", "attention"]
    assert [f.offset for f in msg.fields] == [0, 4, 8, 12, 16]
    assert msg.point_step == 20
    back = cloud_to_array(msg)
    np.testing.assert_array_equal(back, points)


def test_pack_rgb_matches_the_pcl_bit_layout() -> None:
    packed = pack_rgb(np.array([[0x12, 0x34, 0x56]], dtype=np.uint8))
    assert packed.dtype == np.float32
    assert packed.view(np.uint32)[0] == 0x123456
    np.testing.assert_array_equal(unpack_rgb(packed), [[0x12, 0x34, 0x56]])


@pytest.mark.parametrize(
    ("fields", "point_step", "message"),
    [
        ([_field("x", 0, 99)], 4, "unknown PointField datatype"),
        ([_field("x", 0, FLOAT32), _field("x", 4, FLOAT32)], 8, "duplicate field"),
        ([_field("x", 4, FLOAT32)], 6, "does not fit"),
    ],
)
def test_bad_fields_raise_readable_errors(fields, point_step, message) -> None:
    with pytest.raises(ValueError, match=message):
        fields_to_dtype(fields, point_step)


def test_truncated_data_is_rejected() -> None:
    msg = _padded_xyz_rgb_cloud([(1.0, 2.0, 3.0, 0)] * 3)
    msg.data = bytes(msg.data)[:-1]
    with pytest.raises(ValueError, match="bytes"):
        cloud_to_array(msg)


def test_dtype_to_fields_rejects_unstructured_dtypes() -> None:
    with pytest.raises(ValueError, match="structured"):
        dtype_to_fields(np.dtype(np.float32))
