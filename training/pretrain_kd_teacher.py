#!/usr/bin/env python3
"""Self-supervised pre-training of a small ViT teacher: contrastive (DINO / MoCo v3 style) or MAE.

Read top to bottom: config -> unlabelled training images (digits or an image folder; labels are
never used for training, only for the kNN monitor) -> the objective:

* ``--method dino``: student and EMA teacher ViTs with a projection head (optionally with
  BatchNorm, ``head_bn``); two global views for both, ``local_crops`` small crops
  (``local_size`` px, position embedding resampled) for the student only; the centred,
  sharpened teacher distribution (temperature ``teacher_temp``, optional warm-up from
  ``teacher_temp_start``) is the student's target (cross-view); the teacher follows the student
  by EMA with momentum rising from ``momentum`` to 1; the prototypes stay fixed for
  ``freeze_last_layer_steps``; ``koleo_weight`` adds DINOv2's KoLeo spread term. The plain
  recipe (2 views, no BatchNorm, teacher temperature 0.04) collapsed to the uniform output
  (loss ln 256); the committed recipe (kd_teacher_dino.yaml) does not, and is the CL teacher.
* ``--method moco``: contrastive InfoNCE between the student's prediction of one view and the
  EMA teacher's projection of the other (MoCo v3 style, temperature ``moco_temp``); the
  student's backbone is the pre-trained model. The alternative CL teacher (kd_teacher_moco.yaml).
* ``--method mae``: 75 % of the patches hidden, a small Transformer decoder predicts their
  pixels (mean squared error on the hidden patches).

-> AdamW, warm-up + cosine learning rate, kNN accuracy of the class token on the held-out
images every ``eval_every`` steps (DINO: of the exported EMA teacher and of the student) ->
export in the official checkpoint layout (``--export training/checkpoints/kd_teacher_dino.pt``:
DINO's plain backbone state dict, MAE's ``{"model": ...}`` with the decoder), so the
distillation script loads it through the same code as the published DINO / MAE ViT-B/16 files.

    python training/pretrain_kd_teacher.py --config training/configs/kd_teacher_moco.yaml
    python training/pretrain_kd_teacher.py --config training/configs/kd_teacher_dino.yaml
    python training/pretrain_kd_teacher.py --config training/configs/kd_teacher_mae.yaml

Outputs in ``runs/<run_name>/``: TensorBoard scalars, ``metrics.jsonl``, ``teacher.pt``,
``results.json``; the export adds ``<name>.json`` (manifest) and ``<name>.metrics.jsonl``.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.kd.build import build_vit, count_parameters, vit_kwargs
from xai_core.kd.data import augment, load_sets, normalize
from xai_core.kd.evaluate import knn_accuracy
from xai_core.kd.losses import dino_loss, info_nce, koleo_loss, mae_loss
from xai_core.kd.models import DinoModel, MaskedAutoencoder, MocoModel
from xai_core.rl.dqn import RunLog, seed_everything


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "kd_teacher"
    method: str = "dino"  # dino, moco or mae
    model: str = "kd_teacher"  # xai_core.kd.build registry name
    data: str = "digits"  # "digits" or an ImageFolder path
    image_size: int = 32
    seed: int = 1
    steps: int = 600
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.04
    warmup_steps: int = 50
    # DINO
    out_dim: int = 256
    momentum: float = 0.99  # EMA teacher momentum at step 0 (cosine to 1)
    teacher_temp: float = 0.04
    student_temp: float = 0.1
    center_momentum: float = 0.9
    teacher_temp_start: float = -1.0  # < 0: no warm-up; else linear to teacher_temp over ...
    teacher_temp_warmup_steps: int = 0
    head_bn: bool = False  # BatchNorm in the DINO head MLP (DINO's use_bn_in_head)
    local_crops: int = 0  # DINO multi-crop: extra small crops seen by the student only
    local_crop_scale: float = 0.1  # local crops cover this .. local_crop_max of the area
    local_crop_max: float = 0.4
    local_size: int = 16  # side of the local crops in pixels (position embedding resampled)
    freeze_last_layer_steps: int = 0  # DINO keeps the prototypes fixed at first
    koleo_weight: float = 0.0  # DINOv2's KoLeo spread term on the student's global features
    crop_scale: float = 0.4  # smallest crop area share of the global views
    jitter: float = 0.3
    moco_temp: float = 0.2  # MoCo InfoNCE temperature (out_dim, momentum, crops as DINO's)
    # MAE
    mask_ratio: float = 0.75
    decoder_dim: int = 48
    decoder_depth: int = 2
    decoder_heads: int = 3
    eval_every: int = 100
    threads: int = 1
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>_<method>__<seed>
    export: str = ""  # e.g. training/checkpoints/kd_teacher_dino.pt


def learning_rate(cfg: Config, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps``."""
    warmup = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return cfg.learning_rate * warmup * 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.steps, 1)))


def teacher_temperature(cfg: Config, step: int) -> float:
    """DINO's teacher temperature: linear warm-up from ``teacher_temp_start``, then fixed."""
    if cfg.teacher_temp_start < 0 or step >= cfg.teacher_temp_warmup_steps:
        return cfg.teacher_temp
    share = step / max(cfg.teacher_temp_warmup_steps, 1)
    return cfg.teacher_temp_start + (cfg.teacher_temp - cfg.teacher_temp_start) * share


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    if cfg.method not in ("dino", "moco", "mae"):
        raise SystemExit(f"--method must be dino, moco or mae, not {cfg.method!r}")
    run = RunLog(
        cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}_{cfg.method}__{cfg.seed}"
    )  # config.json, TensorBoard
    run_dir, writer = run.dir, run.writer
    (run_dir / "metrics.jsonl").write_text("")  # no resume: a rerun starts the curve afresh
    seed_everything(cfg.seed, cfg.threads)
    generator = torch.Generator().manual_seed(cfg.seed)

    train, heldout = load_sets(cfg.data, cfg.image_size)
    kwargs = vit_kwargs(cfg.model, img_size=cfg.image_size, num_classes=0)
    backbone = build_vit(cfg.model, **kwargs)
    print(f"{cfg.method} pre-training of {cfg.model} ({count_parameters(backbone)} parameters) "
          f"on {len(train)} unlabelled images")  # fmt: skip

    if cfg.method == "dino":
        student = DinoModel(backbone, cfg.out_dim, use_bn=cfg.head_bn)
        teacher = copy.deepcopy(student).requires_grad_(False)
        center = torch.zeros(1, cfg.out_dim)
        trained: torch.nn.Module = student
        encoder = teacher.backbone  # the EMA teacher's backbone is the pre-trained model
    elif cfg.method == "moco":
        student = MocoModel(backbone, cfg.out_dim)
        teacher = copy.deepcopy(student).requires_grad_(False)
        trained = student
        encoder = student.backbone  # MoCo v3 keeps the query (base) encoder
    else:
        trained = MaskedAutoencoder(backbone, cfg.decoder_dim, cfg.decoder_depth,
                                    cfg.decoder_heads, cfg.mask_ratio)  # fmt: skip
        encoder = backbone
    optimizer = torch.optim.AdamW(
        [p for p in trained.parameters() if p.requires_grad],
        lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
    )  # fmt: skip

    start = time.time()
    history: list[dict] = []
    progress = tqdm(range(cfg.steps), desc=cfg.method, unit="step", mininterval=10)
    for step in progress:
        lr = learning_rate(cfg, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        index = torch.randint(len(train), (cfg.batch_size,), generator=generator).numpy()
        images, _ = train.batch(index)
        if cfg.method == "dino":
            views = [normalize(augment(images, generator, crop_scale=cfg.crop_scale,
                                       jitter=cfg.jitter)) for _ in range(2)]  # fmt: skip
            local = [normalize(F.interpolate(
                augment(images, generator, crop_scale=cfg.local_crop_scale,
                        crop_max=cfg.local_crop_max, jitter=cfg.jitter),
                size=(cfg.local_size, cfg.local_size), mode="bilinear", antialias=True))
                for _ in range(cfg.local_crops)]  # fmt: skip
            # one student pass per crop size (global first); BatchNorm sees all views of a size
            out, feats = student(torch.cat(views), with_features=True)
            student_out = list(out.chunk(2))
            if local:
                student_out += list(student(torch.cat(local)).chunk(len(local)))
            with torch.no_grad():
                teacher_out = list(teacher(torch.cat(views)).chunk(2))  # global views only
            loss = dino_loss(student_out, teacher_out, center, cfg.student_temp,
                             teacher_temperature(cfg, step))  # fmt: skip
            if cfg.koleo_weight:
                loss = loss + cfg.koleo_weight * sum(koleo_loss(f) for f in feats.chunk(2)) / 2
        elif cfg.method == "moco":
            views = [normalize(augment(images, generator, crop_scale=cfg.crop_scale,
                                       jitter=cfg.jitter)) for _ in range(2)]  # fmt: skip
            queries = [student(v) for v in views]
            with torch.no_grad():
                keys = [teacher(v, predict=False) for v in views]
            loss = info_nce(queries[0], keys[1], cfg.moco_temp)
            loss = loss + info_nce(queries[1], keys[0], cfg.moco_temp)
        else:
            x = normalize(augment(images, generator, rotate_deg=8, translate=0.05))
            pred, mask = trained(x, generator)
            loss = mae_loss(pred, trained.patchify(x), mask)
        optimizer.zero_grad()
        loss.backward()
        if cfg.method == "dino" and step < cfg.freeze_last_layer_steps:
            for p in student.head.last.parameters():
                p.grad = None
        torch.nn.utils.clip_grad_norm_(trained.parameters(), 3.0)
        optimizer.step()
        if cfg.method in ("dino", "moco"):
            with torch.no_grad():
                m = 1 - (1 - cfg.momentum) * (math.cos(math.pi * step / cfg.steps) + 1) / 2
                for p_t, p_s in zip(teacher.parameters(), student.parameters(), strict=True):
                    p_t.mul_(m).add_(p_s.detach(), alpha=1 - m)
        if cfg.method == "dino":
            with torch.no_grad():
                batch_center = torch.cat(teacher_out).mean(0, keepdim=True)
                center.mul_(cfg.center_momentum).add_(batch_center * (1 - cfg.center_momentum))
        if step % 10 == 0:
            writer.add_scalar(f"losses/{cfg.method}", loss.item(), step)
            writer.add_scalar("charts/learning_rate", lr, step)
        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps:
            knn = knn_accuracy(encoder, train, heldout)
            row = {"step": done, "wall_time_s": round(time.time() - start, 1),
                   "loss": round(loss.item(), 5), "knn_top1": round(knn, 4)}  # fmt: skip
            if cfg.method == "dino":  # the exported model is the EMA teacher; watch both
                row["student_knn_top1"] = round(knn_accuracy(student.backbone, train, heldout), 4)
            history.append(row)
            with open(run_dir / "metrics.jsonl", "a") as stream:
                stream.write(json.dumps(row) + "\n")
            writer.add_scalar("eval/knn_top1", knn, done)
            progress.set_postfix(loss=f"{loss.item():.4f}", knn=f"{knn:.3f}")
            tqdm.write(f"step {done}: loss {loss.item():.4f}, held-out kNN top-1 {knn:.3f}")
    wall = time.time() - start
    writer.close()

    # Official layouts: DINO = the backbone state dict, MAE = {"model": encoder + decoder}.
    if cfg.method in ("dino", "moco"):
        payload: dict = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
    else:
        payload = {"model": trained.checkpoint_state()}
    torch.save(payload, run_dir / "teacher.pt")
    results = {"method": cfg.method, "model": cfg.model, "steps": cfg.steps,
               "wall_time_s": round(wall, 1), "heldout_knn_top1": history[-1]["knn_top1"],
               "final_loss": history[-1]["loss"]}  # fmt: skip
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    if cfg.export:
        export = Path(cfg.export)
        export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(run_dir / "teacher.pt", export)
        manifest = {
            "checkpoint": export.name, "model": cfg.model, "seed": cfg.seed,
            "task": f"kd_teacher_{cfg.method}",
            "layout": "DINO backbone state dict" if cfg.method != "mae"
            else "MAE {'model': state_dict} with decoder_* keys",
            "model_kwargs": kwargs, "config": asdict(cfg), "command": " ".join(sys.argv),
            "steps": cfg.steps, "wall_time_s": round(wall, 1),
            "parameters": count_parameters(encoder),
            "data": f"{cfg.data} training split ({len(train)} images, labels unused), "
            f"{cfg.image_size}x{cfg.image_size}",
            "evaluation": {"heldout_knn_top1": results["heldout_knn_top1"],
                           "heldout_images": len(heldout)},
        }  # fmt: skip
        export.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.copy(run_dir / "metrics.jsonl", export.with_suffix(".metrics.jsonl"))
        print(f"exported {export}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
