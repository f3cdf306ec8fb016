"""Synthetic LiDAR scans and KITTI-format trees for tests, demos and CPU training.

A spinning multi-beam sensor (Velodyne-like) at ``sensor_height`` metres above a flat ground is
ray-cast (vectorised numpy, analytic intersections) against a random street scene:

* cars: oriented boxes ~4.2 x 1.8 x 1.5 m (l, w, h), pedestrians: vertical cylinders
  ~0.6 m across and 1.75 m tall, cyclists: oriented boxes ~1.8 x 0.6 x 1.7 m;
* clutter: walls (long thin boxes), poles (thin cylinders), vegetation (spheres);
* per-material reflectance + noise, Gaussian range noise, random point dropout.

Everything is in the LiDAR frame (x forward, y left, z up, metres, origin at the sensor), so
the ground is the plane ``z = -sensor_height``. Labels are 7-DoF LiDAR boxes
``(x, y, z, l, w, h, yaw)`` of the objects hit by at least ``min_points`` rays. A scene and its
scan are a deterministic function of the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .kitti import (
    Calibration,
    lidar_box_to_object,
    write_calib,
    write_imageset,
    write_label,
    write_velodyne,
)

__all__ = [
    "GROUND_ID",
    "LidarSpec",
    "Primitive",
    "Scene",
    "SyntheticScan",
    "cast_rays",
    "random_scene",
    "scan_scene",
    "synthetic_scan",
    "write_kitti_split",
]

GROUND_ID = -1
NO_HIT = -2

# (mean l, w, h) and jitter (std, m) of labelled classes.
CLASS_SIZES = {
    "Car": ((4.2, 1.8, 1.5), (0.3, 0.1, 0.1)),
    "Pedestrian": ((0.6, 0.6, 1.75), (0.05, 0.05, 0.08)),
    "Cyclist": ((1.8, 0.6, 1.7), (0.1, 0.05, 0.08)),
}
# (low, high) reflectance per material.
REFLECTANCE = {
    "Car": (0.3, 0.9), "Pedestrian": (0.15, 0.4), "Cyclist": (0.2, 0.5), "ground": (0.05, 0.25),
    "wall": (0.2, 0.5), "pole": (0.4, 0.7), "vegetation": (0.02, 0.15),
}  # fmt: skip


@dataclass(frozen=True)
class LidarSpec:
    """The sensor.

    Attributes:
        beams: number of lasers, elevations evenly spaced over ``[vertical_min_deg,
            vertical_max_deg]``.
        horizontal_res_deg: azimuth step; ``horizontal_fov_deg`` centred on +x (180 keeps the
            half in front, which is all the detector sees; ~20k points with the defaults).
        sensor_height: metres above the ground. max_range: metres.
        range_noise: std of the range noise (m). dropout: probability a return is lost.
        reflectance_noise: std added to the material reflectance (result clipped to 0..1).
    """

    beams: int = 32
    vertical_min_deg: float = -25.0
    vertical_max_deg: float = 3.0
    horizontal_res_deg: float = 0.2
    horizontal_fov_deg: float = 180.0
    sensor_height: float = 1.73
    max_range: float = 80.0
    range_noise: float = 0.02
    dropout: float = 0.05
    reflectance_noise: float = 0.03

    def directions(self) -> np.ndarray:
        """``(R, 3)`` unit ray directions (LiDAR frame), beam-major."""
        elev = np.deg2rad(np.linspace(self.vertical_min_deg, self.vertical_max_deg, self.beams))
        n_az = round(self.horizontal_fov_deg / self.horizontal_res_deg)
        half = np.deg2rad(self.horizontal_fov_deg) / 2
        az = -half + (np.arange(n_az) + 0.5) * (2 * half / n_az)
        e, a = np.meshgrid(elev, az, indexing="ij")
        return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(
            -1, 3
        )


@dataclass
class Primitive:
    """A scene solid. ``kind``: ``box`` (centre x, y, z, l, w, h, yaw), ``cylinder``
    (x, y, z centre, radius, -, height, -) or ``sphere`` (x, y, z centre, radius, -, -, -).
    ``label``: class name for labelled objects, else None. ``material``: reflectance key."""

    kind: str
    params: np.ndarray
    material: str
    label: str | None = None
    reflectance: float = 0.5

    @property
    def box(self) -> np.ndarray:
        """``(7,)`` the LiDAR-frame label box (enclosing box for cylinders/spheres)."""
        p = self.params
        if self.kind == "box":
            return p.copy()
        if self.kind == "cylinder":
            return np.array([p[0], p[1], p[2], 2 * p[3], 2 * p[3], p[5], 0.0])
        return np.array([p[0], p[1], p[2], 2 * p[3], 2 * p[3], 2 * p[3], 0.0])


@dataclass
class Scene:
    """Primitives on a ground plane (``z = -ground_height``)."""

    primitives: list[Primitive]
    ground_height: float
    ground_reflectance: float = 0.15


@dataclass
class SyntheticScan:
    """One scan.

    Attributes:
        points: ``(N, 4)`` float32 x, y, z (LiDAR frame, m), reflectance.
        hit_ids: ``(N,)`` int64 primitive index hit by each point, ``GROUND_ID`` for ground.
        boxes: ``(M, 7)`` float32 labelled visible objects (LiDAR frame).
        names: ``(M,)`` class names. point_counts: ``(M,)`` points on each labelled object.
        object_ids: ``(M,)`` primitive index of each label.
    """

    points: np.ndarray
    hit_ids: np.ndarray
    boxes: np.ndarray
    names: list[str]
    point_counts: np.ndarray
    object_ids: np.ndarray
    scene: Scene = field(repr=False)


# --------------------------------------------------------------------------- ray casting


def _ray_box(o: np.ndarray, d: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Entry distance (m) of rays ``o + t d`` (d: (R, 3)) into the oriented box ``p`` (7,);
    inf where missed or the origin is inside (slab method in the box frame)."""
    c, s = np.cos(p[6]), np.sin(p[6])
    rel = o - p[:3]
    ol = np.array([c * rel[0] + s * rel[1], -s * rel[0] + c * rel[1], rel[2]])
    dl = np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1], d[:, 2]], axis=1)
    half = p[3:6] / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.where(np.abs(dl) < 1e-12, 1e-12, dl)
        t1 = (-half - ol) * inv
        t2 = (half - ol) * inv
    tmin = np.minimum(t1, t2).max(axis=1)
    tmax = np.maximum(t1, t2).min(axis=1)
    hit = (tmax >= tmin) & (tmin > 1e-6)
    return np.where(hit, tmin, np.inf)


def _ray_cylinder(o: np.ndarray, d: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Entry distance into a vertical cylinder (side or top cap); inf where missed."""
    r, h = p[3], p[5]
    z0, z1 = p[2] - h / 2, p[2] + h / 2
    ox, oy = o[0] - p[0], o[1] - p[1]
    a = d[:, 0] ** 2 + d[:, 1] ** 2
    b = 2 * (ox * d[:, 0] + oy * d[:, 1])
    cc = ox**2 + oy**2 - r**2
    disc = b**2 - 4 * a * cc
    with np.errstate(divide="ignore", invalid="ignore"):
        t_side = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * np.maximum(a, 1e-12))
        z = o[2] + t_side * d[:, 2]
        side = (disc >= 0) & (t_side > 1e-6) & (z >= z0) & (z <= z1)
        t_top = (z1 - o[2]) / np.where(np.abs(d[:, 2]) < 1e-12, -1e-12, d[:, 2])
    xt, yt = ox + t_top * d[:, 0], oy + t_top * d[:, 1]
    top = (t_top > 1e-6) & (xt**2 + yt**2 <= r**2) & (o[2] > z1)
    return np.minimum(np.where(side, t_side, np.inf), np.where(top, t_top, np.inf))


def _ray_sphere(o: np.ndarray, d: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Entry distance into a sphere; inf where missed."""
    rel = o - p[:3]
    b = 2 * d @ rel
    cc = rel @ rel - p[3] ** 2
    disc = b**2 - 4 * cc
    t = (-b - np.sqrt(np.maximum(disc, 0))) / 2
    return np.where((disc >= 0) & (t > 1e-6), t, np.inf)


_INTERSECT = {"box": _ray_box, "cylinder": _ray_cylinder, "sphere": _ray_sphere}


def cast_rays(
    origin: np.ndarray, directions: np.ndarray, scene: Scene, max_range: float
) -> tuple[np.ndarray, np.ndarray]:
    """First hit of each ray.

    Args:
        origin: ``(3,)`` sensor position (LiDAR frame, normally zeros).
        directions: ``(R, 3)`` unit vectors.

    Returns:
        ``(ranges (R,), ids (R,))``: distance (m, inf if nothing within ``max_range``) and
        primitive index, ``GROUND_ID`` for ground, ``NO_HIT`` for none.
    """
    d = np.asarray(directions, dtype=np.float64)
    o = np.asarray(origin, dtype=np.float64)
    best = np.full(len(d), np.inf)
    ids = np.full(len(d), NO_HIT, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_ground = (-scene.ground_height - o[2]) / d[:, 2]
    ground = (d[:, 2] < -1e-9) & (t_ground > 0)
    best = np.where(ground, t_ground, best)
    ids[ground] = GROUND_ID
    for k, prim in enumerate(scene.primitives):
        t = _INTERSECT[prim.kind](o, d, prim.params)
        closer = t < best
        best = np.where(closer, t, best)
        ids[closer] = k
    far = best > max_range
    best[far] = np.inf
    ids[far] = NO_HIT
    return best, ids


# --------------------------------------------------------------------------- scenes


def _free(xy: np.ndarray, radius: float, taken: list[tuple[float, float, float]]) -> bool:
    return all(np.hypot(xy[0] - x, xy[1] - y) > radius + r + 0.3 for x, y, r in taken)


def random_scene(
    rng: np.random.Generator,
    ground_height: float = 1.73,
    x_range: tuple[float, float] = (4.0, 44.0),
    y_range: tuple[float, float] = (-20.0, 20.0),
    n_cars: tuple[int, int] = (2, 8),
    n_pedestrians: tuple[int, int] = (1, 5),
    n_cyclists: tuple[int, int] = (0, 3),
) -> Scene:
    """A random street scene: labelled cars / pedestrians / cyclists standing on the ground
    without BEV overlap, plus walls, poles and vegetation (unlabelled clutter)."""
    z_ground = -ground_height
    prims: list[Primitive] = []
    taken: list[tuple[float, float, float]] = []

    def place(radius: float, tries: int = 30) -> np.ndarray | None:
        for _ in range(tries):
            xy = np.array([rng.uniform(*x_range), rng.uniform(*y_range)])
            if _free(xy, radius, taken):
                taken.append((xy[0], xy[1], radius))
                return xy
        return None

    counts = {"Car": n_cars, "Pedestrian": n_pedestrians, "Cyclist": n_cyclists}
    for cls, (lo, hi) in counts.items():
        mean, std = CLASS_SIZES[cls]
        for _ in range(int(rng.integers(lo, hi + 1))):
            l, w, h = np.maximum(np.array(mean) + rng.normal(0, std), 0.3)  # noqa: E741
            xy = place(float(np.hypot(l, w) / 2))
            if xy is None:
                continue
            refl = float(rng.uniform(*REFLECTANCE[cls]))
            if cls == "Pedestrian":
                r = (l + w) / 4
                params = np.array([xy[0], xy[1], z_ground + h / 2, r, 0.0, h, 0.0])
                prims.append(Primitive("cylinder", params, cls, cls, refl))
            else:
                yaw = float(rng.uniform(-np.pi, np.pi))
                params = np.array([xy[0], xy[1], z_ground + h / 2, l, w, h, yaw])
                prims.append(Primitive("box", params, cls, cls, refl))
    for _ in range(int(rng.integers(0, 3))):  # walls along the street sides
        side = rng.choice([-1.0, 1.0])
        y = side * rng.uniform(abs(y_range[1]) + 1.0, abs(y_range[1]) + 6.0)
        length, height = rng.uniform(10, 40), rng.uniform(1.5, 4.0)
        params = np.array([rng.uniform(*x_range), y, z_ground + height / 2, length, 0.3, height,
                           rng.normal(0, 0.05)])  # fmt: skip
        prims.append(
            Primitive("box", params, "wall", None, float(rng.uniform(*REFLECTANCE["wall"])))
        )
    for _ in range(int(rng.integers(0, 6))):  # poles
        xy = place(0.15)
        if xy is not None:
            h = rng.uniform(3.0, 7.0)
            params = np.array(
                [xy[0], xy[1], z_ground + h / 2, rng.uniform(0.06, 0.15), 0.0, h, 0.0]
            )
            prims.append(Primitive("cylinder", params, "pole", None, float(rng.uniform(0.4, 0.7))))
    for _ in range(int(rng.integers(0, 5))):  # vegetation blobs
        r = rng.uniform(0.4, 1.5)
        xy = place(r)
        if xy is not None:
            params = np.array([xy[0], xy[1], z_ground + r * rng.uniform(0.3, 1.0), r, 0, 0, 0])
            prims.append(Primitive("sphere", params, "vegetation", None,
                                   float(rng.uniform(*REFLECTANCE["vegetation"]))))  # fmt: skip
    return Scene(prims, ground_height, float(rng.uniform(*REFLECTANCE["ground"])))


def scan_scene(
    scene: Scene, spec: LidarSpec, rng: np.random.Generator, min_points: int = 5
) -> SyntheticScan:
    """Ray-cast ``scene`` with ``spec`` and label the labelled primitives hit by at least
    ``min_points`` rays (after dropout)."""
    d = spec.directions()
    ranges, ids = cast_rays(np.zeros(3), d, scene, spec.max_range)
    keep = np.isfinite(ranges) & (rng.random(len(d)) >= spec.dropout)
    d, ranges, ids = d[keep], ranges[keep], ids[keep]
    ranges = ranges + rng.normal(0.0, spec.range_noise, len(ranges))
    xyz = d * ranges[:, None]
    base = np.array([scene.ground_reflectance] + [p.reflectance for p in scene.primitives])
    refl = base[np.where(ids == GROUND_ID, 0, ids + 1)]
    refl = np.clip(refl + rng.normal(0, spec.reflectance_noise, len(refl)), 0.0, 1.0)
    points = np.column_stack([xyz, refl]).astype(np.float32)
    counts = np.bincount(ids[ids >= 0], minlength=len(scene.primitives))
    labelled = [
        k for k, p in enumerate(scene.primitives) if p.label is not None and counts[k] >= min_points
    ]
    boxes = np.array([scene.primitives[k].box for k in labelled], dtype=np.float32).reshape(-1, 7)
    return SyntheticScan(
        points, ids, boxes, [scene.primitives[k].label for k in labelled],  # type: ignore[misc]
        counts[labelled].astype(np.int64), np.array(labelled, dtype=np.int64), scene,
    )  # fmt: skip


def synthetic_scan(
    seed: int, spec: LidarSpec | None = None, min_points: int = 5, **scene_kwargs
) -> SyntheticScan:
    """Scene + scan for ``seed`` (deterministic). ``scene_kwargs`` go to :func:`random_scene`."""
    spec = spec or LidarSpec()
    rng = np.random.default_rng(seed)
    scene = random_scene(rng, ground_height=spec.sensor_height, **scene_kwargs)
    return scan_scene(scene, spec, rng, min_points)


def write_kitti_split(
    root: str | Path,
    n_scenes: int,
    seed: int = 0,
    val_fraction: float = 0.25,
    spec: LidarSpec | None = None,
    min_points: int = 5,
) -> dict[str, list[str]]:
    """Write ``n_scenes`` synthetic frames as a KITTI tree::

        root/training/{velodyne/*.bin, label_2/*.txt, calib/*.txt}
        root/ImageSets/{train,val}.txt

    with :meth:`Calibration.default` (a valid identity-like calibration). Frame ``i`` uses
    seed ``seed * 1_000_003 + i``. Returns ``{"train": ids, "val": ids}``.
    """
    root = Path(root)
    calib = Calibration.default()
    ids = [f"{i:06d}" for i in range(n_scenes)]
    for i, frame in enumerate(ids):
        scan = synthetic_scan(seed * 1_000_003 + i, spec, min_points)
        d = root / "training"
        write_velodyne(d / "velodyne" / f"{frame}.bin", scan.points)
        write_calib(d / "calib" / f"{frame}.txt", calib)
        write_label(
            d / "label_2" / f"{frame}.txt",
            [lidar_box_to_object(b, n, calib) for b, n in zip(scan.boxes, scan.names, strict=True)],
        )
    n_val = round(n_scenes * val_fraction) if n_scenes > 1 else 0
    split = {"train": ids[: n_scenes - n_val], "val": ids[n_scenes - n_val :]}
    for name, frames in split.items():
        write_imageset(root / "ImageSets" / f"{name}.txt", frames)
    return split
