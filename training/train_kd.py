#!/usr/bin/env python3
"""One-stage multi-teacher knowledge distillation into a small ViT (issue #10, research eq. 4).

Read top to bottom: config -> labelled training / held-out images -> the two self-supervised
teachers (a contrastive "CL" -- DINO-style; a MoCo v3-style one is the alternative -- and an
MAE-style "MIM" ViT, loaded from checkpoint files in the official DINO / MAE layouts) with
Partial-1 adaptation (new head + last block train, the rest is frozen) -> the student ViT -> one
training loop:

    L = CE_S + CE_CL + CE_MIM + L_KD + L_Attn
    L_KD   = lambda1 KL(p_CL || p_S) + (1 - lambda1) KL(p_MIM || p_S)           (eq. 1)
    L_Attn = lambda2 KL(A_CL || A_S1) + (1 - lambda2) KL(A_MIM || A_S2)        (eq. 3)

where A_T is the last-block head of each teacher with the highest attention confidence (eq. 2)
on the batch, resampled from the teacher's 8x8 patch grid to the student's 4x4 grid
(``xai_core.kd.attention.match_attention_grid``), and A_S1 / A_S2 are the student's last-block
heads 0 and 1. The teachers' heads and last blocks train in the same loop (CE_CL, CE_MIM); the KD
terms never send gradients into the teachers.

``--mode`` picks the research's table rows: ``baseline`` (CE_S only), ``kd_cl`` (CL teacher,
lambda1 = 1, no attention), ``kd_mim`` (MIM teacher, lambda1 = 0, no attention), ``ours`` (both
teachers, outputs and attention).

    python training/train_kd.py --config training/configs/kd_student.yaml --mode ours
    python training/train_kd.py --mode baseline --seed 2

Official checkpoints: ``--teacher-model vit_base_patch16 --image-size 224 --teacher-cl
dino_vitbase16_pretrain.pth --teacher-mim mae_pretrain_vit_base.pth --data /path/imagenet``
(an ImageFolder; ``--student vit_tiny_patch16``).

Outputs in ``runs/<run_name>/``: TensorBoard scalars, ``metrics.jsonl`` (every evaluation),
``student.pt``, ``results.json`` (held-out top-1 of the student and the teachers);
``--export training/checkpoints/kd_student.pt`` copies the student with its manifest.
"""

from __future__ import annotations

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
from xai_core.kd.adapt import forward_adapted, set_adaptation
from xai_core.kd.attention import AttentionRecorder
from xai_core.kd.build import build_vit, count_parameters, grid_size, vit_kwargs
from xai_core.kd.checkpoint import save_kd_checkpoint
from xai_core.kd.data import MEAN, STD, augment, load_sets, normalize
from xai_core.kd.evaluate import top1_accuracy
from xai_core.kd.losses import AttentionTarget, attention_kd_loss, output_kd_loss
from xai_core.kd.pretrained import load_teacher_checkpoint
from xai_core.rl.dqn import RunLog, seed_everything

MODES = ("baseline", "kd_cl", "kd_mim", "ours")


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "kd"
    mode: str = "ours"  # baseline, kd_cl, kd_mim, ours
    student: str = "kd_student"  # xai_core.kd.build registry name
    teacher_model: str = "kd_teacher"
    teacher_cl: str = "training/checkpoints/kd_teacher_dino.pt"  # DINO layout (plain backbone)
    teacher_mim: str = "training/checkpoints/kd_teacher_mae.pt"  # MAE layout
    teacher_adaptation: str = "partial1"  # linear, partial1, full
    data: str = "digits"  # "digits" or an ImageFolder path
    image_size: int = 32
    seed: int = 1
    steps: int = 800
    batch_size: int = 64
    learning_rate: float = 1e-3  # student
    teacher_learning_rate: float = 1e-3  # teachers' trainable part
    weight_decay: float = 0.05
    warmup_steps: int = 50
    lambda1: float = 0.5  # CL vs MIM output KD (eq. 1)
    lambda2: float = 0.0  # CL vs MIM attention KD (eq. 3); 0 = MIM attention only
    temperature: float = 1.0  # output KD temperature
    attention_weight: float = 1.0  # factor on L_Attn in eq. 4 (1 = the research)
    eval_every: int = 100
    threads: int = 1
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>_<mode>__<seed>
    export: str = ""  # e.g. training/checkpoints/kd_student.pt


def learning_rate(base: float, cfg: Config, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps``."""
    warmup = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return base * warmup * 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.steps, 1)))


def load_teacher(cfg: Config, path: str, kind: str, classes: int):
    """A teacher ViT with its SSL weights, a fresh head and the configured adaptation."""
    teacher = build_vit(cfg.teacher_model, img_size=cfg.image_size, num_classes=classes)
    report = load_teacher_checkpoint(path, teacher, kind)
    trainable = set_adaptation(teacher, cfg.teacher_adaptation)
    print(f"{kind} teacher from {path}: {report['loaded']} tensors, dropped "
          f"{len(report['dropped'])}, {trainable} trainable parameters")  # fmt: skip
    return teacher, trainable


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    if cfg.mode not in MODES:
        raise SystemExit(f"--mode must be one of {', '.join(MODES)}, not {cfg.mode!r}")
    run = RunLog(
        cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}_{cfg.mode}__{cfg.seed}"
    )  # config.json, TensorBoard
    run_dir, writer = run.dir, run.writer
    (run_dir / "metrics.jsonl").write_text("")  # no resume: a rerun starts the curve afresh
    seed_everything(cfg.seed, cfg.threads)
    generator = torch.Generator().manual_seed(cfg.seed)

    train, heldout = load_sets(cfg.data, cfg.image_size)
    classes = len(train.classes)
    use_cl = cfg.mode in ("kd_cl", "ours")
    use_mim = cfg.mode in ("kd_mim", "ours")
    lambda1 = {"kd_cl": 1.0, "kd_mim": 0.0}.get(cfg.mode, cfg.lambda1)
    use_attention = cfg.mode == "ours" and cfg.attention_weight > 0
    attn_cl = use_attention and cfg.lambda2 > 0
    attn_mim = use_attention and cfg.lambda2 < 1

    kwargs = vit_kwargs(cfg.student, img_size=cfg.image_size, num_classes=classes)
    student = build_vit(cfg.student, **kwargs)
    student_grid = grid_size(student)
    groups = [{"params": list(student.parameters()), "base_lr": cfg.learning_rate}]
    teachers: dict[str, torch.nn.Module] = {}
    trainable: dict[str, int] = {}
    for name, used, path, kind in (("cl", use_cl, cfg.teacher_cl, "dino"),
                                   ("mim", use_mim, cfg.teacher_mim, "mae")):  # fmt: skip
        if used:
            teachers[name], trainable[name] = load_teacher(cfg, path, kind, classes)
            params = [p for p in teachers[name].parameters() if p.requires_grad]
            groups.append({"params": params, "base_lr": cfg.teacher_learning_rate})
    optimizer = torch.optim.AdamW(groups, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    parameters = count_parameters(student)
    print(
        f"mode {cfg.mode}: student {cfg.student} ({parameters} parameters, grid "
        f"{student_grid}), teachers {sorted(teachers)}, {len(train)} training images"
    )

    def evaluate() -> dict:
        result = {"student_top1": round(top1_accuracy(student, heldout), 4)}
        for name, teacher in teachers.items():
            result[f"teacher_{name}_top1"] = round(top1_accuracy(teacher, heldout), 4)
        return result

    start = time.time()
    history: list[dict] = []
    chosen_heads: dict[str, list[int]] = {"cl_head": [], "mim_head": []}
    student.train()
    for teacher in teachers.values():
        teacher.train()
    progress = tqdm(range(cfg.steps), desc=cfg.mode, unit="step", mininterval=10)
    for step in progress:
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(group["base_lr"], cfg, step)
        index = torch.randint(len(train), (cfg.batch_size,), generator=generator).numpy()
        images, labels = train.batch(index)
        x = normalize(augment(images, generator))

        with AttentionRecorder(student, [-1] if use_attention else []) as s_rec:
            s_logits = student(x)
        losses = {"ce_student": F.cross_entropy(s_logits, labels)}
        logits: dict[str, torch.Tensor | None] = {"cl": None, "mim": None}
        targets: dict[str, AttentionTarget | None] = {"cl": None, "mim": None}
        for name, teacher in teachers.items():
            record = (name == "cl" and attn_cl) or (name == "mim" and attn_mim)
            with AttentionRecorder(teacher, [-1] if record else []) as t_rec:
                logits[name] = forward_adapted(teacher, x, cfg.teacher_adaptation)
            losses[f"ce_{name}"] = F.cross_entropy(logits[name], labels)
            if record:
                targets[name] = AttentionTarget(t_rec.attention(-1).detach(), grid_size(teacher))
        if teachers:
            losses["kd"] = output_kd_loss(s_logits, logits["cl"], logits["mim"], lambda1,
                                          cfg.temperature)  # fmt: skip
        if use_attention:
            attn_loss, heads = attention_kd_loss(
                s_rec.attention(-1), student_grid, targets["cl"], targets["mim"], cfg.lambda2
            )
            losses["attention"] = cfg.attention_weight * attn_loss
            for key, head in heads.items():
                chosen_heads[key].append(head)
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            for key, value in losses.items():
                writer.add_scalar(f"losses/{key}", value.item(), step)
            writer.add_scalar("charts/learning_rate", optimizer.param_groups[0]["lr"], step)
        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps:
            result = evaluate()
            row = {"step": done, "wall_time_s": round(time.time() - start, 1),
                   "loss": round(loss.item(), 4), **result}  # fmt: skip
            history.append(row)
            with open(run_dir / "metrics.jsonl", "a") as stream:
                stream.write(json.dumps(row) + "\n")
            for key, value in result.items():
                writer.add_scalar(f"heldout/{key}", value, done)
            progress.set_postfix(loss=f"{loss.item():.3f}", top1=f"{result['student_top1']:.3f}")
            tqdm.write(f"step {done}: {result}")
    wall = time.time() - start
    writer.close()

    final = history[-1]
    results = {
        "mode": cfg.mode, "seed": cfg.seed, "student": cfg.student, "steps": cfg.steps,
        "wall_time_s": round(wall, 1), "student_parameters": parameters,
        "heldout_images": len(heldout), "student_top1": final["student_top1"],
        "teachers": {name: {"top1": final[f"teacher_{name}_top1"],
                            "adaptation": cfg.teacher_adaptation,
                            "trainable_parameters": trainable[name]} for name in teachers},
        "attention_heads": {k: sorted(set(v)) for k, v in chosen_heads.items() if v},
        "lambda1": lambda1, "lambda2": cfg.lambda2 if use_attention else None,
    }  # fmt: skip
    (run_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))
    meta = {
        "task": "kd_student", "labels": list(train.classes), "image_size": cfg.image_size,
        "mean": MEAN, "std": STD, "config": asdict(cfg), "command": " ".join(sys.argv),
        "steps": cfg.steps, "wall_time_s": round(wall, 1), "parameters": parameters,
        "data": f"{cfg.data}: {len(train)} training / {len(heldout)} held-out images, "
        f"{cfg.image_size}x{cfg.image_size}",
        "evaluation": {"heldout": results, "history": history},
    }  # fmt: skip
    save_kd_checkpoint(run_dir / "student.pt", student, cfg.student, kwargs, meta)
    if cfg.export:
        export = Path(cfg.export)
        export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(run_dir / "student.pt", export)
        manifest = {"checkpoint": export.name, "model": cfg.student, "seed": cfg.seed,
                    **{k: v for k, v in meta.items() if k != "evaluation"},
                    "evaluation": results}  # fmt: skip
        export.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.copy(run_dir / "metrics.jsonl", export.with_suffix(".metrics.jsonl"))
        print(f"exported {export}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
