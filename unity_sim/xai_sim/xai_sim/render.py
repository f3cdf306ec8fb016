"""Camera rendering (labels, depth, photo-like RGB) and the top-down map.

Camera model
------------
The camera sits at the robot base position, ``CameraConfig.height_m`` above the floor, looks
along the robot yaw and is pitched down by ``tilt_deg``. Pixel (u, v) (u = column, v = row,
integer values at pixel centres, (0, 0) = centre of the top-left pixel) maps to the optical
ray ``((u - cx) / fx, (v - cy) / fy, 1)`` in the OpenCV camera frame (x right, y down,
z forward) with::

    fx = (W / 2) / tan(hfov / 2),  fy = (H / 2) / tan(vfov / 2),
    cx = (W - 1) / 2,              cy = (H - 1) / 2

so the outer pixel *edges* span exactly the field of view. ``depth_m`` is the z-depth along
the optical axis (what an Xtion / ROS depth image holds), 0.0 where nothing is within
``max_range_m``.

Algorithm
---------
Everything in the world is a vertical prism standing on the floor, so a ray is described by
its horizontal azimuth and its slope ``t = dz / d_horizontal``. Rays are grouped into azimuth
bins (one per image column when the camera is level; ``_TILT_OVERSAMPLE`` uniform bins per
column when it is tilted, because tilt makes the azimuth vary down a column). Per bin the 2-D
ray is intersected with every prism (slab test for boxes, circle test for cylinders), giving
entry/exit distances ``d_in``/``d_out``. A prism of height ``H`` blocks a ray of slope ``t``
iff ``t <= tau``, ``tau = (H - h) / d_in`` if ``H >= h`` else ``(H - h) / d_out`` (``h`` =
camera height). Sorting prisms by ``d_in`` and taking the running max of ``tau`` makes the
"first blocker" lookup a single ``np.searchsorted`` over all bins (bins are offset so the
flattened array stays monotone). The floor and ceiling are intersected analytically per
pixel. Ray tables depend only on resolution and camera intrinsics and are cached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .config import CameraConfig
from .world import FLOOR, FURNITURE, LABEL_COLORS, PERSON, WALL, World

_TILT_OVERSAMPLE = 2  # azimuth bins per column when tilted: max azimuth error 1/4 column
_TAU_CLIP = 1.0e3  # |slope| of any ray is < tan(89 deg) ~ 57, so this clip never binds
_BIN_STRIDE = 4.0 * _TAU_CLIP  # offset between bins in the flattened monotone array


@dataclass
class CameraFrame:
    """One rendered camera image set.

    Attributes:
        labels: (H, W) uint8 label per pixel (see ``LABEL_NAMES``).
        semantic_rgb: (H, W, 3) uint8, ``LABEL_COLORS[labels]``.
        depth_m: (H, W) float32 z-depth along the optical axis in metres, 0.0 = no return.
        rgb: (H, W, 3) uint8 photo-like image, or None when rendered with ``with_rgb=False``.
        K: (3, 3) float64 pinhole intrinsics for this resolution (see module docstring).
    """

    labels: np.ndarray
    semantic_rgb: np.ndarray
    depth_m: np.ndarray
    rgb: np.ndarray | None
    K: np.ndarray


def intrinsics(width: int, height: int, hfov_deg: float, vfov_deg: float) -> np.ndarray:
    """(3, 3) float64 camera matrix for the pixel convention in the module docstring."""
    fx = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
    fy = (height / 2.0) / math.tan(math.radians(vfov_deg) / 2.0)
    return np.array(
        [[fx, 0.0, (width - 1) / 2.0], [0.0, fy, (height - 1) / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )


class _RayTable:
    """Pose-independent per-pixel ray data for one resolution and camera geometry.

    Pixel arrays are stored in *query order* (by azimuth bin, then slope) rather than image
    order: ``np.searchsorted`` is much faster with sorted needles, and the result is put back
    in image order with one gather (``inv_perm``) at the end.
    """

    def __init__(
        self, width: int, height: int, hfov_deg: float, vfov_deg: float, tilt_deg: float
    ) -> None:
        self.width, self.height = width, height
        self.K = intrinsics(width, height, hfov_deg, vfov_deg)
        self.K.setflags(write=False)
        fx, fy, cx, cy = self.K[0, 0], self.K[1, 1], self.K[0, 2], self.K[1, 2]
        u = np.arange(width, dtype=np.float64)
        v = np.arange(height, dtype=np.float64)
        right = np.broadcast_to((u - cx) / fx, (height, width))
        down = np.broadcast_to(((v - cy) / fy)[:, None], (height, width))
        # Body frame (x forward, y left, z up) ray for optical ray (right, down, 1), then
        # pitch down by tilt about the body y axis.
        th = math.radians(tilt_deg)
        ray_x = math.cos(th) - down * math.sin(th)
        ray_y = -right
        ray_z = -math.sin(th) - down * math.cos(th)
        dh = np.hypot(ray_x, ray_y).ravel()
        az = np.arctan2(ray_y, ray_x)
        slope = ray_z.ravel() / dh  # dz per metre of horizontal travel
        if tilt_deg == 0.0:
            self.bin_az = az[0].copy()  # exact: every pixel of a column shares its azimuth
            pix_bin = np.broadcast_to(np.arange(width), (height, width)).ravel()
        else:
            n_bins = width * _TILT_OVERSAMPLE
            lo, hi = float(az.min()), float(az.max())
            self.bin_az = np.linspace(lo, hi, n_bins)
            pix_bin = np.rint((az.ravel() - lo) / ((hi - lo) / (n_bins - 1))).astype(np.int64)
        query = slope + pix_bin * _BIN_STRIDE
        perm = np.argsort(query, kind="stable")
        self.inv_perm = np.empty_like(perm)
        self.inv_perm[perm] = np.arange(len(perm))
        self.query = query[perm]
        self.slope = slope[perm]
        # The optical-frame z component of every ray is 1, so z-depth = d_horizontal / dh.
        self.inv_dh = 1.0 / dh[perm]
        # Top-face distance of a prism of rise (H - h) < 0 is rise / slope for downward rays;
        # 0 for other rays makes max(d_in, rise * inv_down) = d_in (see render_camera).
        with np.errstate(divide="ignore"):
            self.inv_down = np.where(self.slope < 0, 1.0 / self.slope, 0.0)
        self.cos_az, self.sin_az = np.cos(az.ravel()[perm]), np.sin(az.ravel()[perm])
        self.plane_label = np.where(self.slope < 0, FLOOR, WALL).astype(np.uint8)
        self.bin_cos, self.bin_sin = np.cos(self.bin_az), np.sin(self.bin_az)
        self.bin_offsets = np.arange(len(self.bin_az)) * _BIN_STRIDE
        self.half_fov = float(np.abs(self.bin_az).max())
        self._plane_cache: dict[tuple[float, float], np.ndarray] = {}

    def plane_distance(self, cam_h: float, ceiling_h: float) -> np.ndarray:
        """(N,) horizontal distance to the floor (t < 0) or ceiling (t > 0); inf if level."""
        key = (cam_h, ceiling_h)
        out = self._plane_cache.get(key)
        if out is None:
            with np.errstate(divide="ignore"):
                out = np.where(
                    self.slope < 0, -cam_h / self.slope, (ceiling_h - cam_h) / self.slope
                )
            out[self.slope == 0] = np.inf
            out.setflags(write=False)
            self._plane_cache[key] = out
        return out


@lru_cache(maxsize=16)
def _ray_table(
    width: int, height: int, hfov_deg: float, vfov_deg: float, tilt_deg: float
) -> _RayTable:
    return _RayTable(width, height, hfov_deg, vfov_deg, tilt_deg)


def _prism_hits(
    world: World,
    x: float,
    y: float,
    cos_b: np.ndarray,
    sin_b: np.ndarray,
    yaw: float = 0.0,
    half_fov: float = math.pi,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Intersect B horizontal rays from (x, y) with the prisms inside the view wedge.

    Args:
        cos_b, sin_b: (B,) world-frame ray directions.
        yaw, half_fov: view direction and half-width (rad) of the azimuth wedge the rays
            span; prisms whose bounding circle is outside the wedge are skipped early.

    Returns:
        d_in, d_out: (B, M) float64 horizontal entry / exit distances (inf where missed);
        heights (M,), labels (M,) uint8, object ids (M,) (box index, then N + person index).
    """
    n_box = len(world.boxes)
    if n_box:
        b = world.boxes
        centres = np.concatenate([(b[:, :2] + b[:, 2:]) * 0.5, world.people_xy])
        radii = np.concatenate(
            [
                0.5 * np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]),
                np.full(len(world.people_xy), world.people_radius_m),
            ]
        )
    else:
        centres, radii = world.people_xy, np.full(len(world.people_xy), world.people_radius_m)
    if half_fov < math.pi / 2 - 1e-3 and len(centres):
        # Bounding-circle vs view-wedge test: cheap on M objects, and it shrinks every (B, M)
        # array below to the prisms that can be in view.
        vx, vy = centres[:, 0] - x, centres[:, 1] - y
        c, s = math.cos(yaw), math.sin(yaw)
        fwd, lat = c * vx + s * vy, -s * vx + c * vy
        keep = (fwd > -radii) & (
            np.abs(lat) - fwd * math.tan(half_fov) <= radii / math.cos(half_fov)
        )
        box_idx = np.flatnonzero(keep[:n_box])
        person_idx = np.flatnonzero(keep[n_box:])
    else:
        box_idx, person_idx = np.arange(n_box), np.arange(len(world.people_xy))
    parts_in, parts_out, heights, labels, ids = [], [], [], [], []
    if len(box_idx):
        b = world.boxes[box_idx]
        eps = 1e-12
        inv_dx = 1.0 / np.where(np.abs(cos_b) < eps, eps, cos_b)[:, None]
        inv_dy = 1.0 / np.where(np.abs(sin_b) < eps, eps, sin_b)[:, None]
        tx0, tx1 = (b[:, 0] - x) * inv_dx, (b[:, 2] - x) * inv_dx
        ty0, ty1 = (b[:, 1] - y) * inv_dy, (b[:, 3] - y) * inv_dy
        t_in = np.maximum(np.minimum(tx0, tx1), np.minimum(ty0, ty1))
        t_out = np.minimum(np.maximum(tx0, tx1), np.maximum(ty0, ty1))
        hit = (t_out >= t_in) & (t_out > 0)
        parts_in.append(np.where(hit, np.maximum(t_in, 0.0), np.inf))
        parts_out.append(np.where(hit, t_out, np.inf))
        heights.append(world.box_heights[box_idx])
        labels.append(world.box_labels[box_idx])
        ids.append(box_idx)
    if len(person_idx):
        p = world.people_xy[person_idx]
        ox, oy = x - p[:, 0], y - p[:, 1]
        bq = cos_b[:, None] * ox + sin_b[:, None] * oy
        disc = bq * bq - (ox * ox + oy * oy - world.people_radius_m**2)
        root = np.sqrt(np.maximum(disc, 0.0))
        t_out = -bq + root
        hit = (disc >= 0) & (t_out > 0)
        parts_in.append(np.where(hit, np.maximum(-bq - root, 0.0), np.inf))
        parts_out.append(np.where(hit, t_out, np.inf))
        heights.append(np.full(len(p), world.people_height_m))
        labels.append(np.full(len(p), PERSON, dtype=np.uint8))
        ids.append(n_box + person_idx)
    if not parts_in:
        empty = np.zeros((len(cos_b), 0))
        return empty, empty, np.zeros(0), np.zeros(0, np.uint8), np.zeros(0, np.int64)
    if len(parts_in) == 1:
        return parts_in[0], parts_out[0], heights[0], labels[0], ids[0]
    return (
        np.concatenate(parts_in, axis=1),
        np.concatenate(parts_out, axis=1),
        np.concatenate(heights),
        np.concatenate(labels),
        np.concatenate(ids),
    )


def render_camera(
    world: World,
    pose: tuple[float, float, float] | np.ndarray,
    camera_cfg: CameraConfig,
    width: int,
    height: int,
    with_rgb: bool = True,
    rng: np.random.Generator | None = None,
) -> CameraFrame:
    """Render the robot head camera.

    Args:
        world: the scene.
        pose: robot base (x, y, yaw) in the world frame (metres, radians, yaw CCW from +x).
        camera_cfg: camera geometry (fov, height, tilt, max range); its own width/height are
            the native resolution and are ignored here in favour of ``width``/``height``.
        width, height: output resolution in pixels.
        with_rgb: also render the photo-like image (slower); ``rgb`` is None otherwise.
        rng: randomness of the RGB lighting and sensor noise; None = a fixed seed (0).

    Returns:
        ``CameraFrame`` with labels, semantic colours, depth, optional RGB and intrinsics.
    """
    table = _ray_table(
        int(width),
        int(height),
        float(camera_cfg.hfov_deg),
        float(camera_cfg.vfov_deg),
        float(camera_cfg.tilt_deg),
    )
    x, y, yaw = float(pose[0]), float(pose[1]), float(pose[2])
    cam_h = float(camera_cfg.height_m)
    cy, sy = math.cos(yaw), math.sin(yaw)
    cos_b = cy * table.bin_cos - sy * table.bin_sin
    sin_b = sy * table.bin_cos + cy * table.bin_sin
    d_in, d_out, heights, labels_m, ids = _prism_hits(
        world, x, y, cos_b, sin_b, yaw, table.half_fov
    )
    n_bins = d_in.shape[0]

    dist = table.plane_distance(cam_h, float(world.wall_height_m))
    labels = table.plane_label
    obj = None
    if d_in.shape[1]:
        order = np.argsort(d_in, axis=1)
        rows = np.arange(n_bins)[:, None]
        # A prism as tall as the ceiling hides everything behind it (a ray passing over it
        # would hit the ceiling first), so only the prisms up to the first such one in each
        # bin matter: trim the sorted lists to that depth.
        tall = heights >= world.wall_height_m
        tall_sorted = tall[order]
        first_tall = np.where(
            tall_sorted.any(axis=1), tall_sorted.argmax(axis=1), order.shape[1] - 1
        )
        m = int(first_tall.max()) + 1
        order = order[:, :m]
        din = d_in[rows, order]
        rise = heights[order] - cam_h
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = np.where(rise >= 0, rise / din, rise / d_out[rows, order])
        tau = np.where(np.isfinite(din), np.clip(tau, -_TAU_CLIP, _TAU_CLIP), -_TAU_CLIP)
        # Per bin: m prisms sorted by entry distance, running max of tau, plus a sentinel
        # ("nothing blocks": tau = +clip so every ray of the bin stops there, d_in = inf).
        stride = m + 1
        blocker = np.empty((n_bins, stride))
        np.maximum.accumulate(tau, axis=1, out=blocker[:, :m])
        blocker[:, m] = _TAU_CLIP
        blocker += table.bin_offsets[:, None]
        # First blocker of every pixel = #(blocker < query). Queries are sorted, so count
        # the other way round: place the few blocker values among the many queries, then
        # a bincount + cumsum gives every pixel's count (cheaper than searching per pixel).
        pos = np.searchsorted(table.query, blocker.ravel(), side="right")
        g = np.cumsum(np.bincount(pos, minlength=len(table.query) + 1)[:-1])
        d_ext = np.empty((n_bins, stride))
        d_ext[:, :m] = din
        d_ext[:, m] = np.inf
        r_ext = np.zeros((n_bins, stride))
        r_ext[:, :m] = rise
        l_ext = np.zeros((n_bins, stride), dtype=np.uint8)
        l_ext[:, :m] = labels_m[order]
        # Front face at d_in, or (downward ray over a low prism) its top at rise / slope.
        d_prism = np.maximum(d_ext.ravel()[g], r_ext.ravel()[g] * table.inv_down)
        use = d_prism < dist
        dist = np.where(use, d_prism, dist)
        labels = np.where(use, l_ext.ravel()[g], labels)
        if with_rgb:
            o_ext = np.full((n_bins, stride), -1, dtype=np.int64)
            o_ext[:, :m] = ids[order]
            obj = np.where(use, o_ext.ravel()[g], -1)
    depth = dist * table.inv_dh
    depth[~(depth <= camera_cfg.max_range_m)] = 0.0  # also clears inf / nan (no return)
    shape = (int(height), int(width))
    inv = table.inv_perm
    labels_img = labels.astype(np.uint8, copy=False)[inv].reshape(shape)
    rgb = None
    if with_rgb:
        rgb_sorted = _photo_rgb(world, table, x, y, cy, sy, cam_h, dist, labels, obj, rng)
        rgb = rgb_sorted[inv].reshape(shape + (3,))
    return CameraFrame(
        labels=labels_img,
        semantic_rgb=np.take(LABEL_COLORS, labels_img, axis=0),  # 4x faster than [] here
        depth_m=depth.astype(np.float32)[inv].reshape(shape),
        rgb=rgb,
        K=table.K.copy(),
    )


# --------------------------------------------------------------------------------------------
# Photo-like RGB
# --------------------------------------------------------------------------------------------

_WALL_PALETTE = np.array(
    [[235, 232, 222], [220, 214, 200], [200, 205, 210], [222, 230, 215], [240, 225, 205]],
    dtype=np.float64,
)
_FLOOR_PALETTE = np.array(
    [[150, 105, 65], [190, 150, 105], [120, 120, 125], [205, 200, 190], [95, 70, 50]],
    dtype=np.float64,
)
_FURNITURE_PALETTE = np.array(
    [[140, 90, 50], [90, 60, 40], [225, 220, 210], [170, 130, 90], [60, 60, 65], [150, 40, 40]],
    dtype=np.float64,
)
_CLOTHES_PALETTE = np.array(
    [[40, 60, 140], [180, 40, 40], [30, 30, 35], [220, 220, 220], [60, 130, 70], [200, 160, 40]],
    dtype=np.float64,
)
_SKIN_PALETTE = np.array([[225, 185, 150], [190, 140, 100], [140, 95, 65]], dtype=np.float64)


def _hash(a: np.ndarray, b: np.ndarray, seed: float) -> np.ndarray:
    """Cheap deterministic per-lattice-cell noise in [0, 1) (the GLSL sin-hash)."""
    v = np.sin(a * 12.9898 + b * 78.233 + seed * 37.719) * 43758.5453
    return v - np.floor(v)


def _photo_rgb(
    world: World,
    table: _RayTable,
    x: float,
    y: float,
    cyaw: float,
    syaw: float,
    cam_h: float,
    dist: np.ndarray,
    labels: np.ndarray,
    obj: np.ndarray | None,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """(N, 3) uint8 textured, lit and noisy image: class is not decidable from colour alone
    (palettes overlap), only together with texture and geometry, so a segmentation net has
    to learn something."""
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(dist)
    d = np.where(np.isfinite(dist), dist, 50.0)
    hx = x + d * (cyaw * table.cos_az - syaw * table.sin_az)
    hy = y + d * (syaw * table.cos_az + cyaw * table.sin_az)
    hz = cam_h + table.slope * d
    obj = np.full(n, -1) if obj is None else obj
    # Scene styles depend on the world geometry (stable over an episode), lighting on rng.
    style = int(abs(float(world.bounds.sum()) * 1000.0)) + len(world.boxes)
    wall_c = _WALL_PALETTE[style % len(_WALL_PALETTE)]
    floor_c = _FLOOR_PALETTE[(style // 7) % len(_FLOOR_PALETTE)]
    out = np.empty((n, 3), dtype=np.float64)

    m = labels == WALL
    if m.any():
        u = hx[m] + hy[m]  # coordinate along an axis-aligned wall (either orientation)
        grain = _hash(np.floor(u[:, None] * 25.0), np.floor(hz[m][:, None] * 25.0), 1.0)
        shade = 0.93 + 0.07 * grain + 0.04 * np.sin(u * 3.1 + hz[m] * 2.3)[:, None]
        ceiling = (hz[m] > world.wall_height_m - 1e-3)[:, None]
        out[m] = np.where(ceiling, 1.05 * wall_c, wall_c) * shade
    m = labels == FLOOR
    if m.any():
        fx, fy = hx[m], hy[m]
        if (style // 3) % 2 == 0:  # wooden planks along x with staggered joints
            plank = np.floor(fy / 0.18)
            joint = np.floor((fx + 0.7 * _hash(plank, plank, 2.0)) / 1.2)
            tone = 0.8 + 0.2 * _hash(plank, joint, 3.0)
            stripe = 0.94 + 0.06 * np.sin(fx * 45.0 + 4.0 * _hash(plank, joint, 4.0) * 6.28)
            seam = np.where(np.abs(fy / 0.18 - np.rint(fy / 0.18)) < 0.06, 0.75, 1.0)
            shade = tone * stripe * seam
        else:  # square tiles with darker grout
            tx, ty = fx / 0.5, fy / 0.5
            tone = 0.88 + 0.12 * _hash(np.floor(tx), np.floor(ty), 5.0)
            grout = (np.abs(tx - np.rint(tx)) < 0.04) | (np.abs(ty - np.rint(ty)) < 0.04)
            shade = tone * np.where(grout, 0.6, 1.0)
        out[m] = floor_c * shade[:, None]
    m = labels == FURNITURE
    if m.any():
        oid = obj[m]
        base = _FURNITURE_PALETTE[(oid * 7 + style) % len(_FURNITURE_PALETTE)]
        u = hx[m] + hy[m]
        grain = 0.85 + 0.15 * np.sin((hz[m] * 2.0 + u * 0.5) * 40.0 + 3.0 * np.sin(u * 6.0))
        top = np.abs(hz[m] - world.box_heights[np.clip(oid, 0, None)]) < 1e-3
        out[m] = base * (grain * np.where(top, 1.1, 1.0))[:, None]
    m = labels == PERSON
    if m.any():
        oid = obj[m]
        z = hz[m][:, None]
        shirt = _CLOTHES_PALETTE[(oid * 5 + 1) % len(_CLOTHES_PALETTE)]
        trousers = _CLOTHES_PALETTE[(oid * 3 + 2) % len(_CLOTHES_PALETTE)] * 0.6
        skin = _SKIN_PALETTE[oid % len(_SKIN_PALETTE)]
        col = np.where(z > 1.5, skin, np.where(z > 0.85, shirt, trousers))
        folds = 0.9 + 0.1 * _hash(np.floor(hx[m] * 30.0), np.floor(hz[m] * 12.0), 6.0)
        out[m] = col * folds[:, None]

    # Lighting: global gain and colour cast, distance falloff, a soft vertical gradient and
    # sensor noise -- random per frame through rng.
    gain = rng.uniform(0.65, 1.25)
    tint = rng.uniform(0.9, 1.1, size=3)
    falloff = 1.0 / (1.0 + 0.04 * np.minimum(d * table.inv_dh, 15.0))
    light = gain * falloff * (0.9 + 0.1 * np.clip(hz / 2.5, 0.0, 1.0))
    out *= light[:, None] * tint
    out += rng.normal(0.0, 4.0, size=out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------------------------
# Top-down map
# --------------------------------------------------------------------------------------------

_OUTSIDE_COLOR = np.array([32, 32, 32], dtype=np.uint8)
_ROBOT_COLOR = np.array([255, 255, 255], dtype=np.uint8)
_WAYPOINT_COLOR = np.array([0, 0, 0], dtype=np.uint8)
_TRAJECTORY_COLOR = np.array([255, 255, 0], dtype=np.uint8)


def _topdown_window(world: World, size: int, extent_m: float | None) -> tuple[float, float, float]:
    """(x_left, y_top, metres per pixel) of the square map window."""
    x0, y0, x1, y1 = world.bounds
    extent = float(extent_m) if extent_m is not None else float(max(x1 - x0, y1 - y0))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return cx - extent / 2.0, cy + extent / 2.0, extent / size


def world_to_topdown_px(
    world: World, xy: np.ndarray, size: int = 128, extent_m: float | None = None
) -> np.ndarray:
    """World points -> top-down image pixel coordinates.

    The map is north-up: a square window of side ``extent_m`` (default: the longer side of
    ``world.bounds``) centred on the world bounds; +x points right (increasing column), +y
    points up (decreasing row). Integer coordinates are pixel centres.

    Args:
        xy: (N, 2) or (2,) world (x, y) in metres.

    Returns:
        (N, 2) float64 ``(col, row)``; round to index the image as ``img[row, col]``.
    """
    left, top, res = _topdown_window(world, size, extent_m)
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    return np.stack([(pts[:, 0] - left) / res - 0.5, (top - pts[:, 1]) / res - 0.5], axis=1)


def _topdown_base(world: World, size: int, extent_m: float | None) -> np.ndarray:
    """Cached static map: floor, furniture, walls (a pixel takes a box's colour when it
    overlaps the box at all, so 12 cm walls never vanish between pixel centres)."""
    key = ("topdown", size, extent_m)
    img = world.cache.get(key)
    if img is not None:
        return img
    left, top, res = _topdown_window(world, size, extent_m)
    img = np.empty((size, size, 3), dtype=np.uint8)
    img[:] = _OUTSIDE_COLOR

    def fill(x0: float, y0: float, x1: float, y1: float, color: np.ndarray) -> None:
        c0 = max(int(math.floor((x0 - left) / res)), 0)
        c1 = min(int(math.ceil((x1 - left) / res)), size)
        r0 = max(int(math.floor((top - y1) / res)), 0)
        r1 = min(int(math.ceil((top - y0) / res)), size)
        if c1 > c0 and r1 > r0:
            img[r0:r1, c0:c1] = color

    fill(*world.bounds, LABEL_COLORS[FLOOR])
    for label in (FURNITURE, WALL):
        for box in world.boxes[world.box_labels == label]:
            fill(*box, LABEL_COLORS[label])
    img.setflags(write=False)
    world.cache[key] = img
    return img


def _disk_mask(
    cc: float, rr: float, radius_px: float, size: int
) -> tuple[slice, slice, np.ndarray] | None:
    r0, r1 = max(int(rr - radius_px - 1), 0), min(int(rr + radius_px + 2), size)
    c0, c1 = max(int(cc - radius_px - 1), 0), min(int(cc + radius_px + 2), size)
    if r1 <= r0 or c1 <= c0:
        return None
    rows = np.arange(r0, r1)[:, None]
    cols = np.arange(c0, c1)[None, :]
    return slice(r0, r1), slice(c0, c1), (rows - rr) ** 2 + (cols - cc) ** 2 <= radius_px**2


def render_topdown(
    world: World,
    pose: tuple[float, float, float] | np.ndarray,
    size: int = 128,
    extent_m: float | None = None,
    waypoints: np.ndarray | None = None,
    trajectory: np.ndarray | None = None,
) -> np.ndarray:
    """Top-down semantic map with the robot, sketch waypoints and the driven trajectory.

    Floor blue, walls green, furniture red, people grey (``LABEL_COLORS``), outside the world
    dark grey; the robot is a white arrow pointing along its yaw; ``waypoints`` are black
    dots; ``trajectory`` is yellow. Pixel frame: see ``world_to_topdown_px``.

    Args:
        pose: robot (x, y, yaw) in the world frame.
        waypoints, trajectory: (N, 2) world points or None.

    Returns:
        (size, size, 3) uint8 RGB image.
    """
    img = _topdown_base(world, size, extent_m).copy()
    _, _, res = _topdown_window(world, size, extent_m)
    for cc, rr in world_to_topdown_px(world, world.people_xy, size, extent_m):
        disk = _disk_mask(cc, rr, max(world.people_radius_m / res, 0.8), size)
        if disk is not None:
            img[disk[0], disk[1]][disk[2]] = LABEL_COLORS[PERSON]
    for points, color in ((trajectory, _TRAJECTORY_COLOR), (waypoints, _WAYPOINT_COLOR)):
        if points is not None and len(points):
            px = np.rint(world_to_topdown_px(world, points, size, extent_m)).astype(np.int64)
            ok = (px[:, 0] >= 0) & (px[:, 0] < size) & (px[:, 1] >= 0) & (px[:, 1] < size)
            img[px[ok, 1], px[ok, 0]] = color
    _draw_arrow(img, world, pose, size, extent_m, res)
    return img


def _draw_arrow(
    img: np.ndarray,
    world: World,
    pose: tuple[float, float, float] | np.ndarray,
    size: int,
    extent_m: float | None,
    res: float,
) -> None:
    """White triangle: tip ahead of the robot, two rear corners; fills pixel centres inside."""
    x, y, yaw = float(pose[0]), float(pose[1]), float(pose[2])
    length = max(0.45, 3.0 * res)
    corners = np.array(
        [
            [x + length * math.cos(yaw), y + length * math.sin(yaw)],
            [x + 0.6 * length * math.cos(yaw + 2.5), y + 0.6 * length * math.sin(yaw + 2.5)],
            [x + 0.6 * length * math.cos(yaw - 2.5), y + 0.6 * length * math.sin(yaw - 2.5)],
        ]
    )
    px = world_to_topdown_px(world, corners, size, extent_m)
    c0, r0 = np.floor(px.min(axis=0)).astype(int)
    c1, r1 = np.ceil(px.max(axis=0)).astype(int) + 1
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, size), min(r1, size)
    if c1 <= c0 or r1 <= r0:
        return
    cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
    inside = np.ones(cols.shape, dtype=bool)
    for i in range(3):
        (ax, ay), (bx, by), (ox, oy) = px[i], px[(i + 1) % 3], px[(i + 2) % 3]
        # Same side of edge (a, b) as the opposite corner; half a pixel of slack so thin
        # arrows still cover the pixels they cross.
        cross = (bx - ax) * (rows - ay) - (by - ay) * (cols - ax)
        side = np.sign((bx - ax) * (oy - ay) - (by - ay) * (ox - ax))
        inside &= cross * side >= -0.5 * math.hypot(bx - ax, by - ay)
    img[r0:r1, c0:c1][inside] = _ROBOT_COLOR
    # Always mark the robot centre, even when the arrow is smaller than a pixel.
    cc, rr = np.rint(world_to_topdown_px(world, [x, y], size, extent_m)[0])
    if 0 <= rr < size and 0 <= cc < size:
        img[int(rr), int(cc)] = _ROBOT_COLOR


# --------------------------------------------------------------------------------------------
# Panels for GIFs / render()
# --------------------------------------------------------------------------------------------

_DEPTH_ANCHORS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64
)


def colorize_depth(depth_m: np.ndarray, max_range_m: float = 10.0) -> np.ndarray:
    """(H, W) float depth -> (H, W, 3) uint8 viridis-like colours; no return (0) is black."""
    x = np.clip(depth_m / max_range_m, 0.0, 1.0) * (len(_DEPTH_ANCHORS) - 1)
    i = np.minimum(x.astype(np.int64), len(_DEPTH_ANCHORS) - 2)
    f = (x - i)[..., None]
    rgb = _DEPTH_ANCHORS[i] * (1.0 - f) + _DEPTH_ANCHORS[i + 1] * f
    rgb[depth_m <= 0] = 0.0
    return rgb.astype(np.uint8)


def compose_panel(
    frame: CameraFrame, topdown: np.ndarray, include_rgb: bool = False, max_range_m: float = 10.0
) -> np.ndarray:
    """Side-by-side panel: [RGB (optional)] | semantic | colourised depth | top-down.

    Returns:
        (H, W_total, 3) uint8 with H = the camera frame height.
    """
    rgb = frame.rgb if include_rgb else None
    return compose_panel_arrays(frame.semantic_rgb, frame.depth_m, topdown, max_range_m, rgb)


def compose_panel_arrays(
    semantic_rgb: np.ndarray,
    depth_m: np.ndarray,
    topdown: np.ndarray,
    max_range_m: float = 10.0,
    rgb: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`compose_panel` from plain arrays (e.g. images received over ROS).

    Args:
        semantic_rgb: (H, W, 3) uint8 colour-coded semantic image.
        depth_m: (H, W) float32 z-depth in metres (0 = no return, drawn black).
        topdown: (S, S, 3) uint8 map, scaled (nearest neighbour) to height H.
        rgb: optional (H, W, 3) uint8 photo, drawn first.

    Returns:
        (H, W_total, 3) uint8.
    """
    h = semantic_rgb.shape[0]
    if depth_m.shape[:2] != semantic_rgb.shape[:2]:
        raise ValueError(f"depth {depth_m.shape} and semantic {semantic_rgb.shape} differ in size")
    rows = (np.arange(h) * topdown.shape[0] // h).astype(np.int64)
    cols = (np.arange(h) * topdown.shape[1] // h).astype(np.int64)
    panels = [] if rgb is None else [rgb]
    panels += [semantic_rgb, colorize_depth(depth_m, max_range_m), topdown[rows][:, cols]]
    return np.concatenate(panels, axis=1)
