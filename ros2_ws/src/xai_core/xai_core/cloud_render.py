"""Software snapshot of a coloured point cloud (numpy z-buffer splatting, no GPU, no GUI).

Used to save a PNG of an attention cloud "seen from behind the robot" where no RViz runs (demo,
CI, papers). Points are projected into a virtual pinhole camera placed with look-at
parameters and drawn as ``point_px`` x ``point_px`` squares; where squares overlap, the point
nearest to the virtual camera wins (z-buffer).

Frames: ``eye``, ``target``, ``up`` and the points share one frame, whatever it is. For a cloud
in a camera OPTICAL frame (x right, y down, z forward), a view from behind and above the
sensor is ``eye=(0, -1, -2), target=(0, 0, 3), up=(0, -1, 0)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def look_at(
    eye: Sequence[float], target: Sequence[float], up: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """Rotation and origin of a virtual camera at ``eye`` looking at ``target``.

    Returns:
        ``(R, eye)``: ``R`` (3, 3) float64 whose rows are the camera's optical axes (x right,
        y down, z forward) in the points' frame, so ``p_cam = R @ (p - eye)``; ``eye`` (3,).

    Raises:
        ValueError: ``eye == target``, or ``up`` parallel to the viewing direction.
    """
    eye_v = np.asarray(eye, dtype=np.float64).reshape(3)
    forward = np.asarray(target, dtype=np.float64).reshape(3) - eye_v
    norm = np.linalg.norm(forward)
    if not norm > 1e-12:
        raise ValueError(f"eye {eye_v.tolist()} and target must differ")
    forward /= norm
    right = np.cross(forward, np.asarray(up, dtype=np.float64).reshape(3))
    norm = np.linalg.norm(right)
    if not norm > 1e-9:
        raise ValueError(f"up {list(up)} must not be parallel to the viewing direction")
    right /= norm
    down = np.cross(forward, right)
    return np.stack([right, down, forward]), eye_v


def render_cloud_snapshot(
    xyz: np.ndarray,
    rgb: np.ndarray,
    *,
    eye: Sequence[float],
    target: Sequence[float],
    up: Sequence[float],
    width: int = 640,
    height: int = 480,
    fov_deg: float = 60.0,
    point_px: int = 2,
    background: Sequence[int] = (0, 0, 0),
    near_m: float = 0.05,
) -> np.ndarray:
    """Rasterise coloured points into an image.

    Args:
        xyz: ``(N, 3)`` point positions (metres; any frame shared with eye / target / up).
        rgb: ``(N, 3)`` uint8 colours.
        eye, target, up: virtual camera placement (see :func:`look_at`).
        width, height: image size in pixels.
        fov_deg: horizontal field of view; square pixels, principal point at the image centre.
        point_px: edge of the square drawn per point, in pixels.
        background: RGB of pixels no point covers.
        near_m: points closer than this along the viewing direction (or behind) are culled.

    Returns:
        ``(height, width, 3)`` uint8 image, row 0 at the top.

    Raises:
        ValueError: mismatched or mis-shaped inputs, or out-of-range settings.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    rgb = np.asarray(rgb)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"xyz must have shape (N, 3), got {xyz.shape}")
    if rgb.shape != xyz.shape or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be uint8 of shape {xyz.shape}, got {rgb.dtype} {rgb.shape}")
    if width < 1 or height < 1 or point_px < 1:
        raise ValueError(f"width, height, point_px must be >= 1, got {width}, {height}, {point_px}")
    if not 0.0 < fov_deg < 180.0:
        raise ValueError(f"fov_deg must be in (0, 180), got {fov_deg}")
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = np.asarray(background, dtype=np.uint8)

    rotation, origin = look_at(eye, target, up)
    cam = (xyz - origin) @ rotation.T  # (N, 3) in the virtual camera's optical frame
    keep = np.isfinite(cam).all(axis=1) & (cam[:, 2] > near_m)
    cam, colours = cam[keep], rgb[keep]
    focal = (width / 2.0) / np.tan(np.radians(fov_deg) / 2.0)
    u = np.rint(focal * cam[:, 0] / cam[:, 2] + (width - 1) / 2.0)
    v = np.rint(focal * cam[:, 1] / cam[:, 2] + (height - 1) / 2.0)
    # Cull far outside the image before the int cast (huge values near the image plane).
    margin = point_px + 1
    inside = (u > -margin) & (u < width + margin) & (v > -margin) & (v < height + margin)
    u, v, depth, colours = (
        u[inside].astype(np.int64),
        v[inside].astype(np.int64),
        cam[inside, 2],
        colours[inside],
    )

    offsets = np.arange(point_px) - point_px // 2
    du, dv = (a.reshape(-1) for a in np.meshgrid(offsets, offsets))
    su = (u[:, None] + du).reshape(-1)
    sv = (v[:, None] + dv).reshape(-1)
    source = np.repeat(np.arange(len(u)), len(du))
    on_image = (su >= 0) & (su < width) & (sv >= 0) & (sv < height)
    pixel, source = (sv * width + su)[on_image], source[on_image]
    # Z-buffer: sort by pixel, then depth; the first entry of each pixel is the nearest point.
    order = np.lexsort((depth[source], pixel))
    pixel, source = pixel[order], source[order]
    first = np.r_[True, pixel[1:] != pixel[:-1]] if len(pixel) else np.zeros(0, bool)
    image.reshape(-1, 3)[pixel[first]] = colours[source[first]]
    return image
