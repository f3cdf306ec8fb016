"""KITTI 3D object format: velodyne scans, labels, calibration, image sets, box conversions.

Frames (as in the KITTI devkit):

* LiDAR (velodyne) frame: x forward, y left, z up, metres, origin at the sensor.
* Rectified camera frame: x right, y down, z forward, metres. A label's ``location`` is the
  *bottom centre* of the box in this frame, ``dimensions`` are ``(h, w, l)`` and
  ``rotation_y`` (rad) turns about the camera y axis (0 = box length along camera +x).

LiDAR-frame boxes are 7-DoF ``(x, y, z, l, w, h, yaw)``: ``(x, y, z)`` the box *centre*,
``l`` along the heading, ``yaw`` (rad) about +z, 0 = heading along LiDAR +x (OpenPCDet
convention, so ``yaw = -(rotation_y + pi/2)``).

Every reader raises :class:`KittiFormatError` (a ``ValueError``) naming the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "KITTI_CLASSES",
    "Calibration",
    "KittiDataset",
    "KittiFormatError",
    "KittiObject",
    "KittiSample",
    "boxes_camera_to_lidar",
    "boxes_lidar_to_camera",
    "objects_to_lidar_boxes",
    "read_calib",
    "read_imageset",
    "read_label",
    "read_velodyne",
    "write_calib",
    "write_imageset",
    "write_label",
    "write_velodyne",
]

KITTI_CLASSES = (
    "Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare",
)  # fmt: skip


class KittiFormatError(ValueError):
    """A KITTI file that cannot be parsed; the message names the file (and line)."""


# --------------------------------------------------------------------------- velodyne


def read_velodyne(path: str | Path) -> np.ndarray:
    """Read a velodyne ``.bin`` scan.

    Returns:
        ``(N, 4)`` float32: x, y, z (LiDAR frame, m), reflectance (0..1).

    Raises:
        KittiFormatError: missing file or a size that is not a multiple of 16 bytes.
    """
    path = Path(path)
    if not path.is_file():
        raise KittiFormatError(f"{path}: velodyne file does not exist")
    raw = path.read_bytes()
    if len(raw) % 16:
        raise KittiFormatError(
            f"{path}: {len(raw)} bytes is not a multiple of 16 (N x 4 float32 expected)"
        )
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 4).copy()


def write_velodyne(path: str | Path, points: np.ndarray) -> Path:
    """Write ``(N, 4)`` points (x, y, z, reflectance; LiDAR frame) as little-endian float32."""
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 4:
        raise ValueError(f"points must be (N, 4), got {points.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(points.astype("<f4").tobytes())
    return path


# --------------------------------------------------------------------------- calibration


@dataclass
class Calibration:
    """KITTI calibration of one frame.

    Attributes:
        P: ``(4, 3, 4)`` projection matrices P0..P3 (rectified camera -> image i, pixels).
        R0_rect: ``(3, 3)`` rectifying rotation (reference camera -> rectified camera).
        Tr_velo_to_cam: ``(3, 4)`` LiDAR -> reference camera rigid transform.
        Tr_imu_to_velo: ``(3, 4)`` IMU -> LiDAR rigid transform.
    """

    P: np.ndarray
    R0_rect: np.ndarray
    Tr_velo_to_cam: np.ndarray
    Tr_imu_to_velo: np.ndarray

    @classmethod
    def default(cls) -> Calibration:
        """A valid, identity-like calibration: camera at the LiDAR origin, axes permuted
        (cam x = -lidar y, cam y = -lidar z, cam z = lidar x), R0 = I, KITTI-like intrinsics."""
        K = np.array([[721.5377, 0.0, 609.5593], [0.0, 721.5377, 172.854], [0.0, 0.0, 1.0]])
        P = np.stack([np.hstack([K, np.zeros((3, 1))]) for _ in range(4)])
        tr = np.array([[0.0, -1.0, 0.0, 0.0], [0.0, 0.0, -1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
        imu = np.hstack([np.eye(3), np.zeros((3, 1))])
        return cls(P, np.eye(3), tr, imu)

    def _velo_to_rect(self) -> np.ndarray:
        """``(4, 4)`` homogeneous LiDAR -> rectified camera transform."""
        tr = np.eye(4)
        tr[:3] = self.Tr_velo_to_cam
        r0 = np.eye(4)
        r0[:3, :3] = self.R0_rect
        return r0 @ tr

    def lidar_to_rect(self, xyz: np.ndarray) -> np.ndarray:
        """``(N, 3)`` LiDAR-frame points -> ``(N, 3)`` rectified-camera points (m)."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        m = self._velo_to_rect()
        return xyz @ m[:3, :3].T + m[:3, 3]

    def rect_to_lidar(self, xyz: np.ndarray) -> np.ndarray:
        """``(N, 3)`` rectified-camera points -> ``(N, 3)`` LiDAR-frame points (m)."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        m = np.linalg.inv(self._velo_to_rect())
        return xyz @ m[:3, :3].T + m[:3, 3]

    def rect_to_image(self, xyz: np.ndarray, camera: int = 2) -> np.ndarray:
        """``(N, 3)`` rectified-camera points -> ``(N, 2)`` pixel (u, v) of camera ``camera``."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        uvw = np.hstack([xyz, np.ones((len(xyz), 1))]) @ self.P[camera].T
        return uvw[:, :2] / np.where(np.abs(uvw[:, 2:]) < 1e-9, 1e-9, uvw[:, 2:])


_CALIB_KEYS = {"P0": 12, "P1": 12, "P2": 12, "P3": 12, "R0_rect": 9, "Tr_velo_to_cam": 12,
               "Tr_imu_to_velo": 12}  # fmt: skip


def read_calib(path: str | Path) -> Calibration:
    """Read a KITTI ``calib/*.txt`` (``key: v1 v2 ...`` lines; ``Tr_imu_to_velo`` optional).

    Raises:
        KittiFormatError: missing file, unparsable line, missing key or wrong value count.
    """
    path = Path(path)
    if not path.is_file():
        raise KittiFormatError(f"{path}: calibration file does not exist")
    values: dict[str, np.ndarray] = {}
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        key, sep, rest = line.partition(":")
        key = key.strip()
        if not sep:
            raise KittiFormatError(f"{path}:{lineno}: expected 'key: values', got {line!r}")
        try:
            numbers = np.array([float(v) for v in rest.split()], dtype=np.float64)
        except ValueError:
            raise KittiFormatError(f"{path}:{lineno}: non-numeric value in {line!r}") from None
        if key in ("R_rect", "R0_rect"):  # some tools write R_rect
            key = "R0_rect"
        if key == "Tr_velo_cam":
            key = "Tr_velo_to_cam"
        if key == "Tr_imu_velo":
            key = "Tr_imu_to_velo"
        if key in _CALIB_KEYS and numbers.size != _CALIB_KEYS[key]:
            raise KittiFormatError(
                f"{path}:{lineno}: {key} needs {_CALIB_KEYS[key]} values, got {numbers.size}"
            )
        values[key] = numbers
    missing = [k for k in _CALIB_KEYS if k not in values and k != "Tr_imu_to_velo"]
    if missing:
        raise KittiFormatError(f"{path}: missing calibration keys {missing}")
    imu = values.get("Tr_imu_to_velo", np.hstack([np.eye(3), np.zeros((3, 1))]).ravel())
    return Calibration(
        P=np.stack([values[f"P{i}"].reshape(3, 4) for i in range(4)]),
        R0_rect=values["R0_rect"].reshape(3, 3),
        Tr_velo_to_cam=values["Tr_velo_to_cam"].reshape(3, 4),
        Tr_imu_to_velo=imu.reshape(3, 4),
    )


def write_calib(path: str | Path, calib: Calibration) -> Path:
    """Write ``calib`` in the KITTI text format (12 significant digits)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = {f"P{i}": calib.P[i] for i in range(4)}
    rows |= {"R0_rect": calib.R0_rect, "Tr_velo_to_cam": calib.Tr_velo_to_cam,
             "Tr_imu_to_velo": calib.Tr_imu_to_velo}  # fmt: skip
    text = "".join(
        f"{k}: {' '.join(f'{v:.12e}' for v in np.asarray(m).ravel())}\n" for k, m in rows.items()
    )
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- labels


@dataclass
class KittiObject:
    """One ``label_2`` line (camera frame, see module docstring).

    Attributes:
        type: class name (``Car``, ``Pedestrian``, ``Cyclist``, ``DontCare``, ...).
        truncated: 0..1. occluded: 0 visible, 1 partly, 2 largely, 3 unknown.
        alpha: observation angle (rad). bbox: (left, top, right, bottom) in image 2 (px).
        dimensions: (h, w, l) m. location: (x, y, z) bottom centre, rectified camera frame (m).
        rotation_y: rad about camera y. score: detection confidence, None for ground truth.
    """

    type: str
    truncated: float
    occluded: int
    alpha: float
    bbox: tuple[float, float, float, float]
    dimensions: tuple[float, float, float]
    location: tuple[float, float, float]
    rotation_y: float
    score: float | None = None

    def to_line(self) -> str:
        """The label line (no newline)."""
        nums = [self.truncated, self.occluded, self.alpha, *self.bbox, *self.dimensions,
                *self.location, self.rotation_y]  # fmt: skip
        text = f"{self.type} " + " ".join(
            str(int(v)) if i == 1 else f"{float(v):.6f}" for i, v in enumerate(nums)
        )
        return text if self.score is None else f"{text} {self.score:.6f}"


def read_label(path: str | Path) -> list[KittiObject]:
    """Read a ``label_2/*.txt`` file (15 fields per line, 16 with a score).

    Raises:
        KittiFormatError: missing file, wrong field count or non-numeric field (file:line).
    """
    path = Path(path)
    if not path.is_file():
        raise KittiFormatError(f"{path}: label file does not exist")
    objects = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (15, 16):
            raise KittiFormatError(
                f"{path}:{lineno}: expected 15 or 16 fields, got {len(fields)}: {line!r}"
            )
        try:
            v = [float(x) for x in fields[1:]]
        except ValueError:
            raise KittiFormatError(f"{path}:{lineno}: non-numeric field in {line!r}") from None
        objects.append(
            KittiObject(
                fields[0], v[0], int(v[1]), v[2], (v[3], v[4], v[5], v[6]), (v[7], v[8], v[9]),
                (v[10], v[11], v[12]), v[13], v[14] if len(v) == 15 else None,
            )
        )  # fmt: skip
    return objects


def write_label(path: str | Path, objects: Sequence[KittiObject]) -> Path:
    """Write ``objects`` as a ``label_2`` file (an empty file when there are none)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(o.to_line() + "\n" for o in objects))
    return path


# --------------------------------------------------------------------------- image sets


def read_imageset(path: str | Path) -> list[str]:
    """Read ``ImageSets/<split>.txt``: one frame id (e.g. ``000123``) per line."""
    path = Path(path)
    if not path.is_file():
        raise KittiFormatError(f"{path}: image set file does not exist")
    ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    for lineno, frame in enumerate(ids, 1):
        if not frame.isdigit():
            raise KittiFormatError(f"{path}:{lineno}: frame id {frame!r} is not numeric")
    return ids


def write_imageset(path: str | Path, ids: Sequence[str]) -> Path:
    """Write frame ids one per line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{i}\n" for i in ids))
    return path


# --------------------------------------------------------------------------- boxes


def _wrap(angle: np.ndarray) -> np.ndarray:
    """Wrap to [-pi, pi)."""
    return (angle + np.pi) % (2 * np.pi) - np.pi


def boxes_camera_to_lidar(boxes_camera: np.ndarray, calib: Calibration) -> np.ndarray:
    """Camera boxes -> LiDAR boxes.

    Args:
        boxes_camera: ``(M, 7)`` x, y, z (bottom centre, rectified camera, m), h, w, l,
            rotation_y (rad) — the label fields in file order.

    Returns:
        ``(M, 7)`` float64 x, y, z (centre, LiDAR frame, m), l, w, h, yaw (rad, [-pi, pi)).
    """
    b = np.asarray(boxes_camera, dtype=np.float64).reshape(-1, 7)
    h, w, l = b[:, 3], b[:, 4], b[:, 5]  # noqa: E741
    xyz = calib.rect_to_lidar(b[:, :3])
    xyz[:, 2] += h / 2  # bottom centre -> centre (valid for a level rectified frame)
    yaw = _wrap(-(b[:, 6] + np.pi / 2))
    return np.column_stack([xyz, l, w, h, yaw])


def boxes_lidar_to_camera(boxes_lidar: np.ndarray, calib: Calibration) -> np.ndarray:
    """Inverse of :func:`boxes_camera_to_lidar`: ``(M, 7)`` LiDAR boxes -> ``(M, 7)`` camera
    boxes ``x, y, z (bottom centre), h, w, l, rotation_y``."""
    b = np.asarray(boxes_lidar, dtype=np.float64).reshape(-1, 7)
    bottom = b[:, :3].copy()
    bottom[:, 2] -= b[:, 5] / 2
    loc = calib.lidar_to_rect(bottom)
    ry = _wrap(-b[:, 6] - np.pi / 2)
    return np.column_stack([loc, b[:, 5], b[:, 4], b[:, 3], ry])


def objects_to_lidar_boxes(objects: Sequence[KittiObject], calib: Calibration) -> np.ndarray:
    """``(M, 7)`` LiDAR-frame boxes of ``objects`` (order kept)."""
    cam = np.array(
        [[*o.location, *o.dimensions, o.rotation_y] for o in objects], dtype=np.float64
    ).reshape(-1, 7)
    return boxes_camera_to_lidar(cam, calib)


def lidar_box_to_object(
    box: np.ndarray, cls: str, calib: Calibration, score: float | None = None,
    image_size: tuple[int, int] = (1242, 375),
) -> KittiObject:  # fmt: skip
    """A label line for a LiDAR-frame box: camera-frame fields, ``alpha`` and the 2D box of its
    8 corners projected into image 2 (clipped to ``image_size`` = (width, height) px; zeros when
    the box is behind the camera)."""
    cam = boxes_lidar_to_camera(box, calib)[0]
    x, y, z, h, w, l, ry = cam  # noqa: E741
    alpha = float(_wrap(np.array(ry - np.arctan2(x, z))))
    corners = box_corners_lidar(np.asarray(box, dtype=np.float64).reshape(1, 7))[0]
    rect = calib.lidar_to_rect(corners)
    if np.all(rect[:, 2] > 0.1):
        uv = calib.rect_to_image(rect)
        u0, v0 = np.clip(uv.min(0), 0, image_size)
        u1, v1 = np.clip(uv.max(0), 0, image_size)
        bbox = (float(u0), float(v0), float(u1), float(v1))
    else:
        bbox = (0.0, 0.0, 0.0, 0.0)
    return KittiObject(
        cls, 0.0, 0, alpha, bbox, (float(h), float(w), float(l)),
        (float(x), float(y), float(z)), float(ry), score,
    )  # fmt: skip


def box_corners_lidar(boxes: np.ndarray) -> np.ndarray:
    """``(M, 7)`` LiDAR boxes -> ``(M, 8, 3)`` corners (first 4 at the bottom, CCW from above)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 7)
    sx = np.array([1, -1, -1, 1, 1, -1, -1, 1]) * 0.5
    sy = np.array([1, 1, -1, -1, 1, 1, -1, -1]) * 0.5
    sz = np.array([-1, -1, -1, -1, 1, 1, 1, 1]) * 0.5
    local = np.stack([b[:, 3:4] * sx, b[:, 4:5] * sy, b[:, 5:6] * sz], axis=-1)  # (M, 8, 3)
    c, s = np.cos(b[:, 6])[:, None], np.sin(b[:, 6])[:, None]
    x = local[..., 0] * c - local[..., 1] * s + b[:, 0:1]
    y = local[..., 0] * s + local[..., 1] * c + b[:, 1:2]
    z = local[..., 2] + b[:, 2:3]
    return np.stack([x, y, z], axis=-1)


# --------------------------------------------------------------------------- dataset


@dataclass
class KittiSample:
    """One frame: ``points`` (N, 4) float32 LiDAR frame; ``boxes_lidar`` (M, 7) float32;
    ``names`` (M,) class names; ``calib``; ``frame_id``."""

    frame_id: str
    points: np.ndarray
    boxes_lidar: np.ndarray
    names: list[str]
    calib: Calibration = field(repr=False)


class KittiDataset:
    """A KITTI object tree ``root/{training,testing}/{velodyne,label_2,calib}`` with
    ``root/ImageSets/<split>.txt``. ``train`` / ``val`` read ``training/``, ``test``
    reads ``testing/`` (no labels). A flat tree (``root/velodyne`` ...) is accepted too.

    Args:
        classes: keep only labels of these types (None: all but ``DontCare``).
    """

    def __init__(
        self, root: str | Path, split: str = "train", classes: Sequence[str] | None = None
    ) -> None:
        self.root = Path(root)
        self.split = split
        sub = self.root / ("testing" if split == "test" else "training")
        self.dir = sub if sub.is_dir() else self.root
        self.ids = read_imageset(self.root / "ImageSets" / f"{split}.txt")
        self.classes = tuple(classes) if classes is not None else None
        self.has_labels = (self.dir / "label_2").is_dir()

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[KittiSample]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index: int) -> KittiSample:
        frame = self.ids[index]
        points = read_velodyne(self.dir / "velodyne" / f"{frame}.bin")
        calib = read_calib(self.dir / "calib" / f"{frame}.txt")
        objects = read_label(self.dir / "label_2" / f"{frame}.txt") if self.has_labels else []
        objects = [
            o for o in objects
            if (o.type in self.classes if self.classes is not None else o.type != "DontCare")
        ]  # fmt: skip
        boxes = objects_to_lidar_boxes(objects, calib).astype(np.float32)
        return KittiSample(frame, points, boxes, [o.type for o in objects], calib)
