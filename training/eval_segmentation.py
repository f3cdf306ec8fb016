#!/usr/bin/env python3
"""Evaluate a segmentation checkpoint on held-out simulator renders and time its inference.

    python training/eval_segmentation.py --checkpoint training/checkpoints/segmentation.pt \
        --width 640 --height 480 --out out/eval_segmentation/results.json

Renders the held-out set the checkpoint's training run used (procedural floor plans from its
``heldout_seed_start`` plus the named layouts; override with the options) at ``--width`` x
``--height`` - by default the camera's native 640x480, which the predictor resizes to the model's
input size, exactly as the segmentation node does - and runs :class:`SegmentationPredictor` on
each. Writes mIoU, pixel accuracy and per-class IoU (overall and per world kind) and the median
single-thread latency per image to ``--out`` (JSON) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from xai_core.nav.evaluate import HELD_OUT_LAYOUTS
from xai_core.seg.checkpoint import CheckpointError
from xai_core.seg.data import named_worlds, procedural_worlds, render_set
from xai_core.seg.metrics import confusion_matrix, grouped_scores
from xai_core.seg.predictor import SegmentationPredictor
from xai_sim import LABEL_NAMES


def latency_ms(predictor: SegmentationPredictor, rgb: np.ndarray, repeats: int) -> dict:
    """Median and 90th percentile of ``predictor.predict(rgb)`` wall time in milliseconds."""
    predictor.predict(rgb)  # warm-up (allocations, kernel selection)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predictor.predict(rgb)
        times.append(1000.0 * (time.perf_counter() - start))
    return {"median": round(float(np.median(times)), 2),
            "p90": round(float(np.percentile(times, 90)), 2), "repeats": repeats}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="default: the committed training/checkpoints/segmentation.pt",
    )
    parser.add_argument("--width", type=int, default=640, help="render width, pixels")
    parser.add_argument("--height", type=int, default=480, help="render height, pixels")
    parser.add_argument(
        "--heldout-worlds",
        type=int,
        default=None,
        help="procedural worlds (default: the checkpoint's training config)",
    )
    parser.add_argument("--heldout-views", type=int, default=None)
    parser.add_argument("--heldout-seed-start", type=int, default=None)
    parser.add_argument(
        "--layout-views", type=int, default=None, help="views per named layout (0 = none)"
    )
    parser.add_argument("--latency-repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/eval_segmentation/results.json"))
    args = parser.parse_args(argv)  # fmt: skip
    torch.set_num_threads(args.threads)

    try:
        predictor = SegmentationPredictor.from_checkpoint(args.checkpoint)
    except (CheckpointError, FileNotFoundError) as error:
        print(f"eval_segmentation: {error}", file=sys.stderr)
        return 1
    trained = predictor.meta.get("config", {})

    def pick(value: int | None, key: str, fallback: int) -> int:
        return int(value if value is not None else trained.get(key, fallback))

    worlds = pick(args.heldout_worlds, "heldout_worlds", 40)
    views = pick(args.heldout_views, "heldout_views", 5)
    seed = pick(args.heldout_seed_start, "heldout_seed_start", 1_000_000)
    layout_views = pick(args.layout_views, "heldout_layout_views", 25)
    size = dict(width=args.width, height=args.height, aim_prob=trained.get("aim_prob", 0.5))
    data = render_set(procedural_worlds(seed, worlds), views, progress=True, **size)
    if layout_views:
        named = render_set(named_worlds(HELD_OUT_LAYOUTS, seed), layout_views, **size)
        data.rgb = np.concatenate([data.rgb, named.rgb])
        data.labels = np.concatenate([data.labels, named.labels])
        data.sources += named.sources

    confusions = [
        confusion_matrix(labels, predictor.predict(rgb), len(LABEL_NAMES))
        for rgb, labels in zip(data.rgb, data.labels, strict=True)
    ]
    heldout = grouped_scores(confusions, [s.split(":")[0] for s in data.sources], LABEL_NAMES)
    result = {
        "checkpoint": str(predictor.path),
        "model": predictor.name,
        "model_input_size": list(predictor.input_size),
        "render_size": [args.height, args.width],
        "data": f"{worlds} procedural plans from seed {seed} x {views} views + named layouts "
        f"{', '.join(HELD_OUT_LAYOUTS) if layout_views else '(none)'} x {layout_views} views",
        "heldout": heldout,
        "latency_ms": {
            "threads": args.threads,
            **latency_ms(predictor, data.rgb[0], args.latency_repeats),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{predictor.name} on {len(data)} held-out {args.width}x{args.height} renders: "
        f"mIoU {heldout['miou']:.3f}, pixel accuracy {heldout['pixel_accuracy']:.3f}, "
        f"IoU {heldout['iou']}; {result['latency_ms']['median']:.1f} ms per image "
        f"({args.threads} thread); wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
