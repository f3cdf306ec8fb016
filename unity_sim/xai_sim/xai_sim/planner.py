"""Occupancy grid, A* and sub-goal placement.

The grid frame: cell (row i, col j) has its centre at world
``(origin_x + (j + 0.5) * resolution, origin_y + (i + 0.5) * resolution)``, i.e. rows grow
along +y and columns along +x (this is the array layout of ``nav_msgs/OccupancyGrid``).
Cells are occupied when their centre is closer than the inflation radius (robot radius plus
a margin) to an obstacle, so a planned path keeps the whole robot disk clear.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from .world import World

_SQRT2 = math.sqrt(2.0)


@dataclass
class OccupancyGrid:
    """Inflated occupancy grid.

    Attributes:
        occupied: (rows, cols) bool, True = the robot centre may not be here.
        origin: (2,) float64 world (x, y) of the grid's lower-left corner, metres.
        resolution: cell size in metres.
        inflation_m: obstacle inflation radius used to build ``occupied``.
    """

    occupied: np.ndarray
    origin: np.ndarray
    resolution: float
    inflation_m: float

    def world_to_cell(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) world points -> (N, 2) int64 ``(row, col)`` (may be out of the grid)."""
        pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        ij = np.floor((pts - self.origin) / self.resolution).astype(np.int64)
        return ij[:, ::-1]

    def cell_to_world(self, rc: np.ndarray) -> np.ndarray:
        """(N, 2) ``(row, col)`` -> (N, 2) float64 world (x, y) of the cell centres."""
        rc = np.asarray(rc).reshape(-1, 2)
        return self.origin + (rc[:, ::-1].astype(np.float64) + 0.5) * self.resolution

    def is_free(self, xy: np.ndarray) -> np.ndarray:
        """(N,) bool: the points lie in free (non-inflated) cells inside the grid."""
        rc = self.world_to_cell(xy)
        rows, cols = self.occupied.shape
        inside = (rc[:, 0] >= 0) & (rc[:, 0] < rows) & (rc[:, 1] >= 0) & (rc[:, 1] < cols)
        out = np.zeros(len(rc), dtype=bool)
        out[inside] = ~self.occupied[rc[inside, 0], rc[inside, 1]]
        return out


def build_occupancy_grid(
    world: World,
    resolution: float = 0.1,
    inflation_m: float = 0.34,
    include_people: bool = True,
) -> OccupancyGrid:
    """Rasterise the world and inflate obstacles by ``inflation_m`` (vectorised).

    The static part (walls, furniture) is cached on the world, keyed by the parameters, so
    resetting an episode in a named layout does not rebuild it.
    """
    key = ("occupancy", resolution, inflation_m)
    static = world.cache.get(key)
    if static is None:
        x0, y0, x1, y1 = world.bounds
        cols = int(math.ceil((x1 - x0) / resolution))
        rows = int(math.ceil((y1 - y0) / resolution))
        origin = np.array([x0, y0], dtype=np.float64)
        grid = np.zeros((rows, cols), dtype=bool)
        # Per box, only the window of its inflated footprint is tested (rounded corners:
        # exact point-to-box distance), instead of every cell against every box.
        for bx0, by0, bx1, by1 in world.boxes:
            j0 = max(int((bx0 - inflation_m - x0) / resolution), 0)
            j1 = min(int((bx1 + inflation_m - x0) / resolution) + 1, cols)
            i0 = max(int((by0 - inflation_m - y0) / resolution), 0)
            i1 = min(int((by1 + inflation_m - y0) / resolution) + 1, rows)
            if j1 <= j0 or i1 <= i0:
                continue
            xs = x0 + (np.arange(j0, j1) + 0.5) * resolution
            ys = y0 + (np.arange(i0, i1) + 0.5) * resolution
            dx = np.maximum(np.maximum(bx0 - xs, xs - bx1), 0.0)
            dy = np.maximum(np.maximum(by0 - ys, ys - by1), 0.0)
            grid[i0:i1, j0:j1] |= dy[:, None] ** 2 + dx[None, :] ** 2 < inflation_m**2
        static = grid, origin
        world.cache[key] = static
    occupied, origin = static
    occupied = occupied.copy()
    if include_people and len(world.people_xy):
        rows, cols = occupied.shape
        reach = world.people_radius_m + inflation_m
        for px, py in world.people_xy:
            # Only the small window around each person needs a distance test.
            j0 = max(int((px - reach - origin[0]) / resolution), 0)
            j1 = min(int((px + reach - origin[0]) / resolution) + 1, cols)
            i0 = max(int((py - reach - origin[1]) / resolution), 0)
            i1 = min(int((py + reach - origin[1]) / resolution) + 1, rows)
            if j1 <= j0 or i1 <= i0:
                continue
            xs = origin[0] + (np.arange(j0, j1) + 0.5) * resolution
            ys = origin[1] + (np.arange(i0, i1) + 0.5) * resolution
            d2 = (xs[None, :] - px) ** 2 + (ys[:, None] - py) ** 2
            occupied[i0:i1, j0:j1] |= d2 < reach * reach
    return OccupancyGrid(occupied, origin, float(resolution), float(inflation_m))


def _nearest_free(
    grid: OccupancyGrid, rc: np.ndarray, max_cells: int = 4
) -> tuple[int, int] | None:
    """Nearest free cell within ``max_cells`` of ``rc`` (the robot may stand inside the
    inflation margin, which is wider than its radius)."""
    rows, cols = grid.occupied.shape
    r, c = int(rc[0]), int(rc[1])
    i0, i1 = max(r - max_cells, 0), min(r + max_cells + 1, rows)
    j0, j1 = max(c - max_cells, 0), min(c + max_cells + 1, cols)
    if i1 <= i0 or j1 <= j0:
        return None
    window = ~grid.occupied[i0:i1, j0:j1]
    if not window.any():
        return None
    ii, jj = np.nonzero(window)
    k = int(np.argmin((ii + i0 - r) ** 2 + (jj + j0 - c) ** 2))
    return int(ii[k] + i0), int(jj[k] + j0)


def astar(grid: OccupancyGrid, start_xy: np.ndarray, goal_xy: np.ndarray) -> np.ndarray | None:
    """8-connected A* with the octile heuristic; diagonal moves may not cut occupied corners.

    Args:
        grid: inflated occupancy grid.
        start_xy, goal_xy: (2,) world points; snapped to the nearest free cell within 0.4 m.

    Returns:
        (N, 2) float64 world path from ``start_xy`` to ``goal_xy`` (exact end points, cell
        centres in between), or None when the goal is unreachable.
    """
    start_xy = np.asarray(start_xy, dtype=np.float64)
    goal_xy = np.asarray(goal_xy, dtype=np.float64)
    s = _nearest_free(grid, grid.world_to_cell(start_xy)[0])
    g = _nearest_free(grid, grid.world_to_cell(goal_xy)[0])
    if s is None or g is None:
        return None
    rows, cols = grid.occupied.shape
    # Pad with an occupied border so the inner loop needs no bounds checks; a flat Python list
    # is much faster to index than a numpy array one element at a time.
    w = cols + 2
    padded = np.ones((rows + 2, cols + 2), dtype=bool)
    padded[1:-1, 1:-1] = grid.occupied
    blocked = padded.ravel().tolist()
    start = (s[0] + 1) * w + s[1] + 1
    goal = (g[0] + 1) * w + g[1] + 1
    gr, gc = divmod(goal, w)
    straight = ((1, 1.0), (-1, 1.0), (w, 1.0), (-w, 1.0))
    diagonal = ((w + 1, w, 1), (w - 1, w, -1), (-w + 1, -w, 1), (-w - 1, -w, -1))
    size = len(blocked)
    best = [math.inf] * size
    parent = [-1] * size
    closed = bytearray(size)
    best[start] = 0.0
    heap = [(0.0, 0.0, start)]
    k = _SQRT2 - 2.0
    found = False
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        _, cost, node = pop(heap)
        if closed[node]:
            continue
        if node == goal:
            found = True
            break
        closed[node] = 1
        for d, step in straight:
            nb = node + d
            if blocked[nb] or closed[nb]:
                continue
            nc = cost + step
            if nc < best[nb]:
                best[nb] = nc
                parent[nb] = node
                r, c = divmod(nb, w)
                dr, dc = abs(r - gr), abs(c - gc)
                push(heap, (nc + dr + dc + k * (dr if dr < dc else dc), nc, nb))
        for d, a, b in diagonal:
            nb = node + d
            if blocked[nb] or closed[nb] or blocked[node + a] or blocked[node + b]:
                continue
            nc = cost + _SQRT2
            if nc < best[nb]:
                best[nb] = nc
                parent[nb] = node
                r, c = divmod(nb, w)
                dr, dc = abs(r - gr), abs(c - gc)
                push(heap, (nc + dr + dc + k * (dr if dr < dc else dc), nc, nb))
    if not found:
        return None
    cells = []
    node = goal
    while node != -1:
        r, c = divmod(node, w)
        cells.append((r - 1, c - 1))
        node = parent[node]
    cells.reverse()
    path = grid.cell_to_world(np.array(cells, dtype=np.int64))
    path[0], path[-1] = start_xy, goal_xy
    return path


def path_length(path_xy: np.ndarray) -> float:
    """Sum of segment lengths of an (N, 2) polyline, metres."""
    path_xy = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    if len(path_xy) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(path_xy, axis=0), axis=1).sum())


def resample_polyline(path_xy: np.ndarray, distances: np.ndarray) -> np.ndarray:
    """Points at the given arc-length ``distances`` (metres, clipped) along a polyline.

    Returns:
        (M, 2) float64 world points.
    """
    path_xy = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    seg = np.linalg.norm(np.diff(path_xy, axis=0), axis=1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    d = np.clip(np.asarray(distances, dtype=np.float64), 0.0, arc[-1])
    return np.stack([np.interp(d, arc, path_xy[:, 0]), np.interp(d, arc, path_xy[:, 1])], axis=1)


def smooth_path(grid: OccupancyGrid, path_xy: np.ndarray) -> np.ndarray:
    """Shortcut a grid path ("string pulling"): keep only the vertices needed so that every
    straight segment stays in free cells of ``grid``.

    Straight segments between corners are what a turn-then-drive robot actually follows, so
    the sub-goals placed on them are safe to drive to in a straight line.

    Args:
        path_xy: (N, 2) world path whose points are all free (e.g. from ``astar``).

    Returns:
        (M, 2) float64 world path, M <= N, same end points.
    """
    path_xy = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    if len(path_xy) <= 2:
        return path_xy.copy()
    step = grid.resolution / 2.0
    out = [path_xy[0]]
    i = 0
    n = len(path_xy)
    rows, cols = grid.occupied.shape
    occupied = grid.occupied.ravel()
    ox, oy = float(grid.origin[0]), float(grid.origin[1])
    res = grid.resolution
    px_all, py_all = path_xy[:, 0].copy(), path_xy[:, 1].copy()
    while i < n - 1:
        # Sample every segment (i -> j) for all j at once: one vectorised grid lookup (the
        # same points and cells as ``grid.is_free``, with x and y kept apart).
        dx, dy = px_all[i + 1 :] - px_all[i], py_all[i + 1 :] - py_all[i]
        longest = float(np.sqrt(dx * dx + dy * dy).max())
        samples = max(int(longest / step) + 2, 2)
        t = np.linspace(0.0, 1.0, samples)
        c = np.floor((px_all[i] + np.multiply.outer(dx, t) - ox) / res).astype(np.int64)
        r = np.floor((py_all[i] + np.multiply.outer(dy, t) - oy) / res).astype(np.int64)
        inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        r *= cols
        r += c
        blocked = occupied.take(np.where(inside, r, 0))
        blocked |= ~inside
        free = ~blocked.any(axis=1)
        free[0] = True  # neighbouring path cells are always connected
        j = i + 1 + int(np.flatnonzero(free)[-1])
        out.append(path_xy[j])
        i = j
    return np.array(out)


def subgoals_along(
    path_xy: np.ndarray, spacing: float = 1.0, keep_corners: bool = False
) -> np.ndarray:
    """Sub-goals about ``spacing`` metres apart along a path; the last is the goal.

    Without ``keep_corners`` the sub-goals sit every ``spacing`` metres of arc length (an
    intermediate one closer than ``spacing / 2`` to the goal is dropped so the final leg is
    never a tiny hop). With ``keep_corners`` (for a ``smooth_path`` output) every vertex
    where the path turns by more than 10 deg is a sub-goal too and each straight segment is
    split evenly into pieces no longer than ``spacing``, so driving straight from one
    sub-goal to the next never cuts a corner.

    Args:
        path_xy: (N, 2) world polyline, start first.
        spacing: spacing in metres.
        keep_corners: see above.

    Returns:
        (K, 2) float64 world points, K >= 1, ``result[-1] == path_xy[-1]``; the start
        itself is not a sub-goal.
    """
    if spacing <= 0:
        raise ValueError(f"spacing must be > 0, got {spacing}")
    path_xy = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    if keep_corners and len(path_xy) > 2:
        d = np.diff(path_xy, axis=0)
        heading = np.arctan2(d[:, 1], d[:, 0])
        turn = np.abs((np.diff(heading) + np.pi) % (2 * np.pi) - np.pi)
        keep = np.concatenate([[True], turn > np.radians(10.0), [True]])
        corners = path_xy[keep]
        out = []
        for a, b in zip(corners[:-1], corners[1:], strict=False):
            pieces = max(int(np.ceil(np.linalg.norm(b - a) / spacing - 1e-9)), 1)
            t = np.arange(1, pieces + 1)[:, None] / pieces
            out.append(a + t * (b - a))
        result = np.concatenate(out, axis=0)
        result[-1] = path_xy[-1]
        return result
    total = path_length(path_xy)
    marks = np.arange(1, int(total / spacing) + 1) * spacing
    marks = marks[marks <= total - spacing / 2]
    inner = resample_polyline(path_xy, marks)
    return np.concatenate([inner, path_xy[-1:]], axis=0)
