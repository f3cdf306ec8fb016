"""Official DINO / MAE checkpoint layouts -> timm ViTs, on small files generated here."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from xai_core.checkpoint_io import CheckpointError
from xai_core.kd.build import build_vit, count_parameters, vit_kwargs
from xai_core.kd.models import MaskedAutoencoder
from xai_core.kd.pretrained import (
    interpolate_pos_embed,
    load_dino_checkpoint,
    load_mae_checkpoint,
    load_teacher_checkpoint,
)

torch.set_num_threads(1)


def _source(seed: int = 0, **kw):
    torch.manual_seed(seed)
    return build_vit("kd_nano", num_classes=0, **kw).eval()


def _backbone(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("head.")}


def _same_features(a, b) -> bool:
    x = torch.randn(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.allclose(a.forward_features(x), b.forward_features(x), atol=1e-6)


def test_dino_plain_and_training_layouts_load(tmp_path: Path) -> None:
    source = _source()
    plain = tmp_path / "dino_vitnano_pretrain.pth"
    torch.save(_backbone(source), plain)
    target = build_vit("kd_nano", num_classes=7)
    assert not _same_features(source, target)
    report = load_dino_checkpoint(plain, target)
    assert report["loaded"] == len(_backbone(source)) and not report["pos_embed_resized"]
    assert _same_features(source, target.eval()) and target.head.out_features == 7
    # DINO's training checkpoint: {"teacher": {"backbone.*", "head.*"}, "student": ...}.
    training = {
        "teacher": {**{f"backbone.{k}": v for k, v in _backbone(source).items()},
                    "head.mlp.0.weight": torch.zeros(8, 16)},
        "student": {"module.backbone.cls_token": torch.zeros(1, 1, 16)},
    }  # fmt: skip
    path = tmp_path / "checkpoint.pth"
    torch.save(training, path)
    other = build_vit("kd_nano", num_classes=10)
    load_teacher_checkpoint(path, other, "dino")
    assert _same_features(source, other.eval())


def test_mae_layout_drops_the_decoder(tmp_path: Path) -> None:
    source = _source(seed=3)
    mae = MaskedAutoencoder(source, decoder_dim=8, decoder_depth=1, decoder_heads=2)
    state = mae.checkpoint_state()
    assert any(k.startswith("decoder_") for k in state) and "mask_token" in state
    path = tmp_path / "mae_pretrain_vit_nano.pth"
    torch.save({"model": state}, path)
    target = build_vit("kd_nano")
    report = load_mae_checkpoint(path, target)
    assert "mask_token" in report["dropped"] and any(
        k.startswith("decoder_") for k in report["dropped"]
    )
    assert _same_features(source, target.eval())


def test_mismatches_are_named(tmp_path: Path) -> None:
    deeper = _source(depth=3)
    path = tmp_path / "deep.pth"
    torch.save(_backbone(deeper), path)
    with pytest.raises(CheckpointError, match=r"unexpected \['blocks\.2\."):
        load_dino_checkpoint(path, build_vit("kd_nano"))
    wider = _source(embed_dim=24, num_heads=2)
    torch.save({"model": _backbone(wider)}, path)
    with pytest.raises(CheckpointError, match="pos_embed"):
        load_mae_checkpoint(path, build_vit("kd_nano"))
    torch.save(_backbone(wider), path)  # a DINO file given as MAE: no "model" dict
    with pytest.raises(CheckpointError, match="not an MAE checkpoint"):
        load_mae_checkpoint(path, build_vit("kd_nano"))
    with pytest.raises(CheckpointError, match="does not exist"):
        load_dino_checkpoint(tmp_path / "missing.pth", build_vit("kd_nano"))
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_dino_checkpoint(tmp_path / "junk.pth", build_vit("kd_nano"))
    with pytest.raises(ValueError, match="dino or mae"):
        load_teacher_checkpoint(path, build_vit("kd_nano"), "simclr")


def test_pos_embed_is_interpolated_for_another_grid(tmp_path: Path) -> None:
    source = _source()  # 16 px, patch 4: 4x4 grid
    path = tmp_path / "dino.pth"
    torch.save(_backbone(source), path)
    target = build_vit("kd_nano", img_size=32)  # 8x8 grid
    report = load_dino_checkpoint(path, target)
    assert report["pos_embed_resized"] and target.pos_embed.shape == (1, 65, 16)
    assert torch.equal(target.pos_embed[:, 0], source.pos_embed[:, 0])
    assert torch.equal(target.blocks[0].attn.qkv.weight, source.blocks[0].attn.qkv.weight)
    # Resizing a grid to itself is the identity; a constant embedding stays constant.
    assert torch.allclose(interpolate_pos_embed(source.pos_embed, (4, 4)), source.pos_embed)
    flat = torch.ones(1, 17, 4)
    assert torch.allclose(interpolate_pos_embed(flat, (6, 6)), torch.ones(1, 37, 4))
    with pytest.raises(CheckpointError, match="square"):
        interpolate_pos_embed(torch.ones(1, 1 + 6, 4), (2, 2))


def test_registry_sizes_match_the_research() -> None:
    # Table 1: fine-tuning ViT-B/16 trains 86.57 M parameters.
    base = build_vit("vit_base_patch16")
    assert round(count_parameters(base) / 1e6, 2) == 86.57
    assert (
        vit_kwargs("kd_student")["patch_size"] == 8 and vit_kwargs("kd_teacher")["patch_size"] == 4
    )
    with pytest.raises(ValueError, match="unknown ViT"):
        build_vit("vit_huge")
    with pytest.raises(ValueError, match="no argument"):
        vit_kwargs("kd_nano", widht=3)
