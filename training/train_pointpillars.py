#!/usr/bin/env python3
"""PointPillars 3D detection (Car / Pedestrian / Cyclist) on KITTI-format LiDAR scans.

Read top to bottom: config -> data (a synthetic KITTI tree written once with
``write_kitti_split`` and reused, or real KITTI with ``--data kitti --kitti-root PATH``) ->
network (``pointpillars_small`` by default) -> training loop (focal + smooth-L1 + direction
loss, AdamW, warm-up + cosine learning rate, random y-mirroring) with periodic validation
(BEV and 3D AP, R40, per class) and a best-on-validation checkpoint -> export (checkpoint +
manifest + learning curve).

    python training/train_pointpillars.py --config training/configs/pointpillars_small.yaml

GPU: add ``--device cuda`` (pillarisation stays in numpy on the CPU; the network, loss and
decoding run on the device; raise ``--batch-size`` and ``--steps`` as memory allows).

Outputs in ``runs/<run_name>/``: TensorBoard scalars (``losses/*``, ``val/ap_bev_<class>``,
``val/ap_3d_<class>``), ``metrics.jsonl`` (every validation), ``train_state.pt`` (resume: run
the same command again, with a larger ``--steps`` to continue), ``best.pt``; ``--export``
writes e.g. ``training/checkpoints/pointpillars_small.pt`` with ``.json`` manifest and
``.metrics.jsonl`` learning curve.
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
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.lidar.build import build_lidar_model, lidar_config
from xai_core.lidar.checkpoint import load_lidar_checkpoint, save_lidar_checkpoint
from xai_core.lidar.kitti import KittiDataset
from xai_core.lidar.metrics import FrameResult, average_precision
from xai_core.lidar.pointpillars import PointPillars
from xai_core.lidar.synthetic import write_kitti_split
from xai_core.rl.dqn import RunLog, seed_everything
from xai_core.trainer import AdamWTrainer


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "pointpillars"
    model: str = "pointpillars_small"  # registry name: pointpillars_small, pointpillars_kitti
    seed: int = 1
    data: str = "synthetic"  # synthetic (written to data_dir) or kitti (kitti_root)
    data_dir: str = "runs/data/synthetic_lidar"  # synthetic KITTI tree, reused when present
    data_seed: int = 0  # synthetic scene seeds: data_seed * 1_000_003 + frame index
    train_scenes: int = 600
    val_scenes: int = 100
    kitti_root: str = ""  # real KITTI: root/{training/{velodyne,label_2,calib},ImageSets}
    max_val_scenes: int = 0  # 0: every validation frame; else the first ones (faster checks)
    steps: int = 900  # gradient steps
    batch_size: int = 4
    learning_rate: float = 2e-3
    weight_decay: float = 0.01
    warmup_steps: int = 100
    grad_clip: float = 10.0
    flip: bool = True  # mirror scans and boxes in y (LiDAR frame) with probability 0.5
    eval_every: int = 300  # steps between validations (and checkpoints)
    device: str = "cpu"  # "cuda" for the GPU path
    threads: int = 1  # torch CPU threads
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>__<model>__<seed>
    export: str = ""  # e.g. training/checkpoints/pointpillars_small.pt


@dataclass
class Frame:
    """One scan in memory: ``points`` (M, 4) float32 LiDAR frame (m, reflectance),
    ``boxes`` (G, 7) float32 LiDAR boxes, ``labels`` (G,) int64 class indices."""

    frame_id: str
    points: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray


def learning_rate(cfg: Config, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps`` (stateless: resumes exactly)."""
    warmup = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return cfg.learning_rate * warmup * 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.steps, 1)))


def prepare_data(cfg: Config) -> tuple[Path, str]:
    """The KITTI root to read and its description; writes the synthetic tree if missing."""
    if cfg.data == "kitti":
        if not cfg.kitti_root:
            raise SystemExit("--data kitti needs --kitti-root PATH")
        return Path(cfg.kitti_root), f"KITTI object detection at {cfg.kitti_root}"
    if cfg.data != "synthetic":
        raise SystemExit(f"unknown --data {cfg.data!r}: synthetic or kitti")
    root = Path(cfg.data_dir)
    stamp = root / "synthetic.json"
    wanted = {"train_scenes": cfg.train_scenes, "val_scenes": cfg.val_scenes,
              "data_seed": cfg.data_seed}  # fmt: skip
    if not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        n = cfg.train_scenes + cfg.val_scenes
        t0 = time.time()
        print(f"writing {n} synthetic scans to {root} ...")
        write_kitti_split(root, n, seed=cfg.data_seed, val_fraction=cfg.val_scenes / n)
        stamp.write_text(json.dumps(wanted))
        print(f"  done in {time.time() - t0:.0f} s")
    return root, (
        f"synthetic ray-cast 32-beam scans (xai_core.lidar.synthetic, 180 deg FOV), "
        f"{cfg.train_scenes} train / {cfg.val_scenes} val frames, data_seed {cfg.data_seed}, "
        f"KITTI tree at {root}"
    )


def load_frames(root: Path, split: str, class_names: tuple[str, ...], limit: int = 0) -> list:
    """Every frame of ``split`` in memory (labels restricted to ``class_names``)."""
    data = KittiDataset(root, split, classes=class_names)
    n = len(data) if limit <= 0 else min(limit, len(data))
    frames = []
    for i in tqdm(range(n), desc=f"load {split}", unit="scan", mininterval=5):
        s = data[i]
        labels = np.array([class_names.index(c) for c in s.names], dtype=np.int64)
        frames.append(Frame(s.frame_id, s.points, s.boxes_lidar.reshape(-1, 7), labels))
    return frames


@torch.no_grad()
def evaluate(
    model: PointPillars, frames: list[Frame], device: torch.device, batch: int = 4
) -> dict:
    """Per-class BEV and 3D AP (R40, KITTI IoU thresholds) over ``frames``, and their means."""
    names = model.config.class_names
    was_training = model.training
    model.eval()
    results = []
    for i0 in range(0, len(frames), batch):
        chunk = frames[i0 : i0 + batch]
        pillars = model.pillarize([f.points for f in chunk])
        out = model(to_device(pillars, device))
        for f, det in zip(chunk, model.post_process(out), strict=True):
            results.append(FrameResult(
                det.boxes.cpu().numpy(), det.scores.cpu().numpy(),
                [names[k] for k in det.labels.cpu().tolist()],
                f.boxes, [names[k] for k in f.labels.tolist()],
            ))  # fmt: skip
    model.train(was_training)
    ap = {m: {c: average_precision(results, c, metric=m, points=40) for c in names}
          for m in ("bev", "3d")}  # fmt: skip

    def mean(values: dict) -> float | None:
        v = [x for x in values.values() if not math.isnan(x)]
        return float(np.mean(v)) if v else None

    clean = {m: {c: (None if math.isnan(v) else round(v, 4)) for c, v in d.items()}
             for m, d in ap.items()}  # fmt: skip
    return {"frames": len(frames), "ap_bev_r40": clean["bev"], "ap_3d_r40": clean["3d"],
            "mean_ap_bev": mean(ap["bev"]), "mean_ap_3d": mean(ap["3d"]),
            "detections": int(sum(len(r.det_scores) for r in results))}  # fmt: skip


def to_device(batch, device: torch.device):
    """Move a :class:`PillarBatch`'s tensors to ``device`` (in place)."""
    batch.features = batch.features.to(device)
    batch.mask = batch.mask.to(device)
    batch.coords = batch.coords.to(device)
    return batch


def sample_batch(
    frames: list[Frame], rng: np.random.Generator, cfg: Config
) -> tuple[list[np.ndarray], list[torch.Tensor], list[torch.Tensor]]:
    """``batch_size`` random scans (mirrored in y with probability 0.5 when ``cfg.flip``)."""
    points, boxes, labels = [], [], []
    for i in rng.integers(len(frames), size=cfg.batch_size):
        f = frames[i]
        p, b = f.points, f.boxes
        if cfg.flip and rng.random() < 0.5:
            p, b = p.copy(), b.copy()
            p[:, 1] *= -1
            b[:, 1] *= -1
            b[:, 6] *= -1
        points.append(p)
        boxes.append(torch.from_numpy(b))
        labels.append(torch.from_numpy(f.labels))
    return points, boxes, labels


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    model_cfg = lidar_config(cfg.model)  # fails fast on an unknown name
    run = RunLog(cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}")
    seed_everything(cfg.seed, cfg.threads)
    device = torch.device(cfg.device)

    root, data_description = prepare_data(cfg)
    train = load_frames(root, "train", model_cfg.class_names)
    val = load_frames(root, "val", model_cfg.class_names, cfg.max_val_scenes)
    counts = np.bincount(np.concatenate([f.labels for f in train]),
                         minlength=len(model_cfg.class_names))  # fmt: skip
    objects = dict(zip(model_cfg.class_names, counts.tolist(), strict=True))
    data = {"source": data_description, "train_frames": len(train), "val_frames": len(val),
            "train_objects": objects}  # fmt: skip
    print(f"data: {data}")

    trainer = AdamWTrainer(
        build_lidar_model(cfg.model), cfg.learning_rate, cfg.weight_decay, device
    )
    parameters = sum(p.numel() for p in trainer.model.parameters())
    print(f"{cfg.model}: {parameters} parameters")
    counters = run.load_state(trainer) or {}
    start_step = int(counters.get("step", 0))
    best_score = float(counters.get("best_score", -1.0))
    wall_before = float(counters.get("wall_time_s", 0.0))

    def meta(steps: int, wall: float, evaluation: dict) -> dict:
        return {"task": "lidar_detection", "config": asdict(cfg), "command": " ".join(sys.argv),
                "steps": steps, "wall_time_s": round(wall, 1), "parameters": parameters,
                "evaluation": evaluation, "data": data, "device": str(device),
                "torch": str(torch.__version__)}  # fmt: skip

    start_time = time.time()
    trainer.model.train()
    progress = tqdm(range(start_step, cfg.steps), initial=start_step, total=cfg.steps,
                    desc="train", unit="step", mininterval=10)  # fmt: skip
    for step in progress:
        lr = learning_rate(cfg, step)
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr
        rng = np.random.default_rng([cfg.seed, step])  # a function of the step: exact resume
        points, boxes, labels = sample_batch(train, rng, cfg)
        batch = to_device(trainer.model.pillarize(points), device)
        out = trainer.model(batch)
        losses = trainer.model.loss(out, [b.to(device) for b in boxes],
                                    [x.to(device) for x in labels])  # fmt: skip
        trainer.optimizer.zero_grad()
        losses["loss"].backward()
        torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), cfg.grad_clip)
        trainer.optimizer.step()
        if step % 10 == 0:
            for k, v in losses.items():
                run.scalar(f"losses/{k}", v.item(), step)
            run.scalar("charts/learning_rate", lr, step)
            progress.set_postfix(loss=f"{losses['loss'].item():.3f}", best=f"{best_score:.3f}")

        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps:
            wall = wall_before + time.time() - start_time
            result = evaluate(trainer.model, val, device)
            for m in ("bev", "3d"):
                for c, v in result[f"ap_{m}_r40"].items():
                    run.scalar(f"val/ap_{m}_{c}", v if v is not None else float("nan"), done)
            run.evaluation(done, wall, done, {**result, "loss": round(losses["loss"].item(), 4)})
            tqdm.write(f"step {done}: val AP BEV {result['ap_bev_r40']} 3D {result['ap_3d_r40']}")
            score = result["mean_ap_bev"] if result["mean_ap_bev"] is not None else 0.0
            if score > best_score or not (run.dir / "best.pt").exists():
                best_score = max(score, best_score)
                save_lidar_checkpoint(run.dir / "best.pt", trainer.model, cfg.model,
                                      meta(done, wall, {"validation": result}))  # fmt: skip
            run.save_state(trainer, step=done, best_score=best_score, wall_time_s=wall)

    wall = wall_before + time.time() - start_time
    best, payload = load_lidar_checkpoint(run.dir / "best.pt")
    evaluation = payload["meta"]["evaluation"]
    print(f"best step {payload['meta']['steps']}: {json.dumps(evaluation['validation'])}")
    final_meta = {**payload["meta"], "total_wall_time_s": round(wall, 1),
                  "total_steps": cfg.steps, "best_step": payload["meta"]["steps"]}  # fmt: skip
    save_lidar_checkpoint(run.dir / "best.pt", best, cfg.model, final_meta)
    if cfg.export:

        def reference(checkpoint: Path) -> dict:
            """What the exported checkpoint detects on the first validation frame."""
            model, _ = load_lidar_checkpoint(checkpoint)
            with torch.no_grad():
                det = model.post_process(model(model.pillarize(val[0].points)))[0]
            return {"frame": val[0].frame_id, "detections": len(det.scores),
                    "top_scores": [round(float(s), 4) for s in det.scores[:5]]}  # fmt: skip

        run.export(cfg.export, reference)
    run.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
