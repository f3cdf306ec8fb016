"""Greedy evaluation of navigation policies on the simulator (shared by training and eval scripts).

Held-out layouts: policies train on procedural floor plans; the hand-built named layouts of
``xai_sim`` (``office``, ``apartment``, ``corridor``, ``open_hall``) are never trained on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

HELD_OUT_LAYOUTS: tuple[str, ...] = ("office", "apartment", "corridor", "open_hall")


@dataclass
class GoalEvalResult:
    """Goal-navigation evaluation over ``episodes`` episodes."""

    episodes: int
    success_rate: float
    mean_collisions: float
    mean_steps: float
    per_layout_success: dict[str, float]

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_goal(
    act: Callable[[dict], int],
    episodes: int = 100,
    layouts: Sequence[str] = HELD_OUT_LAYOUTS,
    seed: int = 10_000,
    sim_config=None,
    progress: bool = False,
) -> GoalEvalResult:
    """Run ``episodes`` greedy episodes spread evenly over ``layouts``.

    Args:
        act: maps one ``xai_sim`` observation dict to an action index.
        seed: episode ``i`` uses seed ``seed + i`` (fixed across models: same start/goal pairs).
    """
    from xai_sim import IndoorNavEnv

    env = IndoorNavEnv(sim_config, mode="goal")
    successes: dict[str, list[bool]] = {name: [] for name in layouts}
    collisions, steps = [], []
    iterator = range(episodes)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="eval", leave=False)
    for i in iterator:
        layout = layouts[i % len(layouts)]
        obs, _ = env.reset(seed=seed + i, options={"layout": layout})
        done = False
        while not done:
            obs, _, terminated, truncated, info = env.step(act(obs))
            done = terminated or truncated
        successes[layout].append(bool(info["is_success"]))
        collisions.append(info["collisions"])
        steps.append(info["step"])
    flat = [s for values in successes.values() for s in values]
    return GoalEvalResult(
        episodes=episodes,
        success_rate=float(np.mean(flat)),
        mean_collisions=float(np.mean(collisions)),
        mean_steps=float(np.mean(steps)),
        per_layout_success={k: float(np.mean(v)) for k, v in successes.items() if v},
    )


@dataclass
class SketchEvalResult:
    """Sketch-following evaluation: ADE / FDE (metres) per sketch, per kind and overall."""

    per_sketch: dict[str, dict]
    per_kind: dict[str, dict[str, float]]
    mean_ade: float
    mean_fde: float

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate_sketch(
    make_policy: Callable[[object], Callable[[dict, int], int]],
    sketch_ids: Sequence[str] | None = None,
    sim_config=None,
) -> SketchEvalResult:
    """Follow each evaluation sketch once (deterministic) and measure ADE / FDE.

    Args:
        make_policy: called with the ``xai_sim.Sketch`` at the start of each episode; returns
            ``act(obs, step) -> action`` for that sketch.
        sketch_ids: default: the ten packaged evaluation sketches.
    """
    from xai_sim import SKETCH_KINDS, IndoorNavEnv
    from xai_sim import sketch_ids as all_ids

    env = IndoorNavEnv(sim_config, mode="sketch")
    per_sketch: dict[str, dict] = {}
    for sketch_id in sketch_ids or all_ids():
        obs, _ = env.reset(seed=0, options={"sketch": sketch_id})
        act = make_policy(env.sketch)
        step, done = 0, False
        while not done:
            obs, _, terminated, truncated, info = env.step(act(obs, step))
            step += 1
            done = terminated or truncated
        per_sketch[sketch_id] = {
            "kind": env.sketch.kind,
            "ade": float(info["ade"]),
            "fde": float(info["fde"]),
            "collisions": int(info["collisions"]),
        }
    per_kind = {}
    for kind in SKETCH_KINDS:
        rows = [r for r in per_sketch.values() if r["kind"] == kind]
        if rows:
            per_kind[kind] = {
                "ade": float(np.mean([r["ade"] for r in rows])),
                "fde": float(np.mean([r["fde"] for r in rows])),
                "n": len(rows),
            }
    return SketchEvalResult(
        per_sketch=per_sketch,
        per_kind=per_kind,
        mean_ade=float(np.mean([r["ade"] for r in per_sketch.values()])),
        mean_fde=float(np.mean([r["fde"] for r in per_sketch.values()])),
    )


def load_curves(sources: Sequence[Path]) -> list[tuple[str, list[dict]]]:
    """Evaluation rows for learning curves, labelled by model.

    Each source is a run directory (``metrics.jsonl`` + ``config.json``) or an exported
    ``<model>.metrics.jsonl`` next to a committed checkpoint.
    """
    curves = []
    for source in map(Path, sources):
        if source.is_dir():
            label = json.loads((source / "config.json").read_text())["model"]
            source = source / "metrics.jsonl"
        else:
            label = source.name.split(".")[0]
        rows = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
        curves.append((label, rows))
    return curves


def plot_learning_curves(
    sources: Sequence[Path],
    metric: str,
    ylabel: str,
    title: str,
    path: Path,
    ylim: tuple[float, float] | None = None,
) -> None:
    """One line per run (see :func:`load_curves`): ``metric`` against environment steps, PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for label, rows in load_curves(sources):
        ax.plot([r["step"] for r in rows], [r[metric] for r in rows], marker="o", label=label)
    ax.set_xlabel("environment steps")
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
