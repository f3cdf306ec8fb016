#!/usr/bin/env python3
"""Issue #9's table and figure: mIoU of SAM variants against box prompts shifted in size.

For every ground-truth instance of held-out scenes the box prompt is the instance's bounding
rectangle scaled about its centre by ``1 + s`` (too big) and ``1 - s`` (too small) for each shift
``s`` (0, 10, 20, 30, 40 %); the mIoU of a row averages both. Rows, in the research's table form:

* ``SAM``: fine-tuned mask decoder (``--decoder``);
* ``SAM + learned embedding`` (``--learned-embedding``);
* ``+ P``: the prompt-tuning token (``--prompt-token``), one pass;
* ``+ P + K``: the token with iterative inference (threshold 0.05), with the mean number of passes;
* ``SAM + K``: iterative inference on the baseline (an extra row: how much iteration alone does);
* ``box as mask``: the (shifted) box rectangle itself, no model: the floor any SAM must beat.

    python training/eval_sam.py --out docs/figures/sam_results.json \\
        --figure docs/figures/sam_iterations.png

Held-out data: synthetic EM scenes from seed 1,000,000 (training used 0..799, validation
500,000..), or a published stack (``--data isbi2012|lucchi --data-root DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from xai_core.paths import resolve_checkpoint
from xai_core.sam.boxes import boxes_from_instances, mask_iou, resize_boxes
from xai_core.sam.predictor import SamBoxPredictor
from xai_core.sam.synthetic import InstanceImage, em_cells

ROWS = (  # (row label, checkpoint argument, iterate)
    ("SAM", "decoder", False),
    ("SAM + learned embedding", "learned_embedding", False),
    ("+ P", "prompt_token", False),
    ("+ P + K", "prompt_token", True),
    ("SAM + K", "decoder", True),
    ("box as mask", "", False),
)


def held_out(args: argparse.Namespace) -> tuple[list[InstanceImage], str]:
    """The evaluation scenes and their description."""
    if args.data == "em":
        seeds = range(args.seed_start, args.seed_start + args.images)
        scenes = [em_cells(s) for s in tqdm(seeds, desc="generate held-out EM")]
        return scenes, f"synthetic EM scenes, seeds {args.seed_start}..+{args.images}"
    from xai_core.sam.em_readers import read_isbi2012, read_lucchi

    split = {"isbi2012": "train", "lucchi": "testing"}[args.data]
    reader = read_isbi2012 if args.data == "isbi2012" else read_lucchi
    slices = list(reader(args.data_root, split=split))[: args.images]
    scenes = [InstanceImage(s.image, s.instances, *boxes_from_instances(s.instances))
              for s in slices if s.instances is not None]  # fmt: skip
    return scenes, f"{args.data} {split} stack, {len(scenes)} slices"


def box_masks(boxes: np.ndarray, height: int, width: int) -> list[np.ndarray]:
    """The filled rectangles of ``(N, 4)`` XYXY boxes as ``(H, W)`` bool masks."""
    masks = []
    for x0, y0, x1, y1 in np.round(boxes).astype(int):
        mask = np.zeros((height, width), bool)
        mask[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
        masks.append(mask)
    return masks


def evaluate(
    predictor: SamBoxPredictor | None,
    scenes: list[InstanceImage],
    shifts: list[float],
    iterate: bool,
    threshold: float,
    max_iterations: int,
    label: str,
) -> dict:
    """Per shift: mIoU (both signs, too big, too small) and mean passes over all instances.

    ``predictor`` None scores the box rectangles themselves as masks.
    """
    ious: dict[tuple[float, int], list[float]] = {}
    passes: dict[float, list[int]] = {s: [] for s in shifts}
    for scene in tqdm(scenes, desc=label, mininterval=5):
        if len(scene.ids) == 0:
            continue
        if predictor is not None:
            predictor.set_image(scene.image)
        height, width = scene.image.shape[:2]
        targets = [scene.instances == i for i in scene.ids]
        for shift in shifts:
            for sign in (1, -1):
                boxes = resize_boxes(scene.boxes, sign * shift, sign * shift)
                boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
                boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
                if predictor is None:
                    masks, its = box_masks(boxes, height, width), [0] * len(boxes)
                else:
                    results = predictor.predict_boxes(boxes, iterate, threshold, max_iterations)
                    masks, its = [r.mask for r in results], [r.iterations for r in results]
                ious.setdefault((shift, sign), []).extend(
                    mask_iou(m, t) for m, t in zip(masks, targets, strict=True)
                )
                passes[shift].extend(its)
    out = {}
    for shift in shifts:
        big, small = np.mean(ious[(shift, 1)]), np.mean(ious[(shift, -1)])
        out[f"{round(shift * 100)}%"] = {
            "miou": round(float((big + small) / 2), 4),
            "miou_too_big": round(float(big), 4),
            "miou_too_small": round(float(small), 4),
            "mean_iterations": round(float(np.mean(passes[shift])), 3),
            "instances": len(ious[(shift, 1)]),
        }
    return out


def markdown_table(rows: dict, shifts: list[float]) -> str:
    """The research's table form: one row per method, one column per size shift."""
    heads = [f"{round(s * 100)}%" for s in shifts]
    lines = ["| method | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for label, row in rows.items():
        lines.append(f"| {label} | " + " | ".join(f"{row[h]['miou']:.3f}" for h in heads) + " |")
    for label, row in rows.items():
        if "K" in label.split():
            its = " | ".join(f"{row[h]['mean_iterations']:.2f}" for h in heads)
            lines.append(f"| {label}: mean passes | {its} |")
    return "\n".join(lines)


def draw_iterations(predictor: SamBoxPredictor, scene: InstanceImage, path: Path, max_it: int):
    """One scene, one instance: boxes 40 % too big / too small, masks after passes 1-3 vs GT."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    areas = np.array([(b[2] - b[0]) * (b[3] - b[1]) for b in scene.boxes])
    pick = int(np.argsort(areas)[len(areas) // 2 + len(areas) // 4])  # a larger-than-median cell
    target = scene.instances == scene.ids[pick]
    predictor.set_image(scene.image)
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.8))
    for row, shift in enumerate((0.4, -0.4)):
        box = resize_boxes(scene.boxes[pick : pick + 1], shift, shift)
        box = predictor.check_boxes(box)
        (result,) = predictor.predict_boxes(box, True, threshold=0.0, max_iterations=max_it)
        prompts = [box[0]] + [np.asarray(_box_of(m)) for m in result.history[:-1]]
        for col in range(4):
            ax = axes[row, col]
            ax.imshow(scene.image, cmap="gray")
            if col == 0:
                ax.imshow(np.ma.masked_where(~target, target), cmap="spring", alpha=0.45)
                ax.set_title(f"ground truth, box {'+' if shift > 0 else '-'}40 %", fontsize=9)
                shown = box[0]
            else:
                mask = result.history[min(col, len(result.history)) - 1]
                ax.imshow(np.ma.masked_where(~mask, mask), cmap="winter", alpha=0.45)
                ax.contour(target, levels=[0.5], colors="magenta", linewidths=0.8)
                shown = prompts[min(col, len(prompts)) - 1]
                ax.set_title(f"pass {col}: IoU {mask_iou(mask, target):.3f}", fontsize=9)
            x0, y0, x1, y1 = shown
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="yellow", lw=1.2))
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("Iterative inference (prompt token): box prompt (yellow), mask (blue), "
                 "ground truth (magenta)", fontsize=10)  # fmt: skip
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def _box_of(mask: np.ndarray) -> np.ndarray:
    from xai_core.sam.boxes import mask_to_box

    box = mask_to_box(mask)
    return box if box is not None else np.zeros(4, np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoder", default="sam_em_decoder", help="checkpoint (path or name)")
    parser.add_argument("--learned-embedding", default="sam_em_learned_embedding")
    parser.add_argument("--prompt-token", default="sam_em_prompt")
    parser.add_argument("--data", default="em", choices=("em", "isbi2012", "lucchi"))
    parser.add_argument("--data-root", default="")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--seed-start", type=int, default=1_000_000)
    parser.add_argument("--shifts", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3, 0.4])
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--max-iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="out/eval/sam/sam_results.json")
    parser.add_argument("--figure", default="")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    try:
        paths = {k: resolve_checkpoint(getattr(args, k)) for k in
                 ("decoder", "learned_embedding", "prompt_token")}  # fmt: skip
    except FileNotFoundError as error:
        print(f"eval_sam: {error}", file=sys.stderr)
        return 2
    scenes, description = held_out(args)
    start = time.time()
    predictors = {k: SamBoxPredictor.from_checkpoint(p) for k, p in paths.items()}
    rows = {
        label: evaluate(
            predictors.get(key),
            scenes,
            args.shifts,
            iterate,
            args.threshold,
            args.max_iterations,
            label,
        )
        for label, key, iterate in ROWS
    }
    table = markdown_table(rows, args.shifts)
    print(table)
    result = {
        "rows": rows,
        "table_markdown": table,
        "data": description,
        "checkpoints": {k: str(p) for k, p in paths.items()},
        "threshold": args.threshold,
        "max_iterations": args.max_iterations,
        "shift_rule": "box scaled about its centre by (1 + s) and (1 - s); mIoU = mean of both",
        "wall_time_s": round(time.time() - start, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    out.with_suffix(".md").write_text(table + "\n")
    print(f"wrote {out}")
    if args.figure:
        draw_iterations(predictors["prompt_token"], scenes[0], Path(args.figure), 3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
