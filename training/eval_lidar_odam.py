#!/usr/bin/env python3
"""mAPB of LiDAR visual explanations (ODAM, Guided Grad-CAM, Guided ODAM) for PointPillars.

For every validation scan, every detection with score >= ``score_threshold`` (at most
``max_detections`` per scan, highest first) is explained by each method
(:mod:`xai_core.lidar.explain`); its in-box share is the attention on points inside the
predicted box over the total attention of the scan. mAPB of a class = mean in-box share over
the detections of that class (predicted label). The table is printed as markdown and written
to JSON; ``--figure-dir`` draws a bird's-eye and a side view of one scan (boxes drawn, points
coloured by each method's attention, one panel per method).

    python training/eval_lidar_odam.py --checkpoint training/checkpoints/pointpillars_small.pt
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.lidar.checkpoint import CheckpointError, load_lidar_checkpoint
from xai_core.lidar.explain import METHODS, DetectionRef, explain_all, in_box_attention_share
from xai_core.lidar.kitti import KittiDataset
from xai_core.lidar.metrics import bev_corners

TABLE_ROWS = {"odam": "ODAM", "guided_gradcam": "Guided Grad-CAM", "guided_odam": "Guided ODAM"}
TABLE_COLUMNS = ("Car", "Cyclist", "Pedestrian")


@dataclass
class Config:
    """Evaluation options."""

    checkpoint: str = "training/checkpoints/pointpillars_small.pt"
    data_root: str = ""  # KITTI tree; default: the manifest's synthetic data_dir / kitti_root
    split: str = "val"
    max_scenes: int = 20  # first scans of the split (0: all)
    score_threshold: float = 0.3
    max_detections: int = 5  # per scan, highest scores first
    out: str = "runs/lidar_odam_eval.json"
    figure_dir: str = ""  # e.g. docs/figures -> lidar_odam_bev.png, lidar_odam_side.png
    threads: int = 1


def data_root(cfg: Config, payload: dict) -> Path:
    """The KITTI tree to read: ``--data-root`` or the one the checkpoint was trained on."""
    if cfg.data_root:
        return Path(cfg.data_root)
    train_cfg = payload.get("meta", {}).get("config", {})
    if train_cfg.get("data") == "kitti":
        return Path(train_cfg["kitti_root"])
    return Path(train_cfg.get("data_dir", "runs/data/synthetic_lidar"))


def draw(scan: dict, class_names: tuple[str, ...], figure_dir: Path) -> list[Path]:
    """``lidar_odam_bev.png`` (x-y) and ``lidar_odam_side.png`` (x-z) of one scan around its
    explained detection: predicted box red, ground truth green, points coloured by attention."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points, box = scan["points"], scan["box"]
    cx, cy = float(box[0]), float(box[1])
    half = 10.0  # m shown on each side of the detection
    near = (np.abs(points[:, 0] - cx) < half) & (np.abs(points[:, 1] - cy) < half)
    band = near & (np.abs(points[:, 1] - cy) < max(float(box[4]), 1.0) * 1.5)
    title = f"{class_names[scan['label']]} score {scan['score']:.2f} (frame {scan['frame']})"
    paths = []
    for view, keep in (("bev", near), ("side", band)):
        fig, axes = plt.subplots(1, len(TABLE_ROWS), figsize=(4.2 * len(TABLE_ROWS), 4.0),
                                 squeeze=False)  # fmt: skip
        for ax, (method, name) in zip(axes[0], TABLE_ROWS.items(), strict=True):
            att = scan["attention"][method][keep]
            p = points[keep]
            order = np.argsort(att)  # high attention drawn on top
            j = 2 if view == "side" else 1
            sc = ax.scatter(p[order, 0], p[order, j], c=att[order], s=2, cmap="jet", vmin=0,
                            vmax=1)  # fmt: skip
            for b, colour in [*[(g, "lime") for g in scan["gt_boxes"]], (box, "red")]:
                if view == "bev":
                    c = bev_corners(np.asarray(b)[None])[0]
                    c = np.vstack([c, c[:1]])
                    ax.plot(c[:, 0], c[:, 1], color=colour, lw=1)
                else:
                    if abs(b[1] - cy) > 3:
                        continue
                    xs = bev_corners(np.asarray(b)[None])[0][:, 0]
                    z0, z1 = b[2] - b[5] / 2, b[2] + b[5] / 2
                    ax.plot([xs.min(), xs.max(), xs.max(), xs.min(), xs.min()],
                            [z0, z0, z1, z1, z0], color=colour, lw=1)  # fmt: skip
            ax.set_xlim(cx - half, cx + half)
            if view == "bev":
                ax.set_ylim(cy - half, cy + half)
            ax.set_title(f"{name}: in-box {scan['share'][method]:.2f}", fontsize=10)
            ax.set_xlabel("x (m, forward)")
            ax.set_ylabel("y (m, left)" if view == "bev" else "z (m, up)")
            if view == "bev":
                ax.set_aspect("equal")
            fig.colorbar(sc, ax=ax, fraction=0.046)
        fig.suptitle(f"{'Bird' + chr(39) + 's-eye' if view == 'bev' else 'Side'} view: {title}")
        fig.tight_layout()
        path = figure_dir / f"lidar_odam_{view}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
        print(f"wrote {path}")
    return paths


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    torch.set_num_threads(cfg.threads)
    try:
        model, payload = load_lidar_checkpoint(cfg.checkpoint)
    except CheckpointError as error:
        raise SystemExit(f"error: {error}") from None
    model.eval()
    names = model.config.class_names
    data = KittiDataset(data_root(cfg, payload), cfg.split, classes=names)
    n = len(data) if cfg.max_scenes <= 0 else min(cfg.max_scenes, len(data))
    shares: dict[str, dict[str, list[float]]] = {m: {c: [] for c in names} for m in METHODS}
    best_scan: dict | None = None
    start = time.time()
    n_det = 0
    for i in tqdm(range(n), desc="explain", unit="scan"):
        sample = data[i]
        with torch.no_grad():
            det = model.post_process(model(model.pillarize(sample.points)))[0]
        keep = torch.nonzero(det.scores >= cfg.score_threshold).squeeze(1)[: cfg.max_detections]
        refs = [DetectionRef(int(det.anchor_indices[k]), int(det.labels[k])) for k in keep]
        maps = explain_all(model, sample.points, refs)
        for k, ref, att in zip(keep.tolist(), refs, maps, strict=True):
            box = det.boxes[k].numpy()
            share = {m: in_box_attention_share(sample.points, att[m], box) for m in METHODS}
            for m in METHODS:
                shares[m][names[ref.label]].append(share[m])
            n_det += 1
            score = float(det.scores[k])
            # The figure shows the most confident detection within 25 m (readable at this size).
            rank = (bool(np.hypot(box[0], box[1]) < 25.0), score)
            if best_scan is None or rank > best_scan["rank"]:
                best_scan = {"frame": sample.frame_id, "points": sample.points, "box": box,
                             "label": ref.label, "score": score, "attention": att, "rank": rank,
                             "share": share, "gt_boxes": sample.boxes_lidar}  # fmt: skip

    def mean(values: list[float]) -> float | None:
        return round(float(np.mean(values)), 4) if values else None

    mapb = {m: {c: mean(v) for c, v in per.items()} for m, per in shares.items()}
    counts = {c: len(shares["odam"][c]) for c in names}
    lines = ["| Method | " + " | ".join(TABLE_COLUMNS) + " |",
             "|---|" + "---|" * len(TABLE_COLUMNS)]  # fmt: skip
    for m, label in TABLE_ROWS.items():
        cells = ["-" if mapb[m].get(c) is None else f"{mapb[m][c]:.3f}" for c in TABLE_COLUMNS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("| detections | " + " | ".join(str(counts.get(c, 0)) for c in TABLE_COLUMNS)
                 + " |")  # fmt: skip
    table = "\n".join(lines)
    print(f"mAPB (mean in-box attention share) over {n_det} detections in {n} scans:\n{table}")
    result = {
        "checkpoint": cfg.checkpoint, "config": asdict(cfg), "command": " ".join(sys.argv),
        "scans": n, "detections": n_det, "detections_per_class": counts,
        "mapb": {TABLE_ROWS[m]: mapb[m] for m in TABLE_ROWS},
        "mapb_guided_backprop": mapb["guided_backprop"], "table_markdown": table,
        "wall_time_s": round(time.time() - start, 1),
    }  # fmt: skip
    out = Path(cfg.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    if cfg.figure_dir:
        if best_scan is None:
            print("no detection above the score threshold: no figure")
        else:
            draw(best_scan, names, Path(cfg.figure_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
