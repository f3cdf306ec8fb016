"""sensor_msgs/PointCloud2 <-> numpy structured arrays, without rclpy.

The functions here are duck-typed over the message: anything with the attributes of
``sensor_msgs/msg/PointCloud2`` (``height``, ``width``, ``fields``, ``is_bigendian``,
``point_step``, ``row_step``, ``data``) and of ``PointField`` (``name``, ``offset``,
``datatype``, ``count``) works, so this module is tested against hand-built messages and never
imports ROS. ``xai_nodes.conversions`` builds the real message from a :class:`CloudBuffer`.

Conventions
-----------
* A cloud is a numpy structured array, one record per point. Field offsets and the record size
  (``point_step``, padding included) are kept exactly, so the array is a zero-copy view of the
  message buffer whenever rows are not padded (``row_step == width * point_step``).
* Colour follows the PCL / RViz convention: a FLOAT32 field ``rgb`` whose 4 bytes are the
  uint32 ``0x00RRGGBB``. Use :func:`pack_rgb` / :func:`unpack_rgb`.
* Byte order comes from ``is_bigendian``; returned arrays keep the message's byte order in their
  dtype (numpy converts on arithmetic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

# sensor_msgs/PointField datatype constants -> numpy scalar type codes (without byte order).
POINTFIELD_TYPES: dict[int, str] = {
    1: "i1",  # INT8
    2: "u1",  # UINT8
    3: "i2",  # INT16
    4: "u2",  # UINT16
    5: "i4",  # INT32
    6: "u4",  # UINT32
    7: "f4",  # FLOAT32
    8: "f8",  # FLOAT64
}
_NUMPY_TO_POINTFIELD: dict[str, int] = {code: dt for dt, code in POINTFIELD_TYPES.items()}

INT8, UINT8, INT16, UINT16, INT32, UINT32, FLOAT32, FLOAT64 = range(1, 9)


class PointFieldLike(Protocol):
    """What we read of a ``sensor_msgs/PointField``."""

    name: str
    offset: int
    datatype: int
    count: int


@dataclass(frozen=True)
class FieldSpec:
    """One PointCloud2 field: ``name`` at byte ``offset``, PointField ``datatype``, ``count``."""

    name: str
    offset: int
    datatype: int
    count: int = 1


@dataclass(frozen=True)
class CloudBuffer:
    """Everything a PointCloud2 message needs except the header.

    ``data`` is ``height * row_step`` bytes; ``fields`` are in offset order.
    """

    height: int
    width: int
    fields: tuple[FieldSpec, ...]
    is_bigendian: bool
    point_step: int
    row_step: int
    data: bytes
    is_dense: bool


def fields_to_dtype(
    fields: Sequence[PointFieldLike], point_step: int, is_bigendian: bool = False
) -> np.dtype:
    """Structured dtype for records of ``point_step`` bytes holding ``fields`` at their offsets.

    Raises:
        ValueError: unknown datatype, duplicate name, or a field that does not fit the record.
    """
    if point_step <= 0:
        raise ValueError(f"point_step must be positive, got {point_step}")
    order = ">" if is_bigendian else "<"
    names: list[str] = []
    formats: list[Any] = []
    offsets: list[int] = []
    for field in fields:
        code = POINTFIELD_TYPES.get(int(field.datatype))
        if code is None:
            raise ValueError(
                f"field '{field.name}' has unknown PointField datatype {field.datatype} "
                f"(expected 1..8)"
            )
        if field.name in names:
            raise ValueError(f"duplicate field name '{field.name}'")
        count = max(int(field.count), 1)
        scalar = np.dtype(order + code)
        end = int(field.offset) + scalar.itemsize * count
        if field.offset < 0 or end > point_step:
            raise ValueError(
                f"field '{field.name}' (offset {field.offset}, {count} x {scalar.itemsize} bytes) "
                f"does not fit point_step {point_step}"
            )
        names.append(field.name)
        formats.append(scalar if count == 1 else (scalar, (count,)))
        offsets.append(int(field.offset))
    return np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": point_step}
    )


def dtype_to_fields(dtype: np.dtype) -> tuple[FieldSpec, ...]:
    """PointCloud2 fields for a structured dtype (offset order).

    Raises:
        ValueError: the dtype is not structured, or a field is not a supported numeric type.
    """
    if dtype.names is None:
        raise ValueError(f"expected a structured dtype with named fields, got {dtype}")
    specs = []
    for name in dtype.names:
        field_dtype, offset = dtype.fields[name][:2]
        count = 1
        if field_dtype.subdtype is not None:
            field_dtype, shape = field_dtype.subdtype
            count = int(np.prod(shape))
        code = field_dtype.kind + str(field_dtype.itemsize)
        if code not in _NUMPY_TO_POINTFIELD:
            raise ValueError(f"field '{name}' has dtype {field_dtype}, not a PointField type")
        specs.append(FieldSpec(name, int(offset), _NUMPY_TO_POINTFIELD[code], count))
    return tuple(sorted(specs, key=lambda s: s.offset))


def cloud_to_array(msg: Any, squeeze: bool = True) -> np.ndarray:
    """View a PointCloud2 message as a structured array.

    Args:
        msg: a ``sensor_msgs/PointCloud2`` (or anything with its attributes).
        squeeze: return shape ``(width,)`` for unorganised clouds (``height == 1``).

    Returns:
        Structured array of shape ``(height, width)`` (or ``(width,)``), dtype from
        :func:`fields_to_dtype`. A zero-copy, read-only view of ``msg.data`` when rows are not
        padded; otherwise a view with row strides (still no copy).

    Raises:
        ValueError: inconsistent sizes (``data`` shorter than ``height * row_step``, ``row_step``
            smaller than ``width * point_step``) or bad fields.
    """
    height, width = int(msg.height), int(msg.width)
    point_step, row_step = int(msg.point_step), int(msg.row_step)
    dtype = fields_to_dtype(msg.fields, point_step, bool(msg.is_bigendian))
    if row_step < width * point_step:
        raise ValueError(
            f"row_step {row_step} is smaller than width * point_step = {width * point_step}"
        )
    buffer = memoryview(msg.data).cast("B")
    if len(buffer) < height * row_step:
        raise ValueError(
            f"data has {len(buffer)} bytes, expected height * row_step = {height * row_step}"
        )
    if height * width == 0:
        points = np.zeros((height, width), dtype=dtype)
    elif row_step == width * point_step:
        points = np.frombuffer(buffer, dtype=dtype, count=height * width).reshape(height, width)
    else:
        # Rows are padded: stride over them. Bounds were checked above, so the strided view
        # ends inside the buffer: (height-1)*row_step + width*point_step <= height*row_step.
        first_point = np.frombuffer(buffer, dtype=dtype, count=1)
        points = np.lib.stride_tricks.as_strided(
            first_point,
            shape=(height, width),
            strides=(row_step, point_step),
            writeable=False,
        )
    return points.reshape(width) if squeeze and height == 1 else points


def array_to_cloud_buffer(points: np.ndarray, is_dense: bool = False) -> CloudBuffer:
    """Pack a structured array into PointCloud2 layout.

    Args:
        points: structured array of shape ``(N,)`` (unorganised cloud, ``height = 1``) or
            ``(H, W)`` (organised). Its dtype's ``itemsize`` becomes ``point_step`` (padding is
            kept); byte order of the first field decides ``is_bigendian``.
        is_dense: True when no point holds NaN/inf coordinates.

    Returns:
        A :class:`CloudBuffer`; ``data`` is one contiguous copy of the array bytes.
    """
    if points.ndim == 1:
        height, width = 1, points.shape[0]
    elif points.ndim == 2:
        height, width = points.shape
    else:
        raise ValueError(f"points must have shape (N,) or (H, W), got {points.shape}")
    fields = dtype_to_fields(points.dtype)
    first = points.dtype.fields[points.dtype.names[0]][0]
    base = first.subdtype[0] if first.subdtype is not None else first
    is_bigendian = base.byteorder == ">" or (base.byteorder == "=" and np.little_endian is False)
    data = np.ascontiguousarray(points).tobytes()
    return CloudBuffer(
        height=height,
        width=width,
        fields=fields,
        is_bigendian=is_bigendian,
        point_step=points.dtype.itemsize,
        row_step=points.dtype.itemsize * width,
        data=data,
        is_dense=is_dense,
    )


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """Pack colours into the float32 ``rgb`` field used by RViz / PCL.

    Args:
        rgb: ``(..., 3)`` uint8 red, green, blue.

    Returns:
        ``(...)`` float32 whose bits are the uint32 ``0x00RRGGBB``.
    """
    rgb = np.asarray(rgb)
    if rgb.shape[-1] != 3:
        raise ValueError(f"rgb must have shape (..., 3), got {rgb.shape}")
    rgb = rgb.astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return packed.astype("<u4").view("<f4")


def unpack_rgb(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_rgb`: ``(...)`` float32 -> ``(..., 3)`` uint8."""
    bits = np.asarray(packed).astype(np.float32).view(np.uint32)
    return np.stack([(bits >> 16) & 0xFF, (bits >> 8) & 0xFF, bits & 0xFF], axis=-1).astype(
        np.uint8
    )


def xyz_rgb_dtype(extra_float_fields: Sequence[str] = ()) -> np.dtype:
    """Packed little-endian dtype ``x, y, z, rgb`` (float32) plus extra float32 fields.

    This is the layout of the stack's attention clouds (``extra_float_fields=("attention",)``).
    """
    names = ["x", "y", "z", "rgb", *extra_float_fields]
    return np.dtype({"names": names, "formats": ["<f4"] * len(names)})
