#!/usr/bin/env python3
"""Tables of the distillation experiments from our own runs (research tables 1 and 2).

Reads ``runs/<exp>_<mode>__<seed>/results.json`` written by ``training/train_kd.py`` (modes
baseline, kd_cl, kd_mim, ours; every seed found) and ``runs/<adapt run>/results.json`` written by
``training/adapt_kd_teachers.py``, and writes a JSON and a markdown table.

    python training/report_kd.py --runs-dir runs --out docs/figures/kd_results

Top-1 is on the held-out split, in percent: mean ± sample standard deviation, and each seed,
over the runs found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROWS = [
    ("baseline", "Baseline (student alone)", "-"),
    ("kd_cl", "KD", "CL (DINO-style)"),
    ("kd_mim", "KD", "MIM (MAE-style)"),
    ("ours", "Ours", "CL + MIM (+ attention)"),
]
ADAPT = [("full", "Fine-tuning"), ("linear", "Linear probing"), ("partial1", "Partial-1")]


def collect(runs_dir: Path, exp_name: str, adapt_run: str) -> dict:
    """Results of every run found (raises SystemExit when there is none)."""
    students: dict[str, list[dict]] = {}
    for mode, _, _ in ROWS:
        found = sorted(runs_dir.glob(f"{exp_name}_{mode}__*/results.json"))
        students[mode] = [json.loads(p.read_text()) for p in found]
    # several adaptation runs (comma-separated): a later run's (teacher, mode) rows replace an
    # earlier one's, so one teacher can be re-adapted without re-running the other
    adapt = None
    for name in [n.strip() for n in adapt_run.split(",") if n.strip()]:
        adapt_path = runs_dir / name / "results.json"
        if not adapt_path.is_file():
            continue
        rows = [dict(r, run=name) for r in json.loads(adapt_path.read_text())["rows"]]
        new = {(r["teacher"], r["mode"]) for r in rows}
        kept = [r for r in (adapt or {"rows": []})["rows"] if (r["teacher"], r["mode"]) not in new]
        adapt = {"rows": kept + rows}
    if not any(students.values()) and adapt is None:
        raise SystemExit(f"no {exp_name}_* or {adapt_run} results under {runs_dir}")
    return {"students": students, "adapt": adapt}


def tables(found: dict) -> tuple[dict, str]:
    """The report as a JSON-able dict and as markdown."""
    out: dict = {"distillation": [], "teacher_adaptation": []}
    lines = ["| Method | Teacher | Top-1 (%) mean ± sd | seeds | student params | wall time (s) |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for mode, method, teacher in ROWS:
        runs = found["students"][mode]
        if not runs:
            lines.append(f"| {method} | {teacher} | not run | | | |")
            continue
        accs = [100 * r["student_top1"] for r in runs]
        mean = sum(accs) / len(accs)
        # sample standard deviation over the seeds (0 with one seed)
        std = (sum((a - mean) ** 2 for a in accs) / (len(accs) - 1)) ** 0.5 if len(accs) > 1 else 0
        per_seed = {str(r["seed"]): round(a, 2) for r, a in zip(runs, accs, strict=True)}
        row = {"mode": mode, "method": method, "teacher": teacher, "top1_mean": round(mean, 2),
               "top1_std": round(std, 2),
               "top1_per_seed": per_seed,
               "student_parameters": runs[0]["student_parameters"],
               "heldout_images": runs[0]["heldout_images"], "steps": runs[0]["steps"],
               "wall_time_s": [r["wall_time_s"] for r in runs],
               "teachers_top1": [{k: v["top1"] for k, v in r["teachers"].items()} for r in runs],
               "attention_heads": [r.get("attention_heads", {}) for r in runs]}  # fmt: skip
        out["distillation"].append(row)
        seeds = ", ".join(f"{s}: {a:.2f}" for s, a in row["top1_per_seed"].items())
        lines.append(
            f"| {method} | {teacher} | {mean:.2f} ± {std:.2f} | {seeds} | "
            f"{row['student_parameters']:,} | {', '.join(map(str, row['wall_time_s']))} |"
        )
    adapt = found["adapt"]
    lines += ["", "| Method | Trainable params | CL (DINO-style) top-1 (%) "
              "| MIM (MAE-style) top-1 (%) |",
              "|---|---|---|---|"]  # fmt: skip
    if adapt is not None:
        by = {(r["teacher"], r["mode"]): r for r in adapt["rows"]}
        for mode, name in ADAPT:
            cl, mim = by.get(("dino", mode)), by.get(("mae", mode))
            if cl is None and mim is None:
                continue
            params = (cl or mim)["trainable_parameters"]
            fmt = lambda r: f"{100 * r['top1']:.2f}" if r else "not run"  # noqa: E731
            out["teacher_adaptation"].append(
                {"mode": mode, "method": name, "trainable_parameters": params,
                 "cl_top1": round(100 * cl["top1"], 2) if cl else None,
                 "mim_top1": round(100 * mim["top1"], 2) if mim else None,
                 "steps": (cl or mim)["steps"],
                 "runs": {"cl": cl and cl["run"], "mim": mim and mim["run"]}})  # fmt: skip
            lines.append(f"| {name} | {params:,} | {fmt(cl)} | {fmt(mim)} |")
    return out, "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--exp-name", default="kd", help="train_kd.py exp_name of the runs")
    parser.add_argument(
        "--adapt-run",
        default="kd_adapt__1,kd_adapt_cl__1",
        help="adapt_kd_teachers.py run(s), comma-separated; a later run's rows replace earlier",
    )
    parser.add_argument("--out", default="docs/figures/kd_results",
                        help="writes <out>.json and <out>.md")  # fmt: skip
    args = parser.parse_args(argv)
    report, markdown = tables(collect(Path(args.runs_dir), args.exp_name, args.adapt_run))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
