#!/usr/bin/env python3
"""Attention figure of the goal AQT, like the research's: one state, every action's decoder
attention side by side with its Q-value (chosen action highlighted), and the same state with the
sub-goal moved from front-left to front-right.

    python training/plot_attention_goal.py --checkpoint training/checkpoints/aqt_goal.pt \
        --out out/attention/aqt_goal_attention.png
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

from xai_core.attention import overlay
from xai_core.nav.actions import ACTION_NAMES
from xai_core.nav.predictor import GoalNavPredictor
from xai_sim import IndoorNavEnv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("training/checkpoints/aqt_goal.pt"))
    parser.add_argument("--layout", default="open_hall")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--distance", type=float, default=2.0, help="sub-goal distance (m)")
    parser.add_argument("--angle-deg", type=float, default=35.0, help="|sub-goal bearing|")
    parser.add_argument("--out", type=Path, default=Path("out/attention/aqt_goal_attention.png"))
    args = parser.parse_args()

    torch.set_num_threads(1)
    try:
        predictor = GoalNavPredictor.from_checkpoint(args.checkpoint)
    except ValueError as error:
        print(f"plot_attention_goal: {error}", file=sys.stderr)
        return 1
    obs, _ = IndoorNavEnv(mode="goal").reset(seed=args.seed, options={"layout": args.layout})
    semantic = obs["semantic"]
    angle = math.radians(args.angle_deg)
    rows = [("sub-goal front-left", +angle), ("sub-goal front-right", -angle)]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), len(ACTION_NAMES) + 1, figsize=(13, 5.6), dpi=120)
    for r, (label, bearing) in enumerate(rows):
        decision = predictor.predict(semantic, args.distance, bearing)
        axes[r, 0].imshow(semantic)
        axes[r, 0].set_title(
            f"input, {label}\n(d={args.distance:.1f} m, bearing {math.degrees(bearing):+.0f} deg)",
            fontsize=9,
        )
        if decision.attention is None:
            print("plot_attention_goal: this model has no attention", file=sys.stderr)
            return 1
        for a, name in enumerate(ACTION_NAMES):
            ax = axes[r, a + 1]
            vmax = float(decision.attention.max())  # one colour scale for the four actions
            ax.imshow(overlay(semantic, decision.attention[a], alpha=0.6, vmax=vmax))
            chosen = a == decision.action
            ax.set_title(
                f"{name}: Q={decision.q_values[a]:.2f}" + ("  (chosen)" if chosen else ""),
                fontsize=9,
                color="red" if chosen else "black",
                fontweight="bold" if chosen else "normal",
            )
            if chosen:
                for spine in ax.spines.values():
                    spine.set_edgecolor("red")
                    spine.set_linewidth(3)
        for ax in axes[r]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(
        f"{predictor.name}: decoder attention per action query ({args.layout}, seed {args.seed})"
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
