"""Figures and tables of the curiosity research (issue #11) from our own runs.

Reads ``<runs-dir>/<env>/<method>_s<seed>/`` written by ``train_ppo_curiosity.py`` and writes
under ``--out-dir`` (default ``docs/figures``):

* ``curiosity_returns_<env>.png`` - extrinsic return during training per method (mean and
  min-max band over seeds; research Fig. 2).
* ``curiosity_rooms_<env>.png`` - rooms visited so far during training per method (research
  Fig. 3 / section 4.3).
* ``curiosity_intrinsic_trace_<env>.png`` - intrinsic reward of RND and sequence-RND along the
  same trajectory around room changes (research Fig. 4).
* ``curiosity_results.json`` / ``curiosity_results.md`` - mean score over N evaluation episodes
  (Random, PPO, PPO+RND, PPO+Ours; research Table 1) and rooms visited (mean, std, min, max over
  seeds), plus the intrinsic-reward-at-room-change numbers.

Usage:
  python training/eval_curiosity.py --runs-dir out/curiosity --episodes 100 --atari-episodes 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
import train_ppo_curiosity as tpc  # noqa: E402

from xai_core.rl.ppo import ActorCritic  # noqa: E402
from xai_core.rl.rnd import RNDModel, RunningMeanStd, normalize_obs  # noqa: E402
from xai_core.rl.sequence import SequenceQueue  # noqa: E402

METHOD_ORDER = ("ppo", "rnd", "seq_rnd")
LABELS = {"random": "Random", "ppo": "PPO", "rnd": "PPO+RND", "seq_rnd": "PPO+Ours"}
COLORS = {"ppo": "tab:blue", "rnd": "tab:orange", "seq_rnd": "tab:green"}


def find_runs(runs_dir: Path) -> dict[str, dict[str, list[Path]]]:
    """``{env_tag: {method: [run dirs sorted by seed]}}`` of finished runs (``final.pt``)."""
    runs: dict[str, dict[str, list[Path]]] = {}
    for final in sorted(runs_dir.glob("*/*_s*/final.pt")):
        run = final.parent
        method = run.name.rsplit("_s", 1)[0]
        if method in METHOD_ORDER:
            runs.setdefault(run.parent.name, {}).setdefault(method, []).append(run)
    return runs


def read_metrics(run: Path) -> tuple[list[dict], list[dict]]:
    """``(episode records, iteration records)`` of ``metrics.jsonl``."""
    eps, its = [], []
    for line in (run / "metrics.jsonl").read_text().splitlines():
        rec = json.loads(line)
        (eps if rec["type"] == "episode" else its).append(rec)
    return eps, its


def binned_returns(eps: list[dict], edges: np.ndarray) -> np.ndarray:
    """Mean episode return per step bin ``(len(edges) - 1,)``, carried forward when empty."""
    steps = np.array([e["step"] for e in eps], dtype=np.float64)
    rets = np.array([e["return"] for e in eps], dtype=np.float64)
    out = np.full(len(edges) - 1, np.nan)
    last = 0.0
    for i in range(len(edges) - 1):
        sel = (steps > edges[i]) & (steps <= edges[i + 1])
        if sel.any():
            last = float(rets[sel].mean())
        out[i] = last
    return out


def load_run(run: Path) -> tuple[tpc.Config, dict[str, Any]]:
    state = torch.load(run / "final.pt", map_location="cpu", weights_only=False)
    return tpc.Config(**state["config"]), state


def build_agent(state: dict[str, Any], cfg: tpc.Config) -> ActorCritic:
    agent = ActorCritic(tuple(state["obs_shape"]), int(state["num_actions"]), cfg.hidden)
    agent.load_state_dict(state["agent"])
    return agent.eval()


def evaluate(
    cfg: tpc.Config, agent: ActorCritic | None, episodes: int, num_envs: int, seed: int
) -> dict[str, Any]:
    """Mean raw score over ``episodes`` episodes with the stochastic policy (``agent`` None:
    uniformly random actions); also the rooms the evaluation visited."""
    cfg = tpc.Config(**{**cfg.__dict__, "num_envs": min(num_envs, episodes)})
    envs = tpc.make_envs(cfg)
    obs, infos = envs.reset(seed=seed)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)  # policy sampling: reproducible evaluations
    scores: list[float] = []
    rooms: set[int] = set(tpc.step_rooms(infos, np.zeros(cfg.num_envs, dtype=bool)))
    while len(scores) < episodes:
        if agent is None:
            actions = rng.integers(envs.single_action_space.n, size=cfg.num_envs)
        else:
            with torch.no_grad():
                actions = agent.get_action_and_value(torch.as_tensor(obs))[0].numpy()
        obs, _, term, trunc, infos = envs.step(actions)
        done = np.logical_or(term, trunc)
        rooms.update(tpc.step_rooms(infos, done))
        scores += [ret for _, ret, _ in tpc.episode_stats(infos, done)]
    envs.close()
    scores = scores[:episodes]
    rooms.discard(-1)
    return {
        "mean": float(np.mean(scores)),
        "std": float(np.std(scores)),
        "episodes": len(scores),
        "rooms": sorted(int(r) for r in rooms),
    }


def intrinsic_trace(
    runs: dict[str, list[Path]], episodes: int = 10, max_steps: int = 3000, seed: int = 0
) -> dict[str, Any] | None:
    """Intrinsic reward of RND and sequence-RND (first seed's runs) along the same trajectories
    of the sequence-RND policy (RND's when absent), divided by the running std of the intrinsic
    return as in training. The first episode's traces are kept for the figure; the at / after
    room-change means (each trace relative to its episode mean) use all ``episodes``."""
    models: dict[str, tuple[RNDModel, RunningMeanStd, float, int]] = {}
    driver = None
    for method in ("rnd", "seq_rnd"):
        if method not in runs:
            continue
        cfg, state = load_run(runs[method][0])
        rnd_shape = (cfg.seq_len, *tuple(state["obs_shape"])[1:])
        model = RNDModel(rnd_shape, hidden=cfg.hidden)
        model.load_state_dict(state["rnd"])
        rms = RunningMeanStd(rnd_shape)
        rms.load_state_dict(state["obs_rms"])
        std = float(np.sqrt(state["int_norm"]["rms"]["var"] + 1e-8))
        models[method] = (model.eval(), rms, std, cfg.seq_len)
        driver = (cfg, build_agent(state, cfg))
    if driver is None:
        return None
    cfg, agent = driver
    cfg = tpc.Config(**{**cfg.__dict__, "num_envs": 1})
    envs = tpc.make_envs(cfg)
    torch.manual_seed(seed)
    summary: dict[str, Any] = {}
    at: dict[str, list[float]] = {m: [] for m in models}
    after: dict[str, list[float]] = {m: [] for m in models}
    for ep in range(episodes):
        obs, infos = envs.reset(seed=seed + ep)
        queues = {m: SequenceQueue(1, v[3], obs.shape[2:]) for m, v in models.items()}
        for q in queues.values():
            q.reset(first_frames=obs[:, -1])
        rooms = [int(tpc.step_rooms(infos, np.zeros(1, bool))[0])]
        traces: dict[str, list[float]] = {m: [] for m in models}
        for _ in range(max_steps):
            with torch.no_grad():
                action = agent.get_action_and_value(torch.as_tensor(obs))[0].numpy()
            obs, _, term, trunc, infos = envs.step(action)
            done = np.logical_or(term, trunc)
            frames = tpc.final_frames(obs, infos, done)
            for m, (model, rms, std, _) in models.items():
                seq = torch.as_tensor(queues[m].push(frames))
                r = float(model.intrinsic_reward(normalize_obs(seq, rms))[0]) / std
                traces[m].append(r)
                queues[m].reset(done, obs[:, -1])
            rooms.append(int(tpc.step_rooms(infos, done)[0]))
            if done[0]:
                break
        # step i is the transition that entered a new room: from there on, for n + 1 steps,
        # the sequence-RND input holds states of both rooms
        changes = [int(i) for i in np.flatnonzero(np.diff(np.array(rooms)) != 0)]
        for m, tr in traces.items():
            arr = np.array(tr) / np.mean(tr)  # relative to the episode mean
            at[m] += [arr[c : c + cfg.seq_len].mean() for c in changes if c + 40 <= len(arr)]
            after[m] += [arr[c + 10 : c + 40].mean() for c in changes if c + 40 <= len(arr)]
        if ep == 0:
            summary = {"room_changes": changes, "rooms": rooms[1:]}
            for m, tr in traces.items():
                summary[m] = {"trace": tr, "episode_mean": float(np.mean(tr))}
    envs.close()
    summary["episodes"] = episodes
    for m in models:
        summary[m]["changes_counted"] = len(at[m])
        summary[m]["mean_at_change"] = float(np.mean(at[m])) if at[m] else None
        summary[m]["mean_after_change"] = float(np.mean(after[m])) if after[m] else None
        summary[m]["ratio_at_vs_after"] = (
            float(np.mean(at[m]) / np.mean(after[m])) if at[m] else None
        )
    return summary


def plot_curves(env: str, runs: dict[str, list[Path]], out_dir: Path) -> dict[str, Any]:
    """Return-curve and rooms-visited figures of one env; returns the rooms statistics."""
    total = max(read_metrics(r)[1][-1]["step"] for rs in runs.values() for r in rs)
    edges = np.linspace(0, total, 41)
    fig_r, ax_r = plt.subplots(figsize=(6, 4))
    fig_m, ax_m = plt.subplots(figsize=(6, 4))
    rooms_stats: dict[str, Any] = {}
    for method in METHOD_ORDER:
        if method not in runs:
            continue
        curves, room_curves, finals = [], [], []
        for run in runs[method]:
            eps, its = read_metrics(run)
            curves.append(binned_returns(eps, edges) if eps else np.zeros(len(edges) - 1))
            steps = np.array([i["step"] for i in its])
            visited = np.array([i["rooms_visited"] for i in its])
            room_curves.append(np.interp(edges[1:], steps, visited))
            finals.append(its[-1]["rooms_visited"])
        c, rc = np.array(curves), np.array(room_curves)
        x = edges[1:]
        for ax, arr in ((ax_r, c), (ax_m, rc)):
            ax.plot(x, arr.mean(0), color=COLORS[method], label=f"{LABELS[method]} (n={len(arr)})")
            ax.fill_between(x, arr.min(0), arr.max(0), color=COLORS[method], alpha=0.2)
        rooms_stats[method] = {
            "per_seed": finals,
            "mean": float(np.mean(finals)),
            "std": float(np.std(finals)),
            "min": int(np.min(finals)),
            "max": int(np.max(finals)),
            "seeds": len(finals),
            "env_steps": int(total),
        }
    unit = "agent steps" if env == "multiroom" else "agent steps (x4 frames)"
    ax_r.set(xlabel=unit, ylabel="extrinsic return per episode", title=f"{env}: training return")
    ax_m.set(xlabel=unit, ylabel="rooms visited (cumulative)", title=f"{env}: rooms visited")
    for fig, ax, name in ((fig_r, ax_r, "returns"), (fig_m, ax_m, "rooms")):
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(out_dir / f"curiosity_{name}_{env}.png", dpi=120)
        plt.close(fig)
    return rooms_stats


def plot_trace(env: str, trace: dict[str, Any], out_dir: Path) -> None:
    changes = trace["room_changes"]
    methods = [m for m in ("rnd", "seq_rnd") if m in trace]
    fig, axes = plt.subplots(len(methods), 1, figsize=(7, 2.4 * len(methods)), sharex=True)
    axes = np.atleast_1d(axes)
    n = len(trace[methods[0]]["trace"])
    lo = max(0, changes[0] - 30) if changes else 0
    hi = min(n, (changes[min(len(changes) - 1, 2)] + 60) if changes else n)
    for ax, m in zip(axes, methods, strict=True):
        rel = np.array(trace[m]["trace"]) / trace[m]["episode_mean"]
        ax.plot(np.arange(lo, hi), rel[lo:hi], color=COLORS[m], label=LABELS[m])
        for c in changes:
            if lo <= c < hi:
                ax.axvline(c, color="k", ls="--", lw=0.8)
        ax.set_ylabel("intrinsic reward\n(/ episode mean)")
        ax.legend(loc="upper right")
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step of the episode (dashed: room change)")
    axes[0].set_title(f"{env}: intrinsic reward around room changes (same trajectory)")
    fig.tight_layout()
    fig.savefig(out_dir / f"curiosity_intrinsic_trace_{env}.png", dpi=120)
    plt.close(fig)


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Curiosity results (issue #11, our runs)", ""]
    lines += ["## Mean score over evaluation episodes", ""]
    lines += ["| env | episodes | " + " | ".join(LABELS.values()) + " |"]
    lines += ["|---|---|" + "---|" * len(LABELS)]
    for env, res in results["envs"].items():
        cells = []
        for key in LABELS:
            s = res["scores"].get(key)
            cells.append("-" if s is None else f"{s['mean']:.3f} ± {s['std']:.3f} (n={s['n']})")
        lines.append(f"| {env} | {res['episodes']} | " + " | ".join(cells) + " |")
    lines += ["", "Score: mean over seeds of each run's mean; ± is the std over seeds "]
    lines += ["(over episodes for Random and single-seed entries).", ""]
    lines += ["## Rooms visited during training (cumulative, per run)", ""]
    lines += ["| env | steps | PPO | PPO+RND | PPO+Ours |", "|---|---|---|---|---|"]
    for env, res in results["envs"].items():
        cells = []
        for m in METHOD_ORDER:
            r = res["rooms"].get(m)
            cells.append(
                "-"
                if r is None
                else f"{r['mean']:.2f} ± {r['std']:.2f} [{r['min']}-{r['max']}] {r['per_seed']}"
            )
        steps = max(r["env_steps"] for r in res["rooms"].values())
        lines.append(f"| {env} | {steps} | " + " | ".join(cells) + " |")
    lines += ["", "mean ± std over seeds [min-max] per-seed values.", ""]
    for env, res in results["envs"].items():
        tr = res.get("intrinsic_trace")
        if tr:
            lines += [f"## Intrinsic reward at a room change ({env})", ""]
            lines += [f"Intrinsic reward relative to its episode mean, {tr['episodes']} episodes "]
            lines += ["of the PPO+Ours policy, both models on the same trajectories."]
            lines += [""]
            lines += ["| method | n+1 steps from the change | 10-40 steps after | ratio |"]
            lines += ["|---|---|---|---|"]
            for m in ("rnd", "seq_rnd"):
                if m in tr:
                    a, b = tr[m]["mean_at_change"], tr[m]["mean_after_change"]
                    fa = "-" if a is None else f"{a:.3g}"
                    fb = "-" if b is None else f"{b:.3g}"
                    ratio = tr[m]["ratio_at_vs_after"]
                    fr = "-" if ratio is None else f"{ratio:.2f}"
                    lines.append(f"| {LABELS[m]} | {fa} | {fb} | {fr} |")
            n = tr["seq_rnd" if "seq_rnd" in tr else "rnd"]["changes_counted"]
            lines += ["", f"{n} room changes counted; figure: first episode, changes at "]
            lines += [f"steps {tr['room_changes']}", ""]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs-dir", default="out/curiosity")
    p.add_argument("--out-dir", default="docs/figures")
    p.add_argument("--episodes", type=int, default=100, help="evaluation episodes (multiroom)")
    p.add_argument("--atari-episodes", type=int, default=10, help="evaluation episodes (Atari)")
    p.add_argument("--num-envs", type=int, default=20)
    p.add_argument("--trace-episodes", type=int, default=10)
    p.add_argument(
        "--envs",
        nargs="*",
        default=None,
        help="env tags to (re-)evaluate; the others are kept from an existing results file",
    )
    p.add_argument("--seed", type=int, default=12345)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = find_runs(Path(args.runs_dir))
    if not runs:
        raise SystemExit(f"no finished runs (final.pt) under {args.runs_dir}")
    results: dict[str, Any] = {"runs_dir": args.runs_dir, "envs": {}}
    previous = out_dir / "curiosity_results.json"
    if args.envs is not None and previous.exists():
        results["envs"] = json.loads(previous.read_text())["envs"]
    t0 = time.time()
    for env, by_method in runs.items():
        if args.envs is not None and env not in args.envs:
            continue
        episodes = args.episodes if env == "multiroom" else args.atari_episodes
        res: dict[str, Any] = {"episodes": episodes, "scores": {}, "runs": {}}
        res["rooms"] = plot_curves(env, by_method, out_dir)
        cfg0 = None
        for method in METHOD_ORDER:
            per_seed = []
            for run in tqdm(by_method.get(method, []), desc=f"eval {env} {method}"):
                cfg, state = load_run(run)
                cfg0 = cfg0 or cfg
                ev = evaluate(cfg, build_agent(state, cfg), episodes, args.num_envs, args.seed)
                ev["env_steps"] = int(state["global_step"])
                res["runs"][run.name] = ev
                per_seed.append(ev["mean"])
            if per_seed:
                res["scores"][method] = {
                    "mean": float(np.mean(per_seed)),
                    "std": float(np.std(per_seed))
                    if len(per_seed) > 1
                    else res["runs"][run.name]["std"],
                    "n": len(per_seed),
                    "per_seed": per_seed,
                }
        if cfg0 is not None:
            rnd_ev = evaluate(cfg0, None, episodes, args.num_envs, args.seed)
            res["scores"]["random"] = {
                "mean": rnd_ev["mean"],
                "std": rnd_ev["std"],
                "n": rnd_ev["episodes"],
                "rooms": rnd_ev["rooms"],
            }
        trace = intrinsic_trace(by_method, episodes=args.trace_episodes, seed=args.seed)
        if trace is not None:
            plot_trace(env, trace, out_dir)
            res["intrinsic_trace"] = {
                k: v if k not in ("rnd", "seq_rnd") else {kk: vv for kk, vv in v.items()}
                for k, v in trace.items()
            }
        results["envs"][env] = res
    results["eval_wall_time_s"] = time.time() - t0
    (out_dir / "curiosity_results.json").write_text(json.dumps(results, indent=1))
    (out_dir / "curiosity_results.md").write_text(markdown(results))
    return results


if __name__ == "__main__":
    out = main()
    print(
        json.dumps(
            {env: {"scores": r["scores"], "rooms": r["rooms"]} for env, r in out["envs"].items()},
            indent=1,
        )
    )
