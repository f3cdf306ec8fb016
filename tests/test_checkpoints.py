"""The committed checkpoints load, and reproduce the decision recorded in their manifests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from xai_core.nav.predictor import GoalNavPredictor, SketchNavPredictor

CHECKPOINTS = Path(__file__).resolve().parents[1] / "training" / "checkpoints"
# Navigation-policy manifests (they carry no "task"); the segmentation and LiDAR checkpoints are
# tested with their packages (xai_core test_seg.py, test_lidar_*.py).
MANIFESTS = sorted(
    p
    for p in CHECKPOINTS.glob("*.json")
    if ".metrics" not in p.name and "task" not in json.loads(p.read_text())
)


def test_every_policy_of_the_issue_has_a_committed_checkpoint() -> None:
    names = {m.stem for m in MANIFESTS}
    assert {"aqt_goal", "cnn_goal", "aqt_sketch", "cnn_sketch"} <= names, names


@pytest.mark.parametrize("manifest_path", MANIFESTS, ids=[m.stem for m in MANIFESTS])
def test_checkpoint_reproduces_its_manifest(manifest_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    for key in ("command", "config", "seed", "env_steps", "wall_time_s", "evaluation", "data"):
        assert key in manifest, f"{manifest_path.name} lacks '{key}'"
    checkpoint = manifest_path.with_name(manifest["checkpoint"])
    assert checkpoint.with_suffix(".metrics.jsonl").read_text().strip()  # its learning curve
    assert checkpoint.stat().st_size < 20 * 2**20  # small enough to commit
    reference = manifest["reference"]
    observation = np.load(manifest_path.with_name(reference["observation"]))
    if manifest["model"].endswith("_goal"):
        predictor = GoalNavPredictor.from_checkpoint(checkpoint)
        goal = observation["goal"]
        decision = predictor.predict(observation["semantic"], float(goal[0]), float(goal[1]))
    else:
        predictor = SketchNavPredictor.from_checkpoint(checkpoint)
        predictor.set_sketch(observation["waypoints"], observation["start_pose"])
        decision = predictor.predict(observation["topdown"], observation["pose"], reference["step"])
    assert decision.action == reference["action"]
    np.testing.assert_allclose(decision.q_values, reference["q_values"], atol=1e-4)


def test_committed_pointpillars_finds_the_cars_of_an_unseen_synthetic_scan() -> None:
    import torch

    from xai_core.lidar.metrics import iou_bev
    from xai_core.lidar.predictor import LidarDetector
    from xai_core.lidar.synthetic import synthetic_scan
    from xai_core.paths import resolve_checkpoint

    torch.set_num_threads(1)
    detector = LidarDetector.from_checkpoint(resolve_checkpoint("pointpillars_small"))
    found = total = 0
    for seed in range(5_000_000, 5_000_004):  # seeds far from the training and val sets
        scan = synthetic_scan(seed)
        cars = scan.boxes[[n == "Car" for n in scan.names]]
        near = cars[np.hypot(cars[:, 0], cars[:, 1]) < 30.0]  # inside the small model's range
        boxes = [d.box for d in detector.detect(scan.points) if d.cls == "Car" and d.score > 0.5]
        total += len(near)
        if len(near) and boxes:
            found += int((iou_bev(near, np.array(boxes)).max(axis=1) > 0.5).sum())
    assert total > 0 and found / total >= 0.6, (found, total)
