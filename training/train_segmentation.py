#!/usr/bin/env python3
"""Semantic segmentation (wall / floor / furniture / person) of the simulator's RGB camera.

Read top to bottom: config -> rendered data (training, validation and held-out worlds with
disjoint seeds; the held-out set adds the named layouts no training world uses) -> network ->
training loop (class-weighted cross-entropy, AdamW, warm-up + cosine learning rate, horizontal
flips) with periodic validation, best-on-validation checkpoint -> held-out evaluation -> export
(checkpoint + manifest) and the example figure.

    python training/train_segmentation.py --config training/configs/segmentation.yaml

Outputs in ``runs/<run_name>/``: TensorBoard scalars (``losses/cross_entropy``, ``val/miou``,
``val/iou_<class>``), ``metrics.jsonl`` (every validation), ``train_state.pt`` (resume: run the
same command again), ``best.pt``; ``--export`` writes e.g. ``training/checkpoints/segmentation.pt``
with its manifest ``segmentation.json`` (held-out mIoU and per-class IoU), learning curve and a
reference render; ``--figure`` draws RGB | ground truth | prediction for held-out renders.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.nav.evaluate import HELD_OUT_LAYOUTS
from xai_core.rl.dqn import RunLog, seed_everything
from xai_core.seg.build import build_seg_model, seg_model_kwargs
from xai_core.seg.checkpoint import load_seg_checkpoint, save_seg_checkpoint
from xai_core.seg.data import SegmentationSet, named_worlds, procedural_worlds, render_set
from xai_core.seg.metrics import confusion_matrix, grouped_scores
from xai_core.trainer import AdamWTrainer
from xai_sim import LABEL_NAMES


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "segmentation"
    model: str = "unet_tiny"  # registry name: unet_tiny, unet_nano
    seed: int = 1
    width: int = 160  # render size = the model's input size, pixels
    height: int = 120
    train_worlds: int = 500  # procedural floor plans, seeds train_seed_start + i
    train_views: int = 8  # camera views per world
    train_seed_start: int = 0
    val_worlds: int = 20  # model selection; seeds val_seed_start + i
    val_views: int = 5
    val_seed_start: int = 500_000
    heldout_worlds: int = 40  # final evaluation; seeds heldout_seed_start + i
    heldout_views: int = 5
    heldout_seed_start: int = 1_000_000
    heldout_layout_views: int = 25  # views in each named layout (office, apartment, ...)
    aim_prob: float = 0.5  # share of views aimed at a person or piece of furniture
    max_people: int = 3  # people per procedural training world: 0..max_people
    steps: int = 1200  # gradient steps
    batch_size: int = 16
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    class_weight_power: float = 0.5  # weights = frequency ** -power (0 = unweighted)
    flip: bool = True  # random horizontal flips
    eval_every: int = 200  # steps between validations (and checkpoints)
    device: str = "cpu"
    threads: int = 1  # torch CPU threads (more only with idle cores: oversubscription is slow)
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>__<model>__<seed>
    export: str = ""  # e.g. training/checkpoints/segmentation.pt
    figure: str = ""  # e.g. docs/figures/segmentation_examples.png


def learning_rate(cfg: Config, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps`` (stateless: resumes exactly)."""
    warmup = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return cfg.learning_rate * warmup * 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.steps, 1)))


def to_batch(data: SegmentationSet, index: np.ndarray, flip: np.ndarray, device) -> tuple:
    """Images ``(B, 3, H, W)`` float in [0, 1] and labels ``(B, H, W)`` long on ``device``."""
    rgb, labels = data.rgb[index], data.labels[index]
    rgb[flip], labels[flip] = rgb[flip, :, ::-1], labels[flip, :, ::-1]
    images = torch.from_numpy(rgb).to(device).permute(0, 3, 1, 2).float().div_(255.0)
    return images, torch.from_numpy(labels).to(device).long()


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: SegmentationSet, device, batch: int = 32) -> dict:
    """mIoU, pixel accuracy and per-class IoU over ``data``, overall and per world kind."""
    model.eval()
    confusions = []
    for i0 in range(0, len(data), batch):
        index = np.arange(i0, min(i0 + batch, len(data)))
        images, _ = to_batch(data, index, np.zeros(len(index), bool), device)
        prediction = model(images).argmax(1).cpu().numpy()
        confusions += [confusion_matrix(data.labels[i], p, len(LABEL_NAMES))
                       for i, p in zip(index, prediction, strict=True)]  # fmt: skip
    model.train()
    groups = [source.split(":")[0] for source in data.sources]
    return grouped_scores(confusions, groups, LABEL_NAMES)


def render_sets(cfg: Config) -> tuple[SegmentationSet, SegmentationSet, SegmentationSet, dict]:
    """Training, validation and held-out sets, and their description for the manifest."""
    train_w = procedural_worlds(cfg.train_seed_start, cfg.train_worlds)
    val_w = procedural_worlds(cfg.val_seed_start, cfg.val_worlds)
    held_w = procedural_worlds(cfg.heldout_seed_start, cfg.heldout_worlds)
    layouts_w = named_worlds(HELD_OUT_LAYOUTS, cfg.heldout_seed_start)
    seeds = [{w.seed for w in ws} for ws in (train_w, val_w, held_w)]
    if seeds[0] & seeds[1] or seeds[0] & seeds[2] or seeds[1] & seeds[2]:
        raise SystemExit("train / validation / held-out seed ranges overlap: change *_seed_start")
    size = dict(width=cfg.width, height=cfg.height, aim_prob=cfg.aim_prob, progress=True)
    train = render_set(train_w, cfg.train_views, people_range=(0, cfg.max_people), **size)
    val = render_set(val_w, cfg.val_views, **size)
    held = render_set(held_w, cfg.heldout_views, **size)
    named = render_set(layouts_w, cfg.heldout_layout_views, **size)
    held = SegmentationSet(np.concatenate([held.rgb, named.rgb]),
                           np.concatenate([held.labels, named.labels]),
                           held.sources + named.sources)  # fmt: skip
    describe = {
        "source": "xai_sim render_camera textured RGB + ground-truth labels, "
        f"{cfg.width}x{cfg.height}, camera poses in free space, {cfg.aim_prob:.0%} aimed at a "
        "person or furniture",
        "train": f"{len(train)} renders: {cfg.train_worlds} procedural floor plans (seeds "
        f"{cfg.train_seed_start}..{cfg.train_seed_start + cfg.train_worlds - 1}, "
        f"0..{cfg.max_people} people) x {cfg.train_views} views",
        "validation": f"{len(val)} renders: {cfg.val_worlds} procedural plans from seed "
        f"{cfg.val_seed_start} x {cfg.val_views} views (model selection)",
        "heldout": f"{len(held)} renders: {cfg.heldout_worlds} procedural plans from seed "
        f"{cfg.heldout_seed_start} x {cfg.heldout_views} views + named layouts "
        f"{', '.join(HELD_OUT_LAYOUTS)} x {cfg.heldout_layout_views} views",
        "train_class_frequencies": dict(
            zip(LABEL_NAMES, train.class_frequencies().round(4).tolist(), strict=True)
        ),
    }  # fmt: skip
    return train, val, held, describe


def draw_examples(model: torch.nn.Module, data: SegmentationSet, path: Path, device) -> None:
    """RGB | ground truth | prediction for one held-out render per named layout and two
    procedural ones (the renders showing the most classes, preferring some person pixels)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from xai_core.seg.predictor import label_palette

    palette = label_palette()
    share = np.stack([(data.labels == k).mean((1, 2)) for k in range(len(LABEL_NAMES))], 1)
    interest = (share >= 0.02).sum(1) + np.minimum(share[:, LABEL_NAMES.index("person")], 0.1)
    picks: list[int] = []
    for group in dict.fromkeys(s.split(":")[0] for s in data.sources):
        members = [i for i, s in enumerate(data.sources) if s.startswith(group + ":")]
        picks += sorted(members, key=lambda i: -interest[i])[: 2 if group == "procedural" else 1]
    model.eval()
    with torch.no_grad():
        images, _ = to_batch(data, np.array(picks), np.zeros(len(picks), bool), device)
        prediction = model(images).argmax(1).cpu().numpy()
    fig, axes = plt.subplots(len(picks), 3, figsize=(7.5, 2.0 * len(picks)), squeeze=False)
    for row, (i, pred) in enumerate(zip(picks, prediction, strict=True)):
        panels = (data.rgb[i], palette[data.labels[i]], palette[pred])
        for col, (image, title) in enumerate(zip(panels, ("RGB", "ground truth", "prediction"),
                                                 strict=True)):  # fmt: skip
            axes[row, col].imshow(image)
            axes[row, col].set_xticks([])
            axes[row, col].set_yticks([])
            if row == 0:
                axes[row, col].set_title(title)
        axes[row, 0].set_ylabel(data.sources[i], fontsize=8)
    handles = [Patch(color=palette[k] / 255, label=n) for k, n in enumerate(LABEL_NAMES)]
    fig.legend(handles=handles, loc="lower center", ncol=len(LABEL_NAMES), frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    kwargs = seg_model_kwargs(cfg.model, input_size=(cfg.height, cfg.width))  # fails fast
    run = RunLog(cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}")
    seed_everything(cfg.seed, cfg.threads)
    device = torch.device(cfg.device)

    # Data: rendered once (deterministic from the seeds), kept in memory as uint8.
    train, val, held, data_description = render_sets(cfg)
    frequencies = train.class_frequencies(len(LABEL_NAMES))
    weights = np.maximum(frequencies, 1e-4) ** -cfg.class_weight_power
    weights = torch.tensor(weights / (weights * frequencies).sum(), dtype=torch.float32)
    print(f"class frequencies {frequencies.round(4).tolist()}, weights {weights.round(decimals=2)}")

    # Network and optimizer; resume from train_state.pt when the run directory has one.
    trainer = AdamWTrainer(
        build_seg_model(cfg.model, **kwargs), cfg.learning_rate, cfg.weight_decay, device
    )
    parameters = sum(p.numel() for p in trainer.model.parameters())
    print(f"{cfg.model}: {parameters} parameters")
    counters = run.load_state(trainer) or {}
    start_step = int(counters.get("step", 0))
    best_miou = float(counters.get("best_miou", -1.0))
    wall_before = float(counters.get("wall_time_s", 0.0))

    def meta(steps: int, wall: float, evaluation: dict) -> dict:
        return {"task": "segmentation", "config": asdict(cfg),
                "command": " ".join(sys.argv), "steps": steps, "wall_time_s": round(wall, 1),
                "parameters": parameters, "evaluation": evaluation, "data": data_description,
                "class_weights": weights.tolist(), "torch": str(torch.__version__)}  # fmt: skip

    start_time = time.time()
    trainer.model.train()
    progress = tqdm(range(start_step, cfg.steps), initial=start_step, total=cfg.steps,
                    desc="train", unit="step", mininterval=10)  # fmt: skip
    for step in progress:
        lr = learning_rate(cfg, step)
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr
        rng = np.random.default_rng([cfg.seed, step])  # a function of the step: exact resume
        index = rng.integers(len(train), size=cfg.batch_size)
        flip = rng.random(cfg.batch_size) < 0.5 if cfg.flip else np.zeros(cfg.batch_size, bool)
        images, labels = to_batch(train, index, flip, device)
        loss = F.cross_entropy(trainer.model(images), labels, weight=weights.to(device))
        trainer.optimizer.zero_grad()
        loss.backward()
        trainer.optimizer.step()
        if step % 10 == 0:
            run.scalar("losses/cross_entropy", loss.item(), step)
            run.scalar("charts/learning_rate", lr, step)
            progress.set_postfix(loss=f"{loss.item():.3f}", best_val_miou=f"{best_miou:.3f}")

        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps:
            wall = wall_before + time.time() - start_time
            result = evaluate(trainer.model, val, device)
            run.scalar("val/miou", result["miou"], done)
            run.scalar("val/pixel_accuracy", result["pixel_accuracy"], done)
            for name, iou in result["iou"].items():
                run.scalar(f"val/iou_{name}", iou if iou is not None else float("nan"), done)
            run.evaluation(done, wall, done, result)
            tqdm.write(f"step {done}: validation mIoU {result['miou']:.3f} {result['iou']}")
            if result["miou"] > best_miou:
                best_miou = result["miou"]
                save_seg_checkpoint(run.dir / "best.pt", trainer.model, cfg.model, kwargs,
                                    meta(done, wall, {"validation": result}))  # fmt: skip
            run.save_state(trainer, step=done, best_miou=best_miou, wall_time_s=wall)

    # Held-out evaluation of the best-on-validation model.
    wall = wall_before + time.time() - start_time
    best, payload = load_seg_checkpoint(run.dir / "best.pt")
    best = best.to(device)
    heldout = evaluate(best, held, device)
    print(f"held-out ({heldout['images']} renders): mIoU {heldout['miou']:.3f}, "
          f"pixel accuracy {heldout['pixel_accuracy']:.3f}, IoU {heldout['iou']}")  # fmt: skip
    evaluation = {"heldout": heldout, "validation": payload["meta"]["evaluation"]["validation"],
                  "best_step": payload["meta"]["steps"]}  # fmt: skip
    save_seg_checkpoint(run.dir / "best.pt", best, cfg.model, kwargs,
                        {**meta(payload["meta"]["steps"], wall, evaluation),
                         "wall_time_s": round(wall, 1)})  # fmt: skip
    (run.dir / "heldout.json").write_text(json.dumps(heldout, indent=2) + "\n")
    if cfg.export:

        def reference(checkpoint: Path) -> dict:
            """A held-out render stored beside the checkpoint, and what the predictor makes
            of it (tests check the committed checkpoint reproduces it)."""
            from xai_core.seg.predictor import SegmentationPredictor

            i = int(np.argmax((held.labels == LABEL_NAMES.index("person")).mean((1, 2))))
            path = checkpoint.with_suffix(".obs.npz")
            np.savez_compressed(path, rgb=held.rgb[i], labels=held.labels[i])
            predicted = SegmentationPredictor.from_checkpoint(checkpoint).predict(held.rgb[i])
            return {
                "observation": path.name,
                "source": held.sources[i],
                "pixel_accuracy": round(float((predicted == held.labels[i]).mean()), 4),
                "label_counts": np.bincount(predicted.ravel(), minlength=4).tolist(),
            }

        run.export(cfg.export, reference)
    if cfg.figure:
        draw_examples(best, held, Path(cfg.figure), device)
    run.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
