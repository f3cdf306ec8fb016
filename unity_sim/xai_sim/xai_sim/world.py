"""World geometry: walls, furniture and people as vertical prisms over a floor plane.

Frame: the world frame is REP-103 ("map"): x forward/east, y left/north, z up, metres.
Every obstacle is a vertical prism standing on the floor (z = 0):

* walls      -- axis-aligned boxes, full height (``wall_height``, 2.5 m), label ``wall``;
* furniture  -- axis-aligned boxes 0.4..1.2 m high, label ``furniture``;
* people     -- vertical cylinders (radius 0.25 m, height 1.7 m), label ``person``;
* the floor plane z = 0 is ``floor``; the ceiling at ``wall_height`` is labelled ``wall``.

Prisms only is what makes rendering a 1-D problem per image column (see ``render.py``).
``generate_floor_plan`` makes seeded procedural floor plans (rooms, corridors, door
openings, furniture, people); ``make_layout`` builds the fixed evaluation layouts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

LABEL_NAMES: tuple[str, ...] = ("wall", "floor", "furniture", "person")
"""Semantic class of each label value 0..3."""

WALL, FLOOR, FURNITURE, PERSON = 0, 1, 2, 3

LABEL_COLORS: np.ndarray = np.array(
    [[0, 255, 0], [0, 0, 255], [255, 0, 0], [128, 128, 128]], dtype=np.uint8
)
"""(4, 3) uint8 RGB colour of each label: wall green, floor blue, furniture red, person grey."""
LABEL_COLORS.setflags(write=False)

WALL_THICKNESS_M = 0.12
WALL_HEIGHT_M = 2.5
PERSON_RADIUS_M = 0.25
PERSON_HEIGHT_M = 1.7


@dataclass
class World:
    """Static boxes plus (possibly moving) cylindrical people.

    Attributes:
        boxes: (N, 4) float64 ``[xmin, ymin, xmax, ymax]`` in the world frame, metres.
        box_heights: (N,) float64 box top heights, metres.
        box_labels: (N,) uint8 label of each box (``WALL`` or ``FURNITURE``).
        people_xy: (P, 2) float64 person centres; the env moves them when people walk.
        bounds: (4,) float64 ``[xmin, ymin, xmax, ymax]`` enclosing all geometry.
        name: layout name, or ``"procedural"``.
        people_radius_m, people_height_m, wall_height_m: shared dimensions.
    """

    boxes: np.ndarray
    box_heights: np.ndarray
    box_labels: np.ndarray
    people_xy: np.ndarray
    bounds: np.ndarray
    name: str = "procedural"
    people_radius_m: float = PERSON_RADIUS_M
    people_height_m: float = PERSON_HEIGHT_M
    wall_height_m: float = WALL_HEIGHT_M
    # Derived data (occupancy grids, top-down base maps) keyed by their parameters; only
    # valid for the static boxes, which never change after construction.
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        self.box_heights = np.asarray(self.box_heights, dtype=np.float64).reshape(-1)
        self.box_labels = np.asarray(self.box_labels, dtype=np.uint8).reshape(-1)
        self.people_xy = np.asarray(self.people_xy, dtype=np.float64).reshape(-1, 2)
        self.bounds = np.asarray(self.bounds, dtype=np.float64).reshape(4)
        if not (len(self.boxes) == len(self.box_heights) == len(self.box_labels)):
            raise ValueError("boxes, box_heights and box_labels must have the same length")

    def copy(self) -> World:
        """Copy with its own people array (boxes and caches are shared: they never change)."""
        return dataclasses.replace(self, people_xy=self.people_xy.copy(), cache=self.cache)

    @property
    def size_m(self) -> tuple[float, float]:
        """(width along x, height along y) of ``bounds`` in metres."""
        return float(self.bounds[2] - self.bounds[0]), float(self.bounds[3] - self.bounds[1])

    def obstacle_distance(self, xy: np.ndarray, include_people: bool = True) -> np.ndarray:
        """Distance from points to the nearest obstacle surface (0 inside a box).

        Args:
            xy: (N, 2) or (2,) points in the world frame, metres.
            include_people: also measure to the person cylinders.

        Returns:
            (N,) float64 distances in metres (``inf`` when the world is empty).
        """
        pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        best = np.full(len(pts), np.inf)
        if len(self.boxes):
            px, py = pts[:, 0:1], pts[:, 1:2]
            b = self.boxes
            dx = np.maximum(np.maximum(b[:, 0] - px, px - b[:, 2]), 0.0)
            dy = np.maximum(np.maximum(b[:, 1] - py, py - b[:, 3]), 0.0)
            best = np.minimum(best, np.sqrt(dx * dx + dy * dy).min(axis=1))
        if include_people and len(self.people_xy):
            d = np.linalg.norm(pts[:, None, :] - self.people_xy[None], axis=2)
            best = np.minimum(best, np.maximum(d - self.people_radius_m, 0.0).min(axis=1))
        return best

    def collides(self, x: float, y: float, radius: float, include_people: bool = True) -> bool:
        """True if a disk of ``radius`` metres at world (x, y) intersects any obstacle.

        Leaving ``bounds`` also counts as a collision so an open layout cannot be escaped.
        """
        b = self.bounds
        if x - radius < b[0] or x + radius > b[2] or y - radius < b[1] or y + radius > b[3]:
            return True
        if len(self.boxes):
            bx = self.boxes
            dx = np.maximum(np.maximum(bx[:, 0] - x, x - bx[:, 2]), 0.0)
            dy = np.maximum(np.maximum(bx[:, 1] - y, y - bx[:, 3]), 0.0)
            if bool(np.any(dx * dx + dy * dy < radius * radius)):
                return True
        if include_people and len(self.people_xy):
            d2 = (self.people_xy[:, 0] - x) ** 2 + (self.people_xy[:, 1] - y) ** 2
            if bool(np.any(d2 < (radius + self.people_radius_m) ** 2)):
                return True
        return False

    def free_space_sample(
        self,
        rng: np.random.Generator,
        clearance: float,
        include_people: bool = True,
        max_tries: int = 64,
    ) -> np.ndarray:
        """Uniformly sample a point whose distance to every obstacle is >= ``clearance``.

        Returns:
            (2,) float64 world (x, y), metres.

        Raises:
            RuntimeError: no free point found (the world is too crowded for the clearance).
        """
        lo, hi = self.bounds[:2] + clearance, self.bounds[2:] - clearance
        for _ in range(max_tries):
            # Batches of candidates: one vectorised distance query instead of a Python loop.
            cand = rng.uniform(lo, hi, size=(32, 2))
            ok = np.flatnonzero(self.obstacle_distance(cand, include_people) >= clearance)
            if len(ok):
                return cand[ok[0]]
        raise RuntimeError(f"no free space with clearance {clearance} m in world '{self.name}'")


# --------------------------------------------------------------------------------------------
# Floor plan construction
# --------------------------------------------------------------------------------------------


def box_world(
    boxes: Sequence[Sequence[float]],
    heights: Sequence[float],
    labels: Sequence[int],
    people: Sequence[Sequence[float]] = (),
    bounds: Sequence[float] = (-20.0, -20.0, 20.0, 20.0),
    name: str = "custom",
) -> World:
    """A world from plain lists (hand-built scenes for tests and experiments).

    Args:
        boxes: (N, 4) axis-aligned footprints ``[x0, y0, x1, y1]`` in metres, world frame.
        heights: (N,) prism heights in metres.
        labels: (N,) label per box (``WALL`` or ``FURNITURE``).
        people: (P, 2) person centres in metres.
        bounds: ``[x0, y0, x1, y1]`` of the world.
    """
    return World(
        boxes=np.array(boxes, dtype=np.float64).reshape(-1, 4),
        box_heights=np.array(heights, dtype=np.float64),
        box_labels=np.array(labels, dtype=np.uint8),
        people_xy=np.array(people, dtype=np.float64).reshape(-1, 2),
        bounds=np.array(bounds, dtype=np.float64),
        name=name,
    )


class _PlanBuilder:
    """Accumulates walls (with door gaps), furniture and people, then builds a ``World``."""

    def __init__(self, width: float, height: float, name: str) -> None:
        self.width, self.height, self.name = width, height, name
        self.boxes: list[list[float]] = []
        self.heights: list[float] = []
        self.labels: list[int] = []
        self.people: list[tuple[float, float]] = []
        # (axis, coord, lo, hi) of every door gap; axis "h" = wall along x at y = coord.
        self.doors: list[tuple[str, float, float, float]] = []
        t = WALL_THICKNESS_M
        self.wall("h", 0.0, 0.0, width)
        self.wall("h", height, 0.0, width)
        self.wall("v", 0.0, 0.0, height)
        self.wall("v", width, 0.0, height)
        self.bounds = [-t / 2, -t / 2, width + t / 2, height + t / 2]

    def wall(self, axis: str, coord: float, lo: float, hi: float, doors: tuple = ()) -> None:
        """Wall along ``axis`` ("h": along x at y=coord; "v": along y at x=coord) from lo to hi.

        ``doors`` is a sequence of (centre, width) gaps. Segments are extended by half the wall
        thickness so perpendicular walls close their corners.
        """
        t = WALL_THICKNESS_M
        cuts = sorted((c - w / 2, c + w / 2) for c, w in doors)
        start = lo - t / 2
        spans = []
        for a, b in cuts:
            spans.append((start, a))
            start = b
            self.doors.append((axis, coord, a, b))
        spans.append((start, hi + t / 2))
        for a, b in spans:
            if b - a < 1e-6:
                continue
            if axis == "h":
                self.boxes.append([a, coord - t / 2, b, coord + t / 2])
            else:
                self.boxes.append([coord - t / 2, a, coord + t / 2, b])
            self.heights.append(WALL_HEIGHT_M)
            self.labels.append(WALL)

    def furniture(self, x0: float, y0: float, x1: float, y1: float, height: float) -> None:
        self.boxes.append([x0, y0, x1, y1])
        self.heights.append(height)
        self.labels.append(FURNITURE)

    def person(self, x: float, y: float) -> None:
        self.people.append((x, y))

    def door_points(self) -> np.ndarray:
        """(D, 2) centres of the door gaps."""
        pts = [
            ((lo + hi) / 2, c) if axis == "h" else (c, (lo + hi) / 2)
            for axis, c, lo, hi in self.doors
        ]
        return np.array(pts, dtype=np.float64).reshape(-1, 2)

    def build(self) -> World:
        return World(
            boxes=np.array(self.boxes, dtype=np.float64).reshape(-1, 4),
            box_heights=np.array(self.heights, dtype=np.float64),
            box_labels=np.array(self.labels, dtype=np.uint8),
            people_xy=np.array(self.people, dtype=np.float64).reshape(-1, 2),
            bounds=np.array(self.bounds, dtype=np.float64),
            name=self.name,
        )


def _door_conflict(
    doors: list[tuple[str, float, float, float]], axis: str, coord: float, pos: float
) -> bool:
    """True if a wall ending at ``pos`` on a wall (axis, coord) would cut one of its doors."""
    for d_axis, d_coord, lo, hi in doors:
        if d_axis == axis and abs(d_coord - coord) < 1e-6 and lo - 0.4 < pos < hi + 0.4:
            return True
    return False


def generate_floor_plan(
    rng: np.random.Generator,
    width_range: tuple[float, float] = (10.0, 15.0),
    height_range: tuple[float, float] = (8.0, 11.0),
    corridor_prob: float = 0.5,
    furniture_per_room: tuple[int, int] = (1, 3),
    people_range: tuple[int, int] = (0, 3),
    min_room_m: float = 3.0,
) -> World:
    """Make a seeded procedural floor plan.

    Either a corridor along x with rooms on both sides (one door per room), or a binary
    space partition of the outer rectangle into rooms (one door per partition wall). Doors are
    1.0..1.3 m wide; furniture is kept 1.3 m away from doors, and people stand in free space.
    The same generator state gives the same plan.

    Args:
        rng: numpy generator; the only source of randomness.
        width_range, height_range: outer size along x / y in metres.
        corridor_prob: probability of the corridor variant.
        furniture_per_room: inclusive range of furniture pieces per room.
        people_range: inclusive range of the number of people.
        min_room_m: smallest room side.

    Returns:
        A ``World`` named ``"procedural"``.
    """
    width = float(np.round(rng.uniform(*width_range), 1))
    height = float(np.round(rng.uniform(*height_range), 1))
    plan = _PlanBuilder(width, height, "procedural")
    rooms: list[tuple[float, float, float, float]] = []

    def door_width() -> float:
        return float(np.round(rng.uniform(1.0, 1.3), 2))

    if rng.random() < corridor_prob:
        cw = float(rng.uniform(1.8, 2.2))
        yc0 = float(np.round(rng.uniform(0.35 * height, 0.65 * height - cw), 1))
        yc0 = max(yc0, min_room_m * 0.8)
        yc1 = yc0 + cw
        for y0, y1, wall_y in ((0.0, yc0, yc0), (yc1, height, yc1)):
            n = int(rng.integers(1, max(2, min(4, int(width // 3.5) + 1))))
            edges = np.linspace(0.0, width, n + 1)
            edges[1:-1] += rng.uniform(-0.5, 0.5, size=n - 1)
            edges = np.round(edges, 1)
            doors = []
            for i in range(n):
                x0, x1 = float(edges[i]), float(edges[i + 1])
                w = door_width()
                c = float(rng.uniform(x0 + 0.3 + w / 2, x1 - 0.3 - w / 2))
                doors.append((c, w))
                rooms.append((x0, y0, x1, y1))
                if i > 0:
                    plan.wall("v", x0, y0, y1)
            plan.wall("h", wall_y, 0.0, width, doors=tuple(doors))
    else:

        def split(rect: tuple[float, float, float, float], depth: int) -> None:
            x0, y0, x1, y1 = rect
            w, h = x1 - x0, y1 - y0
            if depth >= 3 or max(w, h) < 2 * min_room_m or (depth >= 1 and rng.random() < 0.25):
                rooms.append(rect)
                return
            vertical = w >= h  # split across the long side so rooms stay roughly square
            lo, hi = (x0, x1) if vertical else (y0, y1)
            for _ in range(10):
                s = float(np.round(rng.uniform(lo + min_room_m, hi - min_room_m), 1))
                if vertical:
                    bad = _door_conflict(plan.doors, "h", y0, s) or _door_conflict(
                        plan.doors, "h", y1, s
                    )
                else:
                    bad = _door_conflict(plan.doors, "v", x0, s) or _door_conflict(
                        plan.doors, "v", x1, s
                    )
                if not bad:
                    break
            else:
                rooms.append(rect)
                return
            a, b = (y0, y1) if vertical else (x0, x1)
            dw = door_width()
            c = float(rng.uniform(a + 0.3 + dw / 2, b - 0.3 - dw / 2))
            plan.wall("v" if vertical else "h", s, a, b, doors=((c, dw),))
            if vertical:
                split((x0, y0, s, y1), depth + 1)
                split((s, y0, x1, y1), depth + 1)
            else:
                split((x0, y0, x1, s), depth + 1)
                split((x0, s, x1, y1), depth + 1)

        split((0.0, 0.0, width, height), 0)

    doors_xy = plan.door_points()
    margin = WALL_THICKNESS_M / 2 + 0.02
    placed: list[tuple[float, float, float, float]] = []
    for rx0, ry0, rx1, ry1 in rooms:
        for _ in range(int(rng.integers(furniture_per_room[0], furniture_per_room[1] + 1))):
            for _try in range(20):
                sx, sy = rng.uniform(0.5, 1.6), rng.uniform(0.4, 0.9)
                if rng.random() < 0.5:
                    sx, sy = sy, sx
                hx0, hx1 = rx0 + margin, rx1 - margin - sx
                hy0, hy1 = ry0 + margin, ry1 - margin - sy
                if hx1 <= hx0 or hy1 <= hy0:
                    break
                x0, y0 = rng.uniform(hx0, hx1), rng.uniform(hy0, hy1)
                if rng.random() < 0.6:  # push against the nearest room wall, like real rooms
                    gaps = [x0 - hx0, hx1 - x0, y0 - hy0, hy1 - y0]
                    k = int(np.argmin(gaps))
                    x0 = (hx0, hx1, x0, x0)[k]
                    y0 = (y0, y0, hy0, hy1)[k]
                box = (x0, y0, x0 + sx, y0 + sy)
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                if (
                    len(doors_xy)
                    and np.min(np.hypot(doors_xy[:, 0] - cx, doors_xy[:, 1] - cy))
                    < 1.3 + max(sx, sy) / 2
                ):
                    continue
                # 0.7 m between pieces keeps a passage the robot (0.44 m wide) fits through.
                if any(
                    box[0] < p[2] + 0.7
                    and p[0] < box[2] + 0.7
                    and box[1] < p[3] + 0.7
                    and p[1] < box[3] + 0.7
                    for p in placed
                ):
                    continue
                placed.append(box)
                plan.furniture(*box, height=float(np.round(rng.uniform(0.4, 1.2), 2)))
                break

    world = plan.build()
    n_people = int(rng.integers(people_range[0], people_range[1] + 1))
    for _ in range(n_people):
        try:
            p = world.free_space_sample(rng, clearance=PERSON_RADIUS_M + 0.5)
        except RuntimeError:
            break
        if len(doors_xy) and np.min(np.hypot(*(doors_xy - p).T)) < 1.2:
            continue
        world.people_xy = np.vstack([world.people_xy, p[None]])
    return world


# --------------------------------------------------------------------------------------------
# Named evaluation layouts (hand-designed; the sketches in data/sketches.json refer to them)
# --------------------------------------------------------------------------------------------


def _open_hall() -> World:
    """12 x 10 m hall with a few tables and sofas, two people; lots of free floor."""
    p = _PlanBuilder(12.0, 10.0, "open_hall")
    p.furniture(1.0, 8.0, 3.0, 9.0, 0.75)  # table top-left
    p.furniture(9.0, 8.2, 11.4, 9.2, 0.45)  # sofa top-right
    p.furniture(10.8, 1.0, 11.6, 3.0, 1.2)  # shelf on the right wall
    p.furniture(5.4, 4.6, 6.6, 5.4, 0.75)  # table in the middle
    p.person(2.0, 5.5)
    p.person(10.0, 6.0)
    return p.build()


def _corridor() -> World:
    """16 x 6 m: a 2.4 m corridor along y = 0..2.4 with three rooms above it."""
    p = _PlanBuilder(16.0, 6.0, "corridor")
    p.wall("h", 2.4, 0.0, 16.0, doors=((3.0, 1.2), (8.0, 1.2), (13.0, 1.2)))
    p.wall("v", 5.5, 2.4, 6.0)
    p.wall("v", 10.5, 2.4, 6.0)
    p.furniture(0.3, 4.8, 2.3, 5.7, 0.75)
    p.furniture(6.0, 5.0, 7.5, 5.7, 1.2)
    p.furniture(14.6, 3.2, 15.7, 5.2, 0.45)
    p.furniture(15.2, 0.3, 15.8, 1.0, 1.0)  # cabinet at the corridor's end
    p.person(11.0, 4.2)
    return p.build()


def _office() -> World:
    """14 x 10 m office: a corridor y = 4..6, three offices below, two above."""
    p = _PlanBuilder(14.0, 10.0, "office")
    p.wall("h", 4.0, 0.0, 14.0, doors=((2.5, 1.2), (7.0, 1.2), (11.5, 1.2)))
    p.wall("h", 6.0, 0.0, 14.0, doors=((3.5, 1.2), (10.5, 1.2)))
    p.wall("v", 5.0, 0.0, 4.0)
    p.wall("v", 9.5, 0.0, 4.0)
    p.wall("v", 7.0, 6.0, 10.0)
    # desks and cabinets
    p.furniture(0.5, 0.3, 2.1, 1.1, 0.75)
    p.furniture(3.5, 0.3, 4.8, 0.9, 1.2)
    p.furniture(5.5, 0.3, 7.1, 1.1, 0.75)
    p.furniture(10.2, 0.3, 11.8, 1.1, 0.75)
    p.furniture(12.9, 1.5, 13.8, 3.0, 1.2)
    p.furniture(0.4, 8.6, 2.4, 9.6, 0.75)
    p.furniture(4.0, 8.0, 5.6, 8.8, 0.75)
    p.furniture(8.0, 8.6, 10.0, 9.6, 0.75)
    p.furniture(12.6, 7.0, 13.7, 9.0, 1.2)
    p.person(13.0, 5.0)
    p.person(9.0, 7.5)
    return p.build()


def _apartment() -> World:
    """12 x 9 m apartment: living room, kitchen, bedroom, bathroom, hall."""
    p = _PlanBuilder(12.0, 9.0, "apartment")
    p.wall("v", 7.0, 0.0, 5.0, doors=((2.5, 1.2),))  # living | kitchen
    p.wall("h", 5.0, 0.0, 12.0, doors=((2.5, 1.1), (6.5, 1.0), (10.0, 1.2)))
    p.wall("v", 5.0, 5.0, 9.0)  # bedroom | bathroom
    p.wall("v", 8.0, 5.0, 9.0, doors=((7.5, 1.0),))  # bathroom | hall
    # living room: sofa, coffee table, tv stand
    p.furniture(0.3, 0.3, 2.5, 1.2, 0.45)
    p.furniture(0.3, 3.2, 1.2, 4.7, 0.5)
    p.furniture(5.6, 3.8, 6.8, 4.7, 0.6)
    # kitchen: counter and table
    p.furniture(7.2, 0.2, 11.8, 0.8, 0.9)
    p.furniture(9.0, 2.6, 10.4, 3.6, 0.75)
    # bedroom: bed and wardrobe
    p.furniture(0.3, 6.6, 2.3, 8.7, 0.5)
    p.furniture(3.6, 8.1, 4.8, 8.8, 1.2)
    # bathroom: bath
    p.furniture(5.2, 7.8, 7.8, 8.8, 0.6)
    # hall: shoe cabinet
    p.furniture(11.2, 7.0, 11.8, 8.8, 1.0)
    p.person(9.8, 1.6)
    return p.build()


LAYOUTS: dict[str, Callable[[], World]] = {
    "open_hall": _open_hall,
    "corridor": _corridor,
    "office": _office,
    "apartment": _apartment,
}
"""Builders of the fixed evaluation layouts, by name."""


def layout_names() -> tuple[str, ...]:
    """Names accepted by ``make_layout``, sorted."""
    return tuple(sorted(LAYOUTS))


def make_layout(name: str) -> World:
    """Build a fresh copy of the named layout.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    try:
        builder = LAYOUTS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown layout {name!r}; choose one of: {', '.join(layout_names())}"
        ) from None
    return builder()
