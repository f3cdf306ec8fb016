#!/usr/bin/env python3
"""Segment Anything with box prompts: pre-train the small SAM, then fine-tune it (issue #9).

Read top to bottom: config -> data (synthetic scenes generated from seeds, or an EM stack in its
published format) -> the model and which of its parameters train -> training loop (box prompts
jittered or resized at random, balanced BCE + Dice on the masks, MSE on the predicted IoU, AdamW,
warm-up + cosine) with validation, best-on-validation checkpoint -> export with manifest.

Stages (``--variant``):

* ``full``: pre-training of every parameter on generic shape scenes (this machine's stand-in for
  SAM's SA-1B pre-training; official SAM weights replace it via ``--init-official``).
* ``decoder``: the research's baseline, fine-tuning the mask decoder only (image encoder, prompt
  encoder and SAM's learned embeddings frozen).
* ``learned_embedding``: the baseline plus SAM's learned box-corner embeddings.
* ``prompt_token``: the proposal: the new 128-d token (+ its linear map to 256) and the mask
  decoder; everything else, SAM's learned embeddings included, frozen.

With the image encoder frozen, the embeddings of the training images are computed once.

    python training/train_sam.py --config training/configs/sam_pretrain.yaml
    python training/train_sam.py --config training/configs/sam_em_prompt.yaml

Outputs in ``runs/<run_name>/``: TensorBoard scalars, ``metrics.jsonl``, ``train_state.pt``
(resume: run the same command again), ``best.pt``; ``--export`` copies the best checkpoint to
e.g. ``training/checkpoints/sam_em_prompt.pt`` with its manifest and learning curve.
On a GPU: ``--device cuda --threads 4`` (and ``--model vit_b --init-official sam_vit_b.pth``
with 1024 px data for the full-size SAM).
"""

from __future__ import annotations

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
from xai_core.rl.dqn import RunLog, seed_everything
from xai_core.sam.boxes import boxes_from_instances, random_shift_boxes, resize_boxes
from xai_core.sam.build import SAM_CONFIGS, build_sam, config_dict
from xai_core.sam.checkpoint import load_sam, save_sam
from xai_core.sam.model import PromptTunedPromptEncoder
from xai_core.sam.predictor import decode, encode
from xai_core.sam.synthetic import InstanceImage, em_cells, shapes_scene
from xai_core.trainer import AdamWTrainer

VARIANTS = ("full", "decoder", "learned_embedding", "prompt_token")


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "sam"
    model: str = "sam_small"  # registry name: sam_small, vit_b, vit_l, vit_h
    variant: str = "prompt_token"  # full, decoder, learned_embedding, prompt_token
    init: str = ""  # project checkpoint to start from (the pre-trained SAM)
    init_official: str = ""  # or an official segment-anything state dict (sam_vit_b_01ec64.pth)
    seed: int = 1
    data: str = "em"  # em, shapes, shapes+em (synthetic), isbi2012, lucchi (published stacks)
    data_root: str = ""  # folder of the published stack files (isbi2012, lucchi)
    train_images: int = 800  # synthetic: seeds train_seed_start + i
    train_seed_start: int = 0
    mix_em_seed_start: int = 2_000_000  # shapes+em: EM scenes from here (apart from fine-tuning's)
    val_images: int = 40  # synthetic: seeds val_seed_start + i (model selection)
    val_seed_start: int = 500_000
    box_aug: str = "issue9"  # none, sam (corner noise), issue9 (random resize 0 / 10 / 20 %)
    steps: int = 800
    images_per_step: int = 4
    boxes_per_image: int = 8
    learning_rate: float = 3e-4
    weight_decay: float = 1e-4
    warmup_steps: int = 50
    iou_loss_weight: float = 1.0
    eval_every: int = 200
    val_shifts: tuple[float, ...] = (0.0, 0.1, 0.2)  # size shifts (both signs) in validation
    device: str = "cpu"
    threads: int = 1
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>__<variant>__<seed>
    export: str = ""  # e.g. training/checkpoints/sam_em_prompt.pt
    data_cache: str = "out/sam_data"  # generated synthetic sets are cached here ("" = off)


def learning_rate(cfg: Config, step: int) -> float:
    """Linear warm-up, then cosine decay to 0 at ``cfg.steps`` (stateless: resumes exactly)."""
    warmup = min(1.0, (step + 1) / max(cfg.warmup_steps, 1))
    return cfg.learning_rate * warmup * 0.5 * (1.0 + math.cos(math.pi * min(step / cfg.steps, 1)))


# ---------------------------------------------------------------------------------------- data
def fit_square(sample: InstanceImage, size: int) -> InstanceImage:
    """Resize so the longest side is ``size`` (image bilinear, instances nearest), pad to square."""
    from PIL import Image

    height, width = sample.image.shape
    if (height, width) == (size, size):
        return sample
    scale = size / max(height, width)
    new = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = np.zeros((size, size), np.uint8)
    instances = np.zeros((size, size), np.int32)
    image[: new[1], : new[0]] = np.asarray(
        Image.fromarray(sample.image).resize(new, Image.BILINEAR)
    )
    instances[: new[1], : new[0]] = np.asarray(
        Image.fromarray(sample.instances.astype(np.int32)).resize(new, Image.NEAREST)
    )
    ids, boxes = boxes_from_instances(instances)
    return InstanceImage(image, instances, ids, boxes)


def synthetic_set(kind: str, start: int, count: int, size: int, cache: str) -> list[InstanceImage]:
    """``count`` generated scenes (seeds ``start..``), cached as ``.npz`` under ``cache``."""
    path = Path(cache) / f"{kind}_{size}_{start}_{count}.npz" if cache else None
    if path is not None and path.exists():
        stored = np.load(path)
        return [
            InstanceImage(image, instances, *boxes_from_instances(instances))
            for image, instances in zip(stored["images"], stored["instances"], strict=True)
        ]
    make = {"em": em_cells, "shapes": shapes_scene}[kind]
    samples = [make(start + i, size) for i in tqdm(range(count), desc=f"generate {kind}")]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, images=np.stack([s.image for s in samples]),
                            instances=np.stack([s.instances for s in samples]))  # fmt: skip
    return samples


def load_data(cfg: Config, size: int) -> tuple[list[InstanceImage], list[InstanceImage], str]:
    """Training and validation scenes at the model's input size, and their description."""
    if cfg.data in ("em", "shapes", "shapes+em"):
        kind = cfg.data.split("+")[0]
        train = synthetic_set(kind, cfg.train_seed_start, cfg.train_images, size, cfg.data_cache)
        val = synthetic_set(kind, cfg.val_seed_start, cfg.val_images, size, cfg.data_cache)
        what = "EM-like cell tessellations" if kind == "em" else "generic shape scenes"
        description = (
            f"synthetic {what} ({size}x{size}; xai_core.sam.synthetic), train seeds "
            f"{cfg.train_seed_start}..+{cfg.train_images}, validation seeds "
            f"{cfg.val_seed_start}..+{cfg.val_images}"
        )
        if cfg.data == "shapes+em":  # as many EM scenes again, seeds apart from fine-tuning's
            start, count = cfg.mix_em_seed_start, cfg.train_images // 2
            train = train + synthetic_set("em", start, count, size, cfg.data_cache)
            description += f" + {count} EM-like scenes, seeds {start}..+{count}"
        return train, val, description
    from xai_core.sam.em_readers import read_isbi2012, read_lucchi

    if not cfg.data_root:
        raise SystemExit(f"--data {cfg.data} needs --data-root (the folder of the stack files)")
    if cfg.data == "isbi2012":
        slices = list(read_isbi2012(cfg.data_root, split="train"))
    elif cfg.data == "lucchi":
        slices = list(read_lucchi(cfg.data_root, split="training"))
    else:
        raise SystemExit(f"unknown --data {cfg.data}: em, shapes, isbi2012 or lucchi")
    samples = [fit_square(InstanceImage(s.image, s.instances, *boxes_from_instances(s.instances)),
                          size) for s in slices if s.instances is not None]  # fmt: skip
    cut = max(1, len(samples) // 10)  # the last tenth of the stack validates
    return samples[:-cut], samples[-cut:], f"{cfg.data} stack {cfg.data_root}, last {cut} val"


# --------------------------------------------------------------------------------------- model
def build(cfg: Config) -> torch.nn.Module:
    """The SAM to train, with the prompt token when the variant needs it."""
    if cfg.init:
        model, _ = load_sam(cfg.init)
    else:
        model = build_sam(cfg.model, prompt_token=False, checkpoint=cfg.init_official or None)
    wants_token = cfg.variant == "prompt_token"
    has_token = isinstance(model.prompt_encoder, PromptTunedPromptEncoder)
    if wants_token and not has_token:
        model.prompt_encoder = PromptTunedPromptEncoder(model.prompt_encoder)
    if has_token and not wants_token:
        raise SystemExit(f"--init {cfg.init} carries a prompt token; variant {cfg.variant} not")
    return model


def set_trainable(model: torch.nn.Module, variant: str) -> int:
    """Freeze everything the variant does not train; returns the trainable parameter count."""
    if variant not in VARIANTS:
        raise SystemExit(f"unknown variant {variant}: {', '.join(VARIANTS)}")
    for p in model.parameters():
        p.requires_grad_(variant == "full")
    if variant != "full":
        for p in model.mask_decoder.parameters():
            p.requires_grad_(True)
    prompt = model.prompt_encoder
    if variant == "learned_embedding":  # SAM's box-corner embeddings
        for k in (2, 3):
            prompt.point_embeddings[k].weight.requires_grad_(True)
    if variant == "prompt_token":
        for p in prompt.tolerance.parameters():
            p.requires_grad_(True)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def images_tensor(samples: list[InstanceImage], device) -> torch.Tensor:
    """``(B, 3, S, S)`` float 0..255 (grey repeated to RGB)."""
    grey = torch.from_numpy(np.stack([s.image for s in samples])).to(device).float()
    return grey[:, None].expand(-1, 3, -1, -1)


# ---------------------------------------------------------------------------------- objective
def prompt_boxes(cfg: Config, boxes: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Training box prompts from ground-truth rectangles, per ``cfg.box_aug``."""
    if cfg.box_aug == "issue9":
        boxes = random_shift_boxes(boxes, rng)
    elif cfg.box_aug == "sam":  # SAM: noise of 10 % of the side, at most 20 px at 1024 px
        sides = np.repeat(boxes[:, 2:] - boxes[:, :2], 2, axis=0).reshape(-1, 4)
        noise = rng.normal(0, 0.1, boxes.shape) * sides
        boxes = boxes + noise.clip(-20 * size / 1024, 20 * size / 1024).astype(np.float32)
    elif cfg.box_aug != "none":
        raise SystemExit(f"unknown box_aug {cfg.box_aug}: none, sam, issue9")
    return boxes.clip(0, size).astype(np.float32)


def mask_losses(logits: torch.Tensor, iou_pred: torch.Tensor, target: torch.Tensor) -> tuple:
    """Balanced BCE + Dice of ``(B, 1, h, w)`` low-res logits against ``(B, S, S)`` masks, IoU MSE.

    The BCE weighs each mask's foreground and background pixels equally (0.5 each in total): a
    single cell covers a few percent of the image, and plain BCE drives a decoder trained from
    scratch to all-background masks within tens of steps, where Dice's gradient vanishes.
    """
    up = F.interpolate(logits, target.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    share = target.mean((1, 2), keepdim=True).clamp(1e-3, 1 - 1e-3)
    weight = torch.where(target > 0.5, 0.5 / share, 0.5 / (1 - share))
    bce = (F.binary_cross_entropy_with_logits(up, target, reduction="none") * weight).mean()
    prob = up.sigmoid()
    inter = (prob * target).sum((1, 2))
    dice = 1 - (2 * inter + 1) / (prob.sum((1, 2)) + target.sum((1, 2)) + 1)
    with torch.no_grad():
        hard = up > 0
        union = (hard | (target > 0.5)).sum((1, 2)).clamp(min=1)
        iou = (hard & (target > 0.5)).sum((1, 2)) / union
    return bce, dice.mean(), F.mse_loss(iou_pred, iou.float()), iou.mean()


def sample_prompts(cfg: Config, sample: InstanceImage, rng: np.random.Generator, size: int):
    """Up to ``boxes_per_image`` (box prompt, target mask) pairs of one (augmented) scene."""
    k = min(cfg.boxes_per_image, len(sample.ids))
    pick = rng.choice(len(sample.ids), size=k, replace=False)
    targets = np.stack([sample.instances == sample.ids[i] for i in pick]).astype(np.float32)
    return prompt_boxes(cfg, sample.boxes[pick], rng, size), targets


def augment(sample: InstanceImage, rng: np.random.Generator) -> InstanceImage:
    """A random flip / 90-degree rotation of a square scene (boxes recomputed)."""
    k, flip = int(rng.integers(4)), bool(rng.integers(2))
    image, instances = np.rot90(sample.image, k), np.rot90(sample.instances, k)
    if flip:
        image, instances = image[:, ::-1], instances[:, ::-1]
    image, instances = np.ascontiguousarray(image), np.ascontiguousarray(instances)
    return InstanceImage(image, instances, *boxes_from_instances(instances))


@torch.no_grad()
def validate(model, embeddings: torch.Tensor, val: list[InstanceImage], shifts, device) -> dict:
    """mIoU over every instance of ``val`` for boxes resized by each shift (both signs)."""
    model.eval()
    per_shift = {}
    for shift in shifts:
        iou_sum, count = 0.0, 0
        for sign in (1.0, -1.0) if shift else (1.0,):
            for emb, sample in zip(embeddings, val, strict=True):
                if len(sample.ids) == 0:
                    continue
                size = sample.image.shape[0]
                boxes = resize_boxes(sample.boxes, sign * shift, sign * shift).clip(0, size)
                logits, iou_pred = decode(
                    model, emb[None].float(), torch.from_numpy(boxes).to(device)
                )
                masks = np.stack([sample.instances == i for i in sample.ids]).astype(np.float32)
                mean_iou = mask_losses(logits, iou_pred, torch.from_numpy(masks).to(device))[3]
                iou_sum, count = iou_sum + mean_iou.item() * len(boxes), count + len(boxes)
        per_shift[f"{shift:.0%}"] = round(iou_sum / max(count, 1), 4)
    model.train()
    return {"miou": round(float(np.mean(list(per_shift.values()))), 4), "per_shift": per_shift}


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    if cfg.model not in SAM_CONFIGS:
        raise SystemExit(f"unknown model {cfg.model}: {', '.join(SAM_CONFIGS)}")
    run = RunLog(cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.variant}__{cfg.seed}")
    seed_everything(cfg.seed, cfg.threads)
    device = torch.device(cfg.device)
    size = SAM_CONFIGS[cfg.model].image_size

    train, val, data_description = load_data(cfg, size)
    model = build(cfg)
    trainable = set_trainable(model, cfg.variant)
    total = sum(p.numel() for p in model.parameters())
    print(f"{cfg.model} / {cfg.variant}: {trainable} of {total} parameters train")
    trainer = AdamWTrainer(model, cfg.learning_rate, cfg.weight_decay, device)
    frozen_encoder = cfg.variant != "full"

    def embed(samples: list[InstanceImage]) -> torch.Tensor:
        """``(N, C, g, g)`` float16 embeddings by the (frozen) encoder."""
        out = []
        with torch.no_grad():
            for i0 in tqdm(range(0, len(samples), 8), desc="encode", mininterval=10):
                out.append(encode(model, images_tensor(samples[i0 : i0 + 8], device)).half())
        return torch.cat(out)

    train_emb = embed(train) if frozen_encoder else None
    val_emb = embed(val)
    counters = run.load_state(trainer) or {}
    start_step = int(counters.get("step", 0))
    best = float(counters.get("best_miou", -1.0))
    wall_before = float(counters.get("wall_time_s", 0.0))

    def meta(steps: int, wall: float, evaluation: dict) -> dict:
        return {"task": "sam", "variant": cfg.variant, "config": asdict(cfg),
                "sam_config": config_dict(cfg.model), "command": " ".join(sys.argv),
                "steps": steps, "wall_time_s": round(wall, 1), "trainable_parameters": trainable,
                "parameters": total, "evaluation": evaluation, "data": data_description,
                "torch": str(torch.__version__)}  # fmt: skip

    start_time = time.time()
    model.train()
    progress = tqdm(range(start_step, cfg.steps), initial=start_step, total=cfg.steps,
                    desc=f"train {cfg.variant}", unit="step", mininterval=10)  # fmt: skip
    for step in progress:
        lr = learning_rate(cfg, step)
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr
        rng = np.random.default_rng([cfg.seed, step])  # a function of the step: exact resume
        index = rng.choice(len(train), size=cfg.images_per_step, replace=False)
        if frozen_encoder:
            embeddings = train_emb[index].float()
            scenes = [train[i] for i in index]  # no geometric augmentation: embeddings fixed
        else:
            scenes = [augment(train[i], rng) for i in index]
            embeddings = encode(model, images_tensor(scenes, device))
        losses = []
        for emb, scene in zip(embeddings, scenes, strict=True):
            if len(scene.ids) == 0:
                continue
            boxes, targets = sample_prompts(cfg, scene, rng, size)
            logits, iou_pred = decode(model, emb[None], torch.from_numpy(boxes).to(device))
            bce, dice, iou_mse, _ = mask_losses(
                logits, iou_pred, torch.from_numpy(targets).to(device)
            )
            losses.append(bce + dice + cfg.iou_loss_weight * iou_mse)
        loss = torch.stack(losses).mean()
        trainer.optimizer.zero_grad()
        loss.backward()
        trainer.optimizer.step()
        if step % 10 == 0:
            run.scalar("losses/total", loss.item(), step)
            run.scalar("charts/learning_rate", lr, step)
            progress.set_postfix(loss=f"{loss.item():.3f}", best_val_miou=f"{best:.3f}")

        done = step + 1
        if done % cfg.eval_every == 0 or done == cfg.steps:
            wall = wall_before + time.time() - start_time
            if not frozen_encoder:
                model.eval()
                val_emb = embed(val)
                model.train()
            result = validate(model, val_emb, val, cfg.val_shifts, device)
            run.scalar("val/miou", result["miou"], done)
            run.evaluation(done, wall, done, result)
            tqdm.write(f"step {done}: validation mIoU {result['miou']:.3f} {result['per_shift']}")
            if result["miou"] > best:
                best = result["miou"]
                save_sam(
                    run.dir / "best.pt", model, cfg.model, meta(done, wall, {"validation": result})
                )
            run.save_state(trainer, step=done, best_miou=best, wall_time_s=wall)

    if cfg.export:

        def reference(checkpoint: Path) -> dict:
            """A held-out EM scene stored beside the checkpoint and the predictor's answer for
            its first three boxes (tests check the committed checkpoint reproduces it)."""
            from xai_core.sam.predictor import SamBoxPredictor

            scene = em_cells(1_000_000, size)
            path = checkpoint.with_suffix(".obs.npz")
            np.savez_compressed(path, image=scene.image, instances=scene.instances)
            predictor = SamBoxPredictor.from_checkpoint(checkpoint)
            predictor.set_image(scene.image)
            results = predictor.predict_boxes(scene.boxes[:3], iterate=True)
            return {"observation": path.name, "boxes": scene.boxes[:3].tolist(),
                    "mask_areas": [int(r.mask.sum()) for r in results],
                    "iterations": [r.iterations for r in results]}  # fmt: skip

        run.export(cfg.export, reference)
    run.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
