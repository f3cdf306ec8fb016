"""Why distil: the student ViT against its teachers on CPU (issue #10).

Inference latency (median of repeated forwards, batch 1, one torch thread) and parameter counts
of the distillation student ``kd_student`` and the teacher ``kd_teacher`` (both at 32x32, the
digits set-up), measured in the same run; the full run adds the research's pair, ViT-Ti/16 vs
ViT-B/16 at 224x224, and the committed student's end-to-end ``KDClassifier.classify`` time (top-5
plus attention map). Random weights for the architecture comparison: speed does not depend on
them.

Usage: ``python bench/kd_bench.py [--quick]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from xai_core.kd.build import build_vit, count_parameters, vit_kwargs
from xai_core.kd.evaluate import latency_ms

PAIRS = [("kd_student", "kd_teacher"), ("vit_tiny_patch16", "vit_base_patch16")]


def _pair(student: str, teacher: str, repeats: int) -> list[dict]:
    torch.manual_seed(0)
    models = {name: build_vit(name) for name in (student, teacher)}
    size = int(vit_kwargs(student)["img_size"])
    ms = {name: latency_ms(m, size, batch=1, repeats=repeats) for name, m in models.items()}
    params = {name: count_parameters(m) for name, m in models.items()}
    where = f"{size}x{size}, batch 1, 1 thread"
    return [
        {
            "name": f"kd latency, {student} (student), {where}",
            "value": round(ms[student], 3),
            "unit": "ms",
            "compared_with": f"{teacher} (teacher): {ms[teacher]:.3f} ms, same run",
            "ok": bool(ms[student] < ms[teacher]),
        },
        {
            "name": f"kd speed-up, {teacher} / {student} latency",
            "value": round(ms[teacher] / ms[student], 2),
            "unit": "x",
            "compared_with": "> 1 (the student is faster)",
            "ok": bool(ms[teacher] > ms[student]),
        },
        {
            "name": f"kd parameters, {student} (student)",
            "value": params[student],
            "unit": "parameters",
            "compared_with": f"{teacher} (teacher): {params[teacher]}",
            "ok": bool(params[student] < params[teacher]),
        },
    ]


def _classify_ms(repeats: int) -> dict:
    from xai_core.kd.predictor import KDClassifier

    classifier = KDClassifier.from_checkpoint("kd_student")
    image = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    classifier.classify(image)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        classifier.classify(image, top_k=5)
        times.append(time.perf_counter() - start)
    return {
        "name": "kd classify, committed kd_student, 640x480 rgb -> top-5 + attention map",
        "value": round(float(np.median(times)) * 1e3, 3),
        "unit": "ms",
        "compared_with": "",
        "ok": None,
    }


def run(quick: bool = False) -> dict:
    """Run the benchmark; ``{"results": [{"name", "value", "unit", "compared_with", "ok"}]}``."""
    torch.set_num_threads(1)
    results = _pair(*PAIRS[0], repeats=10 if quick else 50)
    if not quick:
        results += _pair(*PAIRS[1], repeats=3)
        results.append(_classify_ms(20))
    return {"results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small repeat counts")
    print(json.dumps(run(quick=parser.parse_args().quick), indent=2))


if __name__ == "__main__":
    main()
