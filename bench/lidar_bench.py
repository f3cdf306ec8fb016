"""LiDAR detection and explanation speed on CPU (issue #8).

Detection rate of :class:`xai_core.lidar.predictor.LidarDetector` on a ~20k-point synthetic scan
(one process, one torch thread) for ``pointpillars_small`` (target >= 10 Hz) and
``pointpillars_kitti`` (reported), and the explanation time per box of every method of
:mod:`xai_core.lidar.explain` (when present). Random weights: speed does not depend on them, and
the score threshold is set to 0 so there are boxes to explain.

Usage: ``python bench/lidar_bench.py [--quick]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import torch

from xai_core.lidar.build import build_lidar_model
from xai_core.lidar.predictor import LidarDetector
from xai_core.lidar.synthetic import synthetic_scan

TARGET_HZ = 10.0
SCAN_POINTS = 20_000


def _scan(points: int = SCAN_POINTS) -> np.ndarray:
    """``(points, 4)`` float32: a synthetic scan subsampled (seeded) to ``points``."""
    scan = synthetic_scan(0).points
    idx = np.random.default_rng(0).choice(len(scan), size=min(points, len(scan)), replace=False)
    return np.ascontiguousarray(scan[np.sort(idx)])


def _detector(name: str) -> LidarDetector:
    torch.manual_seed(0)
    model = build_lidar_model(name)
    model.config = replace(model.config, score_threshold=0.0)
    return LidarDetector(model, name)


def _detect_hz(detector: LidarDetector, points: np.ndarray, repeats: int) -> float:
    detector.detect(points)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        detector.detect(points)
    return repeats / (time.perf_counter() - start)


def run(quick: bool = False) -> dict:
    """Run the benchmark; ``{"results": [{"name", "value", "unit", "compared_with", "ok"}]}``."""
    torch.set_num_threads(1)
    points = _scan()
    results: list[dict] = []
    for name, repeats in (("pointpillars_small", 5 if quick else 30), ("pointpillars_kitti", 2)):
        hz = _detect_hz(_detector(name), points, repeats if not quick else min(repeats, 5))
        target = name == "pointpillars_small"
        results.append(
            {
                "name": f"lidar detection rate, {name}, {len(points)} points, 1 thread",
                "value": round(hz, 2),
                "unit": "Hz",
                "compared_with": f">= {TARGET_HZ:.0f} Hz (issue #8 target)" if target else "",
                "ok": bool(hz >= TARGET_HZ) if target else None,
            }
        )
    try:
        from xai_core.lidar.explain import METHODS, explain
    except ImportError:
        return {"results": results, "note": "xai_core.lidar.explain missing: no explain timings"}
    detector = _detector("pointpillars_small")
    boxes = detector.detect(points)[: 2 if quick else 5]
    names = list(detector.class_names)
    refs = [(d.anchor_index, names.index(d.cls)) for d in boxes]
    for method in METHODS:
        start = time.perf_counter()
        for ref in refs:
            explain(detector.model, points, ref, method)
        per_box = (time.perf_counter() - start) / max(len(refs), 1)
        results.append(
            {
                "name": f"lidar explanation per box, {method}, pointpillars_small, 1 thread",
                "value": round(1e3 * per_box, 1),
                "unit": "ms",
                "compared_with": f"mean over {len(refs)} boxes",
                "ok": None,
            }
        )
    return {"results": results}


def main() -> None:
    """CLI: print the results as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    print(json.dumps(run(quick=parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
