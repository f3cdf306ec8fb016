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
# Every bin's sorted prism list ends with a sentinel "prism" (finite stand-in for "nothing
# blocks"): entry distance _SENTINEL_D, beyond any real hit; rise _SENTINEL_RISE, so its tau
# clips to +_TAU_CLIP and it is "tall". Level rays that never reach the floor or ceiling get
# plane distance _SENTINEL_D too, so the sentinel never wins against a plane.
_SENTINEL_D = 1.0e100
_SENTINEL_RISE = 1.0e200
_TINY = np.nextafter(0.0, 1.0)  # t_out >= max(t_in, tiny)  <=>  t_out >= t_in and t_out > 0


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

    The blocker search runs in *query order* (by azimuth bin, then slope: ``np.searchsorted``
    is much faster with sorted keys); its result is put into image order with one gather
    (``inv_perm``) and every other per-pixel table is stored in image order, so the outputs
    need no further reordering.
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
        n_pix = width * height
        query = slope + pix_bin * _BIN_STRIDE
        perm = np.argsort(query, kind="stable")
        self.inv_perm = np.empty_like(perm)
        self.inv_perm[perm] = np.arange(n_pix)
        self.query = query[perm]
        self.n_pix = n_pix
        # Image-order per-pixel tables.
        self.slope = slope
        # The optical-frame z component of every ray is 1, so z-depth = d_horizontal / dh.
        self.inv_dh = 1.0 / dh
        # Top-face distance of a prism of rise (H - h) < 0 is rise / slope for downward rays;
        # 0 for other rays makes max(d_in, rise * inv_down) = d_in (see render_camera).
        with np.errstate(divide="ignore"):
            self.inv_down = np.where(slope < 0, 1.0 / slope, 0.0)
        self.cos_az, self.sin_az = np.cos(az.ravel()), np.sin(az.ravel())
        self.plane_label = np.where(slope < 0, FLOOR, WALL).astype(np.uint8)
        n_bins = len(self.bin_az)
        self.bin_cs = np.stack([np.cos(self.bin_az), np.sin(self.bin_az)])  # (2, B)
        self.bin_offsets = (np.arange(n_bins) * _BIN_STRIDE)[:, None]
        self.bin_index = np.arange(n_bins)
        self.sentinel_row = np.full((1, n_bins), _SENTINEL_D)
        self.half_fov = float(np.abs(self.bin_az).max())
        self.tan_half_fov = math.tan(self.half_fov)
        self.inv_cos_half_fov = 1.0 / math.cos(self.half_fov)
        self._plane_cache: dict[tuple[float, float], np.ndarray] = {}
        self._aux: dict[object, object] = {}  # lazily built RGB tables (see _photo_rgb)

    def plane_distance(self, cam_h: float, ceiling_h: float) -> np.ndarray:
        """(N,) horizontal distance to the floor (t < 0) or ceiling (t > 0), image order;
        ``_SENTINEL_D`` for level rays (they never reach either)."""
        key = (cam_h, ceiling_h)
        out = self._plane_cache.get(key)
        if out is None:
            with np.errstate(divide="ignore"):
                out = np.where(
                    self.slope < 0, -cam_h / self.slope, (ceiling_h - cam_h) / self.slope
                )
            out[self.slope == 0] = _SENTINEL_D
            out.setflags(write=False)
            self._plane_cache[key] = out
        return out


@lru_cache(maxsize=16)
def _ray_table(
    width: int, height: int, hfov_deg: float, vfov_deg: float, tilt_deg: float
) -> _RayTable:
    return _RayTable(width, height, hfov_deg, vfov_deg, tilt_deg)


class _Prisms:
    """Static per-world prism attributes (cached in ``world.cache``).

    Prism index ``i``: boxes first, then people, then one sentinel (index ``n_box + n_people``)
    that stands for "nothing blocks" (see ``_SENTINEL_D``).
    """

    def __init__(self, world: World) -> None:
        b = world.boxes
        n_box, n_people = len(b), len(world.people_xy)
        self.n_box, self.n_people = n_box, n_people
        self.boxes_t = np.ascontiguousarray(b.T)  # (4, N)
        self.box_centres = (b[:, :2] + b[:, 2:]) * 0.5
        radii = np.concatenate(
            [
                0.5 * np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]),
                np.full(n_people, world.people_radius_m),
            ]
        )
        self.radii = radii
        self.neg_radii = -radii
        self.heights = np.concatenate(
            [world.box_heights, np.full(n_people, world.people_height_m), [_SENTINEL_RISE]]
        )
        self.labels = np.concatenate(
            [world.box_labels, np.full(n_people, PERSON, dtype=np.uint8), [WALL]]
        ).astype(np.uint8)
        self.ids = np.concatenate([np.arange(n_box + n_people), [-1]])
        self.tall = self.heights >= world.wall_height_m
        self.sentinel_index = np.array([n_box + n_people])
        self.wall_height_m = float(world.wall_height_m)
        self.people_r2 = float(world.people_radius_m) ** 2


def _prisms(world: World) -> _Prisms:
    key = (
        "render_prisms",
        len(world.people_xy),
        world.wall_height_m,
        world.people_radius_m,
        world.people_height_m,
    )
    st = world.cache.get(key)
    if st is None:
        st = _Prisms(world)
        world.cache[key] = st
    return st


def _view_hits(
    world: World,
    x: float,
    y: float,
    dirs: np.ndarray,
    yaw: float,
    half_fov: float,
    tan_half_fov: float,
    inv_cos_half_fov: float,
    sentinel_row: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, _Prisms] | None:
    """Intersect B horizontal rays from (x, y) with the prisms inside the view wedge.

    Call with floating point errors ignored (``np.errstate``).

    Args:
        dirs: (2, B) world-frame unit ray directions (cos, sin).
        yaw, half_fov: view direction and half-width (rad) of the azimuth wedge the rays span;
            prisms whose bounding circle is outside the wedge are skipped early.
        sentinel_row: (1, B) filled with ``_SENTINEL_D``.

    Returns:
        None when no prism is in view, else ``(d_in, d_out, index, prisms)``: (M + 1, B)
        entry / exit distances (d_in inf where missed, d_out only meaningful for hits), the
        (M + 1,) prism index of every row (last row = the sentinel, at _SENTINEL_D) and the
        world's ``_Prisms``. Prisms are rows (the long bin axis is the contiguous one).
    """
    st = _prisms(world)
    n_box, n_all = st.n_box, st.n_box + st.n_people
    if n_all == 0:
        return None
    people = world.people_xy
    if half_fov < math.pi / 2 - 1e-3:
        # Bounding-circle vs view-wedge test: cheap on all objects, and it shrinks every
        # (M, B) array below to the prisms that can be in view.
        centres = np.concatenate([st.box_centres, people]) if st.n_people else st.box_centres
        c, s = math.cos(yaw), math.sin(yaw)
        fl = (centres - (x, y)) @ np.array([[c, -s], [s, c]])  # (forward, left) per object
        fwd = fl[:, 0]
        keep = (fwd > st.neg_radii) & (
            np.abs(fl[:, 1]) - fwd * tan_half_fov <= st.radii * inv_cos_half_fov + 1e-9
        )
        sel = keep.nonzero()[0]
        k = int(sel.searchsorted(n_box)) if st.n_people else len(sel)
        box_idx, person_idx = sel[:k], sel[k:]
    else:
        sel = np.arange(n_all)
        box_idx, person_idx = sel[:n_box], sel[n_box:]
    parts_in, parts_out = [], []
    if len(box_idx):
        inv = 1.0 / dirs
        np.minimum(inv, 1e12, out=inv)  # rays parallel to a slab (1 / 0 = inf)
        np.maximum(inv, -1e12, out=inv)
        b = st.boxes_t[:, box_idx]  # (4, M): x0, y0, x1, y1
        tx0 = np.multiply.outer(b[0] - x, inv[0])  # (M, B) slab entry / exit parameters
        tx1 = np.multiply.outer(b[2] - x, inv[0])
        ty0 = np.multiply.outer(b[1] - y, inv[1])
        ty1 = np.multiply.outer(b[3] - y, inv[1])
        t_in = np.maximum(np.minimum(tx0, tx1), np.minimum(ty0, ty1))
        t_out = np.minimum(np.maximum(tx0, tx1), np.maximum(ty0, ty1))
        hit = t_out >= np.maximum(t_in, _TINY)  # t_out >= t_in and t_out > 0
        parts_in.append(np.where(hit, np.maximum(t_in, 0.0), np.inf))
        parts_out.append(t_out)
    if len(person_idx):
        o = (x, y) - people[person_idx - n_box]  # (P, 2)
        bq = o @ dirs  # (P, B)
        disc = bq * bq - ((o * o).sum(axis=1) - st.people_r2)[:, None]
        root = np.sqrt(np.maximum(disc, 0.0))
        t_out = root - bq
        hit = (disc >= 0) & (t_out > 0)
        parts_in.append(np.where(hit, np.maximum(-bq - root, 0.0), np.inf))
        parts_out.append(t_out)
    if not parts_in:
        return None
    parts_in.append(sentinel_row)
    parts_out.append(sentinel_row)
    index = np.concatenate([sel, st.sentinel_index])
    return np.concatenate(parts_in), np.concatenate(parts_out), index, st


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

    Returns:
        d_in, d_out: (B, M) float64 horizontal entry / exit distances (inf where missed);
        heights (M,), labels (M,) uint8, object ids (M,) (box index, then N + person index).
    """
    dirs = np.stack([np.asarray(cos_b, np.float64), np.asarray(sin_b, np.float64)])
    sentinel = np.full((1, dirs.shape[1]), _SENTINEL_D)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        hits = _view_hits(
            world,
            x,
            y,
            dirs,
            yaw,
            half_fov,
            math.tan(half_fov),
            1.0 / math.cos(half_fov),
            sentinel,
        )
    if hits is None:
        empty = np.zeros((dirs.shape[1], 0))
        return empty, empty, np.zeros(0), np.zeros(0, np.uint8), np.zeros(0, np.int64)
    d_in, d_out, index, st = hits
    d_in, d_out, index = d_in[:-1].T, d_out[:-1].T, index[:-1]
    return (
        d_in,
        np.where(np.isfinite(d_in), d_out, np.inf),
        st.heights[index],
        st.labels[index],
        st.ids[index],
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
    # One errstate for the whole frame: divisions by zero / inf are expected and handled.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _render(world, pose, camera_cfg, table, with_rgb, rng)


def _render(
    world: World,
    pose: tuple[float, float, float] | np.ndarray,
    camera_cfg: CameraConfig,
    table: _RayTable,
    with_rgb: bool,
    rng: np.random.Generator | None,
) -> CameraFrame:
    x, y, yaw = float(pose[0]), float(pose[1]), float(pose[2])
    cam_h = float(camera_cfg.height_m)
    cy, sy = math.cos(yaw), math.sin(yaw)
    dirs = np.array([[cy, -sy], [sy, cy]]) @ table.bin_cs  # (2, B) world-frame bin directions
    hits = _view_hits(
        world,
        x,
        y,
        dirs,
        yaw,
        table.half_fov,
        table.tan_half_fov,
        table.inv_cos_half_fov,
        table.sentinel_row,
    )
    plane = table.plane_distance(cam_h, float(world.wall_height_m))
    obj = None
    if hits is None:
        dist, labels = plane, table.plane_label.copy()
        if with_rgb:
            obj = np.full(table.n_pix, -1)
    else:
        d_in, d_out, index, st = hits
        n_bins = d_in.shape[1]
        order = d_in.argsort(axis=0)
        prism = index.take(order)
        # A prism as tall as the ceiling hides everything behind it (a ray passing over it
        # would hit the ceiling first), so only the prisms up to the first such one in each
        # bin matter (every bin has one: the sentinel): trim the sorted lists to that depth.
        m = int(st.tall.take(prism).argmax(axis=0).max()) + 1
        order, prism = order[:m], prism[:m]
        flat = order * n_bins
        flat += table.bin_index
        din = d_in.take(flat)
        rise = st.heights.take(prism)
        rise -= cam_h
        tau = rise / np.where(rise >= 0, din, d_out.take(flat))
        # Per bin: m prisms sorted by entry distance, running max of tau; every ray of the
        # bin stops at the last one at the latest (tau = +clip). That entry is at or behind
        # the bin's first tall prism, so a ray that passes over all the others would reach
        # the ceiling before it: its d_prism loses against the plane below.
        np.maximum(tau, -_TAU_CLIP, out=tau)
        np.minimum(tau, _TAU_CLIP, out=tau)
        tau[m - 1] = _TAU_CLIP
        np.maximum.accumulate(tau, axis=0, out=tau)
        # Bin-major flattening: blocker e = bin * m + j.
        blocker = tau.T + table.bin_offsets
        # First blocker of every pixel = #(blocker < query). Queries are sorted, so count
        # the other way round: place the few blocker values among the many queries; the
        # gaps between consecutive positions are run lengths of each blocker index.
        pos = table.query.searchsorted(blocker.ravel(), side="right")
        n_ent = len(pos)
        runs = np.empty(n_ent + 1, dtype=np.intp)
        runs[0] = pos[0]
        np.subtract(pos[1:], pos[:-1], out=runs[1:n_ent])
        runs[n_ent] = table.n_pix - pos[-1]
        g = np.repeat(np.arange(n_ent + 1), runs).take(table.inv_perm)  # image order
        # Front face at d_in, or (downward ray over a low prism) its top at rise / slope.
        d_prism = rise.T.ravel().take(g)
        d_prism *= table.inv_down
        np.maximum(d_prism, din.T.ravel().take(g), out=d_prism)
        use = d_prism < plane
        dist = np.minimum(d_prism, plane, out=d_prism)
        labels = st.labels.take(prism.T.ravel()).take(g)
        np.copyto(labels, table.plane_label, where=~use)
        if with_rgb:
            obj = np.where(use, st.ids.take(prism.T.ravel()).take(g), -1)
    depth = dist * table.inv_dh
    depth = np.where(depth <= camera_cfg.max_range_m, depth, 0.0)  # also clears no-returns
    shape = (table.height, table.width)
    labels_img = labels.reshape(shape)
    rgb = None
    if with_rgb:
        rgb = _photo_rgb(world, table, x, y, cy, sy, cam_h, dist, labels, obj, rng)
        rgb = rgb.reshape(shape + (3,))
    return CameraFrame(
        labels=labels_img,
        semantic_rgb=_label_colors(labels_img),
        depth_m=depth.astype(np.float32).reshape(shape),
        rgb=rgb,
        K=table.K.copy(),
    )


# Two labels per uint16 (native byte order) index one 6-byte colour pair.
_PAIR_COLORS = np.zeros((4 * 256, 6), dtype=np.uint8)
for _a in range(4):
    for _b in range(4):
        _code = np.frombuffer(np.array([_a, _b], dtype=np.uint8).tobytes(), np.uint16)[0]
        _PAIR_COLORS[_code] = np.concatenate([LABEL_COLORS[_a], LABEL_COLORS[_b]])
_PAIR_COLORS = _PAIR_COLORS.view("V6").ravel()
del _a, _b, _code


def _label_colors(labels: np.ndarray) -> np.ndarray:
    """``LABEL_COLORS[labels]`` for a contiguous (H, W) uint8 label image, two pixels per
    lookup (several times faster than ``np.take(..., axis=0)`` with its 3-byte rows)."""
    if labels.size % 2 or not labels.flags.c_contiguous:
        return np.take(LABEL_COLORS, labels, axis=0)
    pairs = _PAIR_COLORS.take(labels.reshape(-1).view(np.uint16))
    return pairs.view(np.uint8).reshape(labels.shape + (3,))


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
_NOISE_STD = 4.0  # sensor noise, grey levels
_NOISE_SLACK = 1 << 16  # extra noise samples: random start offset of each frame's noise


def _hash(a: np.ndarray, b: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic per-lattice-cell noise: two independent values in [0, 1) per cell.

    Args:
        a, b: float32 arrays of integral lattice coordinates (floored).
        seed: selects an independent noise field.

    Returns:
        Two float32 arrays (high / low 16 bits of an integer hash of the cell).
    """
    h = a.astype(np.int32).view(np.uint32)
    h *= np.uint32(0x9E3779B1)
    hb = b.astype(np.int32).view(np.uint32)
    hb *= np.uint32(0x85EBCA77)
    h ^= hb
    h ^= np.uint32((seed * 0xC2B2AE3D) & 0xFFFFFFFF)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x2C1B3C6D)
    h ^= h >> np.uint32(12)
    h *= np.uint32(0x297A2D39)
    h ^= h >> np.uint32(15)
    scale = np.float32(1.0 / 65536.0)
    hi = (h >> np.uint32(16)).astype(np.float32)
    hi *= scale
    h &= np.uint32(0xFFFF)
    lo = h.astype(np.float32)
    lo *= scale
    return hi, lo


class _RgbTables:
    """float32 per-pixel ray data and the sensor-noise pool of one ``_RayTable``."""

    def __init__(self, table: _RayTable) -> None:
        f32 = np.float32
        self.cos_az = table.cos_az.astype(f32)
        self.sin_az = table.sin_az.astype(f32)
        self.slope = table.slope.astype(f32)
        self.inv_dh = table.inv_dh.astype(f32)
        # Gaussian sensor noise, drawn once: each frame adds a window of it that starts at
        # a random offset (drawing 3 N normals per frame would cost more than the rest of
        # the image together).
        n = 3 * table.n_pix + _NOISE_SLACK
        self.noise = np.random.default_rng(0x5E15).standard_normal(n, dtype=f32)
        self.noise *= f32(_NOISE_STD)


def _rgb_tables(table: _RayTable) -> _RgbTables:
    aux = table._aux.get("rgb")
    if aux is None:
        aux = table._aux["rgb"] = _RgbTables(table)
    return aux


_RGB_CHUNK = 1 << 15  # pixels per block: keeps every temporary small and cache resident


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
    to learn something.

    Textures are procedural in world coordinates of the hit point (so they stick to the
    surfaces as the camera moves): per-class patterns with per-lattice-cell noise, float32
    throughout. The image is processed in blocks of ``_RGB_CHUNK`` pixels; in a block every
    class in view has its pattern evaluated on the whole block and selected per pixel
    (cheaper than gathering / scattering pixel subsets).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    f32 = np.float32
    aux = _rgb_tables(table)
    n = len(dist)
    obj = np.full(n, -1) if obj is None else obj
    # Scene styles depend on the world geometry (stable over an episode), lighting on rng.
    style = int(abs(float(world.bounds.sum()) * 1000.0)) + len(world.boxes)
    wall_c = _WALL_PALETTE[style % len(_WALL_PALETTE)]
    floor_c = _FLOOR_PALETTE[(style // 7) % len(_FLOOR_PALETTE)]
    n_box, n_people = len(world.boxes), len(world.people_xy)
    # Colour rows: wall, ceiling, floor, one per box, three per person (trousers, shirt, skin).
    oid = np.arange(n_box)
    pid = n_box + np.arange(n_people)
    colours = np.concatenate(
        [
            [wall_c, 1.05 * wall_c, floor_c],
            _FURNITURE_PALETTE[(oid * 7 + style) % len(_FURNITURE_PALETTE)],
            np.stack(
                [
                    _CLOTHES_PALETTE[(pid * 3 + 2) % len(_CLOTHES_PALETTE)] * 0.6,
                    _CLOTHES_PALETTE[(pid * 5 + 1) % len(_CLOTHES_PALETTE)],
                    _SKIN_PALETTE[pid % len(_SKIN_PALETTE)],
                ],
                axis=1,
            ).reshape(-1, 3),
        ]
    )
    # Lighting: global gain and colour cast, distance falloff, a soft vertical gradient and
    # sensor noise -- random per frame through rng.
    gain = f32(rng.uniform(0.65, 1.25))
    tint = rng.uniform(0.9, 1.1, size=3)
    start = int(rng.integers(_NOISE_SLACK))
    negate_noise = rng.random() < 0.5
    colours = (colours * tint).astype(f32).T.copy()  # (3, K)
    box_heights = world.box_heights.astype(f32)
    ctx = (x, y, cyaw, syaw, cam_h, style, n_box, box_heights, float(world.wall_height_m))
    rgb = np.empty((n, 3), dtype=np.uint8)
    for i0 in range(0, n, _RGB_CHUNK):
        i1 = min(i0 + _RGB_CHUNK, n)
        shade, row, d, hz = _shade_block(aux, ctx, i0, i1, dist, labels, obj)
        # Distance falloff 1 / (1 + 0.04 min(z-depth, 15)), vertical gradient 0.9 .. 1.0.
        depth = d * aux.inv_dh[i0:i1]
        np.minimum(depth, f32(15.0), out=depth)
        depth *= f32(0.04)
        depth += f32(1.0)
        light = hz * f32(0.1 / 2.5)
        np.maximum(light, f32(0.0), out=light)
        np.minimum(light, f32(0.1), out=light)
        light += f32(0.9)
        light *= gain
        light /= depth
        shade *= light
        out = np.empty((i1 - i0, 3), dtype=f32)
        for c in range(3):
            np.multiply(colours[c].take(row), shade, out=out[:, c])
        noise = aux.noise[start + 3 * i0 : start + 3 * i1].reshape(-1, 3)
        if negate_noise:
            out -= noise
        else:
            out += noise
        np.maximum(out, f32(0.0), out=out)
        np.minimum(out, f32(255.0), out=out)
        rgb[i0:i1] = out
    return rgb


def _shade_block(
    aux: _RgbTables,
    ctx: tuple,
    i0: int,
    i1: int,
    dist: np.ndarray,
    labels: np.ndarray,
    obj: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Texture shade, colour row, distance and hit height of pixels ``i0:i1``."""
    f32 = np.float32
    x, y, cyaw, syaw, cam_h, style, n_box, box_heights, wall_h = ctx
    labels = labels[i0:i1]
    d = np.where(dist[i0:i1] < _SENTINEL_D, dist[i0:i1], 50.0).astype(f32)
    cos_az, sin_az = aux.cos_az[i0:i1], aux.sin_az[i0:i1]
    hx = f32(cyaw) * cos_az
    hx -= f32(syaw) * sin_az
    hx *= d
    hx += f32(x)
    hy = f32(syaw) * cos_az
    hy += f32(cyaw) * sin_az
    hy *= d
    hy += f32(y)
    hz = aux.slope[i0:i1] * d
    hz += f32(cam_h)
    n = i1 - i0
    shade = np.ones(n, dtype=f32)
    row = np.zeros(n, dtype=np.intp)

    m = labels == WALL
    if m.any():
        u = hx + hy  # coordinate along an axis-aligned wall (either orientation)
        grain, _ = _hash(np.floor(u * f32(25.0)), np.floor(hz * f32(25.0)), 1)
        s = u * f32(3.1)
        s += hz * f32(2.3)
        s = np.sin(s, out=s)
        s *= f32(0.04)
        s += f32(0.93)
        grain *= f32(0.07)
        s += grain
        np.copyto(shade, s, where=m)
        np.copyto(row, 1, where=m & (hz > f32(wall_h - 1e-3)))
    m = labels == FLOOR
    if m.any():
        np.copyto(row, 2, where=m)
        if (style // 3) % 2 == 0:  # wooden planks along x with staggered joints
            p = hy * f32(1.0 / 0.18)
            plank = np.floor(p)
            offset, _ = _hash(plank, plank, 2)
            offset *= f32(0.7)
            offset += hx
            offset *= f32(1.0 / 1.2)
            tone, phase = _hash(plank, np.floor(offset, out=offset), 3)
            tone *= f32(0.2)
            tone += f32(0.8)
            phase *= f32(4.0 * 6.28)
            phase += hx * f32(45.0)
            stripe = np.sin(phase, out=phase)
            stripe *= f32(0.06)
            stripe += f32(0.94)
            tone *= stripe
            p -= np.rint(p)
            tone[np.abs(p, out=p) < f32(0.06)] *= f32(0.75)  # seams between planks
        else:  # square tiles with darker grout
            tx, ty = hx * f32(2.0), hy * f32(2.0)
            tone, _ = _hash(np.floor(tx), np.floor(ty), 5)
            tone *= f32(0.12)
            tone += f32(0.88)
            tx -= np.rint(tx)
            ty -= np.rint(ty)
            grout = (np.abs(tx, out=tx) < f32(0.04)) | (np.abs(ty, out=ty) < f32(0.04))
            tone[grout] *= f32(0.6)
        np.copyto(shade, tone, where=m)
    m = labels == FURNITURE
    if m.any():
        box = np.where(m, obj[i0:i1], 0)
        np.copyto(row, box + 3, where=m)
        u = hx + hy
        grain = u * f32(6.0)
        grain = np.sin(grain, out=grain)
        grain *= f32(3.0)
        grain += (hz * f32(2.0) + u * f32(0.5)) * f32(40.0)
        grain = np.sin(grain, out=grain)
        grain *= f32(0.15)
        grain += f32(0.85)
        top = hz - box_heights.take(box)
        grain[np.abs(top, out=top) < f32(1e-3)] *= f32(1.1)
        np.copyto(shade, grain, where=m)
    m = labels == PERSON
    if m.any():
        band = (hz > f32(0.85)).view(np.int8) + (hz > f32(1.5)).view(np.int8)
        np.copyto(row, 3 + n_box + 3 * (obj[i0:i1] - n_box) + band, where=m)
        folds, _ = _hash(np.floor(hx * f32(30.0)), np.floor(hz * f32(12.0)), 6)
        folds *= f32(0.1)
        folds += f32(0.9)
        np.copyto(shade, folds, where=m)
    return shade, row, d, hz


# --------------------------------------------------------------------------------------------
# Top-down map
# --------------------------------------------------------------------------------------------

_OUTSIDE_COLOR = np.array([32, 32, 32], dtype=np.uint8)
_ROBOT_COLOR = np.array([255, 255, 255], dtype=np.uint8)
_WAYPOINT_COLOR = np.array([0, 0, 0], dtype=np.uint8)
_TRAJECTORY_COLOR = np.array([255, 255, 0], dtype=np.uint8)

#: Every colour the top-down map uses (semantic colours + background, robot, waypoints,
#: trajectory): lets a replay buffer store the map as one palette byte per pixel.
TOPDOWN_COLORS = np.concatenate(
    [LABEL_COLORS, [_OUTSIDE_COLOR, _ROBOT_COLOR, _WAYPOINT_COLOR, _TRAJECTORY_COLOR]]
).astype(np.uint8)
TOPDOWN_COLORS.setflags(write=False)


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
