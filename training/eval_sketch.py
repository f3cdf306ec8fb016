#!/usr/bin/env python3
"""Evaluate sketch-navigation checkpoints on the ten evaluation sketches (the research's table).

    python training/eval_sketch.py \
        --checkpoints training/checkpoints/aqt_sketch.pt training/checkpoints/cnn_sketch.pt \
        --runs runs/dqn_sketch__aqt_sketch__1 runs/dqn_sketch__cnn_sketch__1 --out out/eval_sketch

Writes ``<out>/results.json``, ``<out>/results.md`` (rows: sketch type and mean; columns: ADE
and FDE per model, metres), ``<out>/trajectories.png`` (each sketch with every model's path) and,
with ``--runs``, ``<out>/learning_curves.png`` (mean ADE against environment steps).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from xai_core.nav.evaluate import evaluate_sketch, plot_learning_curves
from xai_core.nav.predictor import SketchNavPredictor
from xai_sim import SKETCH_KINDS, IndoorNavEnv, get_sketch, sketch_ids


def policy_for(predictor: SketchNavPredictor, sketch):
    """``act(obs, step)`` of ``predictor`` for ``sketch``."""
    predictor.set_sketch(sketch.waypoints, sketch.start_pose)
    return lambda obs, step: predictor.predict(obs["topdown"], obs["pose"], step).action


def trajectory(predictor: SketchNavPredictor, sketch_id: str) -> np.ndarray:
    """(101, 2) robot positions following ``sketch_id`` with ``predictor``."""
    env = IndoorNavEnv(mode="sketch")
    obs, _ = env.reset(seed=0, options={"sketch": sketch_id})
    act = policy_for(predictor, env.sketch)
    for step in range(100):
        obs, _, terminated, truncated, _ = env.step(act(obs, step))
        if terminated or truncated:
            break
    return env.trajectory_xy


def table(results: dict[str, dict]) -> str:
    """Markdown table in the research's form."""
    models = list(results)
    header = "| sketch type | " + " | ".join(f"{m} ADE | {m} FDE" for m in models) + " |"
    lines = [header, "|---|" + "---|---|" * len(models)]
    for kind in SKETCH_KINDS:
        cells = [
            f"{results[m]['per_kind'][kind]['ade']:.2f} | {results[m]['per_kind'][kind]['fde']:.2f}"
            for m in models
        ]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    cells = [f"{results[m]['mean_ade']:.2f} | {results[m]['mean_fde']:.2f}" for m in models]
    lines.append("| **mean** | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_trajectories(predictors: dict[str, SketchNavPredictor], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = sketch_ids()
    fig, axes = plt.subplots(2, 5, figsize=(16, 6.5), dpi=110)
    for ax, sketch_id in zip(axes.ravel(), ids, strict=True):
        sketch = get_sketch(sketch_id)
        ax.plot(*sketch.waypoints.T, "k.", markersize=2, label="sketch")
        for name, predictor in predictors.items():
            ax.plot(*trajectory(predictor, sketch_id).T, "-", linewidth=1.5, label=name)
        ax.set_title(f"{sketch_id}\n({sketch.kind})", fontsize=8)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Sketch following: sketch waypoints (dots) and robot paths")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoints", nargs="+", required=True, type=Path)
    parser.add_argument(
        "--runs",
        nargs="*",
        default=[],
        type=Path,
        help="run dirs or <name>.metrics.jsonl files for curves",
    )
    parser.add_argument("--out", type=Path, default=Path("out/eval_sketch"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # batch-1 inference: more threads only add contention
    args.out.mkdir(parents=True, exist_ok=True)

    predictors, results = {}, {}
    for path in args.checkpoints:
        try:
            predictor = SketchNavPredictor.from_checkpoint(path)
        except ValueError as error:
            print(f"eval_sketch: {error}", file=sys.stderr)
            return 1
        result = evaluate_sketch(lambda sketch, p=predictor: policy_for(p, sketch))
        predictors[predictor.name] = predictor
        results[predictor.name] = {"checkpoint": str(path), **result.to_dict()}
        print(f"{predictor.name}: mean ADE {result.mean_ade:.3f} m, FDE {result.mean_fde:.3f} m")
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(table(results))
    plot_trajectories(predictors, args.out / "trajectories.png")
    if args.runs:
        plot_learning_curves(
            args.runs,
            "mean_ade",
            "mean ADE over the ten sketches (m)",
            "Sketch navigation: DQN learning curves",
            args.out / "learning_curves.png",
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
