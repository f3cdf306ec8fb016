#!/usr/bin/env python3
"""Attention distance per layer of the CL (contrastive) and MIM (MAE-style) teachers (research
figure 1): for every block and head, the attention-weighted pixel distance between a patch query
and the patch keys (``xai_core.kd.attention.attention_distance``), averaged over held-out images.

    python training/plot_kd_attention_distance.py \
        --teacher-cl training/checkpoints/kd_teacher_dino.pt \
        --teacher-mim training/checkpoints/kd_teacher_mae.pt \
        --figure docs/figures/kd_attention_distance.png

Writes the figure and its numbers (``<figure>.json``: per teacher, per block, per-head and mean
distance in pixels). The teachers are the SSL backbones as pre-trained (no downstream head).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from xai_core.kd.attention import attention_distance, attention_maps
from xai_core.kd.build import build_vit, grid_size, patch_size
from xai_core.kd.data import load_sets, normalize
from xai_core.kd.pretrained import load_teacher_checkpoint


def distances(model, images: torch.Tensor) -> list[dict]:
    """Per block: ``{"block", "mean_px", "heads_px": [...]}``."""
    model.eval()
    with torch.no_grad():
        _, maps = attention_maps(model, normalize(images))
    grid, px = grid_size(model), patch_size(model)
    return [
        {"block": i, "mean_px": round(attention_distance(a, grid, px), 3),
         "heads_px": [round(attention_distance(a[:, h : h + 1], grid, px), 3)
                      for h in range(a.shape[1])]}
        for i, a in enumerate(maps)
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher-cl", default="training/checkpoints/kd_teacher_dino.pt")
    parser.add_argument("--teacher-mim", default="training/checkpoints/kd_teacher_mae.pt")
    parser.add_argument("--teacher-model", default="kd_teacher")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--images", type=int, default=256, help="held-out images averaged")
    parser.add_argument("--figure", default="docs/figures/kd_attention_distance.png")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    _, heldout = load_sets(args.data, args.image_size)
    images, _ = heldout.batch(np.arange(min(args.images, len(heldout))))
    result = {}
    for name, path, kind in (("CL (DINO-style)", args.teacher_cl, "dino"),
                             ("MIM (MAE-style)", args.teacher_mim, "mae")):  # fmt: skip
        model = build_vit(args.teacher_model, img_size=args.image_size, num_classes=0)
        load_teacher_checkpoint(path, model, kind)
        result[name] = {"checkpoint": str(path), "blocks": distances(model, images)}
        print(name, [b["mean_px"] for b in result[name]["blocks"]])

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for (name, data), color in zip(result.items(), ("tab:red", "tab:blue"), strict=True):
        blocks = data["blocks"]
        for b in blocks:
            ax.scatter([b["block"] + 1] * len(b["heads_px"]), b["heads_px"], s=10,
                       color=color, alpha=0.35)  # fmt: skip
        ax.plot([b["block"] + 1 for b in blocks], [b["mean_px"] for b in blocks], "-o",
                color=color, label=name)  # fmt: skip
    ax.set_xlabel("block (layer)")
    ax.set_ylabel("attention distance (px)")
    ax.set_title(f"teachers' attention distance, {len(images)} held-out images")
    ax.legend()
    fig.tight_layout()
    figure = Path(args.figure)
    figure.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(figure, dpi=110)
    plt.close(fig)
    summary = {"images": len(images), "data": args.data, "teachers": result}
    figure.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {figure} and {figure.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
