"""Rendered segmentation data from the ``xai_sim`` simulator (training and held-out sets).

A set is a list of *worlds* (a procedural floor plan from a seed, or a named layout with a seed
for its camera poses), and ``views_per_world`` head-camera renders in each: the textured,
lit and noisy ``rgb`` image with its ground-truth ``labels``. Camera poses are sampled in free
space; with probability ``aim_prob`` the camera looks at a random person or piece of furniture
(+- a quarter of the field of view) instead of a uniform heading, because people cover only
~0.3 % of the pixels of uniformly sampled views.

Held-out sets use seeds disjoint from the training seeds and the hand-built named layouts
(:data:`xai_core.nav.evaluate.HELD_OUT_LAYOUTS`), which no training set contains.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Robot radius 0.22 m plus a margin: the robot can stand there.
POSE_CLEARANCE_M = 0.3


@dataclass(frozen=True)
class WorldSpec:
    """One world of a rendered set: ``layout`` None = procedural floor plan of ``seed``."""

    seed: int
    layout: str | None = None

    @property
    def name(self) -> str:
        return f"{self.layout or 'procedural'}:{self.seed}"


@dataclass
class SegmentationSet:
    """Rendered images with ground truth.

    Attributes:
        rgb: (N, H, W, 3) uint8 textured camera images.
        labels: (N, H, W) uint8 class per pixel (0 wall, 1 floor, 2 furniture, 3 person).
        sources: N strings ``"<layout or procedural>:<seed>"`` naming each image's world.
    """

    rgb: np.ndarray
    labels: np.ndarray
    sources: list[str]

    def __len__(self) -> int:
        return len(self.rgb)

    def class_frequencies(self, num_classes: int = 4) -> np.ndarray:
        """(K,) float64 share of the pixels of each class."""
        counts = np.bincount(self.labels.ravel(), minlength=num_classes)[:num_classes]
        return counts / max(int(counts.sum()), 1)


def procedural_worlds(first_seed: int, count: int) -> list[WorldSpec]:
    """``count`` procedural floor plans with seeds ``first_seed, first_seed + 1, ...``."""
    return [WorldSpec(first_seed + i) for i in range(count)]


def named_worlds(layouts: Iterable[str], seed: int) -> list[WorldSpec]:
    """One world per named layout; ``seed`` (+ the layout's index) seeds its camera poses."""
    return [WorldSpec(seed + i, name) for i, name in enumerate(layouts)]


def sample_pose(world, rng: np.random.Generator, aim_prob: float, hfov_rad: float) -> np.ndarray:
    """A free-space camera pose ``(x, y, yaw)`` (metres, radians) in ``world`` (xai_sim.World)."""
    from xai_sim.world import FURNITURE

    xy = world.free_space_sample(rng, POSE_CLEARANCE_M)
    boxes = world.boxes[world.box_labels == FURNITURE]
    targets = np.concatenate([world.people_xy, 0.5 * (boxes[:, :2] + boxes[:, 2:])])
    if len(targets) and rng.random() < aim_prob:
        # People first: half of the aimed views look at a person when there is one.
        pick = bool(len(world.people_xy)) and rng.random() < 0.5
        pool = world.people_xy if pick else targets
        dx, dy = pool[int(rng.integers(len(pool)))] - xy
        yaw = math.atan2(dy, dx) + rng.uniform(-0.25, 0.25) * hfov_rad
    else:
        yaw = rng.uniform(-math.pi, math.pi)
    return np.array([xy[0], xy[1], yaw])


def render_set(
    worlds: Sequence[WorldSpec],
    views_per_world: int,
    width: int = 160,
    height: int = 120,
    aim_prob: float = 0.5,
    people_range: tuple[int, int] = (0, 3),
    camera=None,
    progress: bool = False,
) -> SegmentationSet:
    """Render ``views_per_world`` views in each of ``worlds`` (deterministic for given specs).

    Args:
        width, height: image size in pixels.
        aim_prob: probability that a view is aimed at a person or piece of furniture.
        people_range: inclusive range of people in procedural floor plans.
        camera: ``xai_sim.CameraConfig`` (default: the HSR head camera of ``SimConfig``).
        progress: show a tqdm bar.
    """
    from xai_sim import SimConfig, generate_floor_plan, make_layout, render_camera

    camera = camera or SimConfig().camera
    hfov = math.radians(camera.hfov_deg)
    n = len(worlds) * views_per_world
    rgb = np.empty((n, height, width, 3), dtype=np.uint8)
    labels = np.empty((n, height, width), dtype=np.uint8)
    sources: list[str] = []
    items: Iterable[WorldSpec] = worlds
    if progress:
        from tqdm import tqdm

        items = tqdm(worlds, desc="render", unit="world", mininterval=5)
    for spec in items:
        rng = np.random.default_rng(spec.seed)
        if spec.layout is None:
            world = generate_floor_plan(rng, people_range=people_range)
        else:
            world = make_layout(spec.layout)
        for _ in range(views_per_world):
            pose = sample_pose(world, rng, aim_prob, hfov)
            frame = render_camera(world, pose, camera, width, height, True, rng)
            i = len(sources)
            rgb[i], labels[i] = frame.rgb, frame.labels
            sources.append(spec.name)
    return SegmentationSet(rgb, labels, sources)
