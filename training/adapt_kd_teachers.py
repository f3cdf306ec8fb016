#!/usr/bin/env python3
"""Downstream adaptation of the two self-supervised teachers (research table 1).

For each teacher (CL = contrastive, MIM = MAE-style; checkpoints in the official layouts) and each
adaptation mode -- linear probing (head only), Partial-1 (head + last block + final norm) and
full fine-tuning -- train a fresh classification head with cross-entropy on the labelled
training images (same augmentation as the distillation), then measure held-out top-1. Reports
the trainable parameter count of each mode.

    python training/adapt_kd_teachers.py --config training/configs/kd_adapt.yaml

Outputs in ``runs/<run_name>/``: TensorBoard scalars per (teacher, mode), ``metrics.jsonl``,
``results.json`` (``{"rows": [{"teacher", "mode", "trainable_parameters", "top1", ...}]}``).
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.kd.adapt import MODES, forward_adapted, set_adaptation
from xai_core.kd.build import build_vit, count_parameters
from xai_core.kd.data import augment, load_sets, normalize
from xai_core.kd.evaluate import top1_accuracy
from xai_core.kd.pretrained import load_teacher_checkpoint
from xai_core.rl.dqn import RunLog, seed_everything


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "kd_adapt"
    teacher_model: str = "kd_teacher"
    teacher_cl: str = "training/checkpoints/kd_teacher_dino.pt"  # DINO layout (plain backbone)
    teacher_mim: str = "training/checkpoints/kd_teacher_mae.pt"  # MAE layout
    modes: str = "linear,partial1,full"  # comma-separated subset of linear, partial1, full
    teachers: str = "cl,mim"  # comma-separated subset of cl, mim (rows are seeded per row)
    data: str = "digits"
    image_size: int = 32
    seed: int = 1
    steps: int = 300
    batch_size: int = 64
    lr_linear: float = 5e-3
    lr_partial1: float = 1e-3
    lr_full: float = 5e-4
    weight_decay: float = 0.05
    warmup_steps: int = 30
    threads: int = 1
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>__<seed>


def adapt_one(cfg: Config, path: str, kind: str, mode: str, train, heldout, writer) -> dict:
    """Train one teacher in one mode; its held-out top-1 and trainable parameter count."""
    torch.manual_seed(cfg.seed)
    generator = torch.Generator().manual_seed(cfg.seed)
    model = build_vit(cfg.teacher_model, img_size=cfg.image_size, num_classes=len(train.classes))
    load_teacher_checkpoint(path, model, kind)
    trainable = set_adaptation(model, mode)
    base_lr = getattr(cfg, f"lr_{mode}")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=base_lr, weight_decay=cfg.weight_decay)  # fmt: skip
    model.train()
    start = time.time()
    for step in tqdm(range(cfg.steps), desc=f"{kind} {mode}", unit="step", mininterval=10):
        warmup = min(1.0, (step + 1) / cfg.warmup_steps)
        lr = base_lr * warmup * 0.5 * (1 + math.cos(math.pi * step / cfg.steps))
        for group in optimizer.param_groups:
            group["lr"] = lr
        index = torch.randint(len(train), (cfg.batch_size,), generator=generator).numpy()
        images, labels = train.batch(index)
        loss = F.cross_entropy(forward_adapted(model, normalize(augment(images, generator)),
                                               mode), labels)  # fmt: skip
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            writer.add_scalar(f"{kind}_{mode}/cross_entropy", loss.item(), step)
    top1 = top1_accuracy(model, heldout)
    return {"teacher": kind, "mode": mode, "trainable_parameters": trainable,
            "total_parameters": count_parameters(model), "top1": round(top1, 4),
            "steps": cfg.steps, "wall_time_s": round(time.time() - start, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    modes = [m.strip() for m in cfg.modes.split(",") if m.strip()]
    bad = sorted(set(modes) - set(MODES))
    if bad:
        raise SystemExit(f"unknown mode(s) {bad}; choose from {', '.join(MODES)}")
    run = RunLog(
        cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.seed}"
    )  # config.json, TensorBoard
    run_dir, writer = run.dir, run.writer
    (run_dir / "metrics.jsonl").write_text("")  # no resume: a rerun starts the curve afresh
    seed_everything(cfg.seed, cfg.threads)
    train, heldout = load_sets(cfg.data, cfg.image_size)
    teachers = {t.strip() for t in cfg.teachers.split(",") if t.strip()}
    if not teachers or teachers - {"cl", "mim"}:
        raise SystemExit(f"--teachers must be a subset of cl,mim, not {cfg.teachers!r}")
    rows = []
    for name, kind, path in (("cl", "dino", cfg.teacher_cl), ("mim", "mae", cfg.teacher_mim)):
        if name not in teachers:
            continue
        for mode in modes:
            row = adapt_one(cfg, path, kind, mode, train, heldout, writer)
            rows.append(row)
            with open(run_dir / "metrics.jsonl", "a") as stream:
                stream.write(json.dumps(row) + "\n")
            print(json.dumps(row))
    writer.close()
    results = {"rows": rows, "heldout_images": len(heldout), "config": asdict(cfg),
               "command": " ".join(sys.argv)}  # fmt: skip
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
