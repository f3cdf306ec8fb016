#!/usr/bin/env python3
"""Evaluate goal-navigation checkpoints on held-out layouts and draw the learning curves.

    python training/eval_goal.py \
        --checkpoints training/checkpoints/aqt_goal.pt training/checkpoints/cnn_goal.pt \
        --runs runs/dqn_goal__aqt_goal__1 runs/dqn_goal__cnn_goal__1 --out out/eval_goal

Writes ``<out>/results.json``, ``<out>/results.md`` (success rate, mean collisions, mean steps
over ``--episodes`` episodes; the same start/goal pairs for every model) and
``<out>/learning_curves.png`` (held-out success rate against environment steps, one line per run).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from xai_core.nav.evaluate import HELD_OUT_LAYOUTS, evaluate_goal, plot_learning_curves
from xai_core.nav.predictor import GoalNavPredictor


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
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20_000, help="first episode seed")
    parser.add_argument("--out", type=Path, default=Path("out/eval_goal"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # batch-1 inference: more threads only add contention
    args.out.mkdir(parents=True, exist_ok=True)

    results = {}
    for path in args.checkpoints:
        try:
            predictor = GoalNavPredictor.from_checkpoint(path)
        except ValueError as error:
            print(f"eval_goal: {error}", file=sys.stderr)
            return 1

        def act(obs: dict, p: GoalNavPredictor = predictor) -> int:
            return p.predict(obs["semantic"], float(obs["goal"][0]), float(obs["goal"][1])).action

        result = evaluate_goal(act, episodes=args.episodes, seed=args.seed, progress=True)
        results[predictor.name] = {"checkpoint": str(path), **result.to_dict()}
        print(
            f"{predictor.name}: success {result.success_rate:.2f}, "
            f"collisions {result.mean_collisions:.2f}, steps {result.mean_steps:.1f}"
        )
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"Held-out layouts ({', '.join(HELD_OUT_LAYOUTS)}), {args.episodes} episodes, "
        f"seeds {args.seed}..{args.seed + args.episodes - 1}",
        "",
        "| model | success rate | mean collisions | mean steps |",
        "|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['success_rate']:.2f} | {r['mean_collisions']:.2f} | "
            f"{r['mean_steps']:.1f} |"
        )
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    if args.runs:
        plot_learning_curves(
            args.runs,
            "success_rate",
            "success rate (held-out layouts)",
            "Goal navigation: DQN learning curves",
            args.out / "learning_curves.png",
            (0, 1),
        )
    print(
        f"wrote {args.out}/results.json, results.md"
        + (", learning_curves.png" if args.runs else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
