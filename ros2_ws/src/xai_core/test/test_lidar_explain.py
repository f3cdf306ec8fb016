"""Per-detection LiDAR explanations: ODAM, guided backprop, Guided ODAM, Guided Grad-CAM."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from xai_core.lidar.build import build_lidar_model
from xai_core.lidar.explain import (
    METHODS,
    DetectionRef,
    explain,
    explain_all,
    guided_relu,
    in_box_attention_share,
)
from xai_core.lidar.pointpillars import pillarize
from xai_core.lidar.synthetic import synthetic_scan


@pytest.fixture(scope="module")
def setup() -> tuple:
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build_lidar_model("pointpillars_small").eval()
    scan = synthetic_scan(3)
    # Detection at the anchor nearest the first labelled object, class 0 (Car).
    centre = torch.tensor(scan.boxes[0, :3])
    anchor = int((model.anchors[:, :2] - centre[:2]).norm(dim=1).argmin())
    ref = DetectionRef(anchor, 0)
    maps = explain_all(model, scan.points, [ref])[0]
    return model, scan, ref, maps


def test_shapes_and_range(setup: tuple) -> None:
    _, scan, _, maps = setup
    assert set(maps) == set(METHODS)
    for name, att in maps.items():
        assert att.shape == (len(scan.points),) and att.dtype == np.float32, name
        assert att.min() >= 0.0 and att.max() <= 1.0, name
        assert att.max() > 0.0, name


def test_points_of_a_pillar_share_the_odam_value(setup: tuple) -> None:
    model, scan, _, maps = setup
    pillars = pillarize(scan.points, model.config)
    odam = maps["odam"]
    rows = pillars.point_to_pillar
    assert np.all(odam[rows < 0] == 0)
    for r in np.unique(rows[rows >= 0])[:200]:
        values = odam[rows == r]
        assert np.allclose(values, values[0])


def test_guided_odam_formula(setup: tuple) -> None:
    _, _, _, maps = setup
    expected = (maps["odam"].astype(np.float64) + maps["guided_backprop"]) ** 2
    expected /= expected.max()
    assert np.allclose(maps["guided_odam"], expected, atol=1e-6)


def test_explain_matches_explain_all(setup: tuple) -> None:
    model, scan, ref, maps = setup
    single = explain(model, scan.points, (ref.anchor_index, ref.label), "odam")
    assert np.allclose(single, maps["odam"], atol=1e-6)
    with pytest.raises(ValueError):
        explain(model, scan.points, ref, "saliency")


def test_guided_relu_blocks_negative_gradients() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    x = torch.randn(32, 6)
    hidden: list[torch.Tensor] = []

    def run() -> torch.Tensor:
        hidden.clear()
        h = net[0](x)
        h.register_hook(lambda g: hidden.append(g))
        out = net[2](net[1](h)).sum()
        (g,) = torch.autograd.grad(out, h)
        return g

    vanilla = run()
    assert (vanilla < 0).any()  # negative gradients flow through a plain ReLU
    with guided_relu():
        guided = run()
        y = torch.randn(5, requires_grad=True)
        (gy,) = torch.autograd.grad((torch.nn.functional.relu(y) * -1.0).sum(), y)
    assert (guided >= 0).all() and (guided > 0).any()
    assert torch.equal(guided, vanilla.clamp(min=0))
    assert (gy == 0).all()  # the functional form is guided too
    # Restored afterwards.
    assert torch.equal(run(), vanilla)


def test_in_box_share() -> None:
    rng = np.random.default_rng(0)
    points = rng.uniform(-5, 5, size=(500, 3))
    box = np.array([0.0, 0.0, 0.0, 4.0, 2.0, 2.0, 0.3])
    from xai_core.lidar.metrics import in_box_mask

    inside = in_box_mask(points, box)
    assert 0 < inside.sum() < len(points)
    assert in_box_attention_share(points, inside.astype(np.float32), box) == pytest.approx(1.0)
    assert in_box_attention_share(points, (~inside).astype(np.float32), box) == 0.0
    assert in_box_attention_share(points, np.zeros(len(points)), box) == 0.0
    half = in_box_attention_share(points, np.ones(len(points)), box)
    assert half == pytest.approx(inside.mean())
