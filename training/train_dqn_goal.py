#!/usr/bin/env python3
"""DQN for goal navigation on the xai_sim simulator: AQT or the CNN baseline (CleanRL style).

Read top to bottom: config -> environments -> networks -> replay -> training loop (epsilon-greedy
acting, double-Q targets, periodic target sync, evaluation on held-out layouts, checkpoints).

    python training/train_dqn_goal.py --config training/configs/aqt_goal.yaml
    python training/train_dqn_goal.py --model cnn_goal --total-steps 200000 --device cuda

Outputs in ``runs/<run_name>/``: TensorBoard scalars (``losses/td_loss``, ``charts/...``,
``eval/success_rate``), ``metrics.jsonl`` (every evaluation), ``train_state.pt`` (resume: run
the same command again), ``best.pt`` / ``final.pt`` checkpoints; ``--export`` copies the best
checkpoint and a manifest to ``training/checkpoints/``.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.nav.build import build_model, get_spec, model_kwargs
from xai_core.nav.checkpoint import save_checkpoint
from xai_core.nav.evaluate import evaluate_goal
from xai_core.nav.obs import GOAL_DIM, PaletteCodec, goal_features_from_obs, image_to_chw
from xai_core.rl.dqn import double_q_loss, load_training_state, save_training_state
from xai_core.rl.replay import ReplayBuffer, linear_schedule
from xai_sim import LABEL_COLORS, IndoorNavEnv


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "dqn_goal"
    model: str = "aqt_goal"  # registry name: aqt_goal, aqt_goal_cnn_tokens, cnn_goal
    seed: int = 1
    total_steps: int = 150_000  # environment steps, all envs together
    num_envs: int = 8
    buffer_size: int = 250_000  # transitions; semantic images stored as 1 byte per pixel
    learning_rate: float = 1e-4
    gamma: float = 0.99
    batch_size: int = 32
    learning_starts: int = 5_000
    train_frequency: int = 4  # environment steps per gradient update
    target_update_interval: int = 1_000  # gradient updates between target-network syncs
    max_grad_norm: float = 10.0
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_fraction: float = 0.3  # of total_steps to anneal epsilon over
    eval_every: int = 10_000  # environment steps
    eval_episodes: int = 40
    final_eval_episodes: int = 100
    checkpoint_every: int = 10_000
    device: str = "cpu"  # or cuda
    threads: int = 1  # torch CPU threads (more only with idle cores: oversubscription is slow)
    runs_dir: str = "runs"
    run_name: str = ""  # default: <exp_name>__<model>__<seed>
    export: str = ""  # e.g. training/checkpoints/aqt_goal.pt: copy the best checkpoint there


def make_env(seed: int):
    def thunk() -> gym.Env:
        env = IndoorNavEnv(mode="goal", layout=None)  # a new procedural floor plan per episode
        env.action_space.seed(seed)
        return env

    return thunk


def to_batch(labels: np.ndarray, goal: np.ndarray, codec: PaletteCodec, device) -> tuple:
    """Replay fields -> network inputs on ``device``."""
    image = torch.from_numpy(image_to_chw(codec.decode(labels))).to(device)
    return image, torch.from_numpy(goal).to(device)


def write_manifest(export: Path, cfg: Config) -> None:
    """Manifest beside an exported checkpoint, with a stored reference observation and the
    action the checkpoint chose for it (tests check the predictor reproduces it)."""
    from xai_core.nav.predictor import GoalNavPredictor

    payload = torch.load(export, map_location="cpu", weights_only=True)
    obs, _ = IndoorNavEnv(mode="goal").reset(seed=12_345, options={"layout": "office"})
    reference = export.with_suffix(".obs.npz")
    np.savez_compressed(reference, semantic=obs["semantic"], goal=obs["goal"])
    decision = GoalNavPredictor.from_checkpoint(export).predict(
        obs["semantic"], float(obs["goal"][0]), float(obs["goal"][1])
    )
    manifest = {
        "checkpoint": export.name,
        "model": cfg.model,
        "seed": cfg.seed,
        **payload["meta"],
        "reference": {
            "observation": reference.name,
            "action": decision.action,
            "q_values": [round(float(q), 6) for q in decision.q_values],
        },
    }
    export.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"exported {export}, {export.with_suffix('.json')} and {reference}")


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    get_spec(cfg.model)  # fail fast on an unknown model name
    run_name = cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}"
    run_dir = Path(cfg.runs_dir) / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    print(f"run {run_name}: {json.dumps(asdict(cfg))}")

    # Seeding.
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)

    # Environments: same-step autoreset, so the true final observation is in infos["final_obs"].
    envs = gym.vector.SyncVectorEnv(
        [make_env(cfg.seed + i) for i in range(cfg.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    num_actions = int(envs.single_action_space.n)

    # Networks.
    kwargs = model_kwargs(cfg.model)
    q_network = build_model(cfg.model, **kwargs).to(device)
    target_network = build_model(cfg.model, **kwargs).to(device)
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=cfg.learning_rate)

    # Replay: the colour-coded semantic image is stored as its label index (1 byte per pixel).
    codec = PaletteCodec(LABEL_COLORS)
    size = kwargs["image_size"]
    rb = ReplayBuffer(
        cfg.buffer_size,
        {
            "labels": ((size, size), np.uint8),
            "goal": ((GOAL_DIM,), np.float32),
            "action": ((), np.int64),
            "reward": ((), np.float32),
            "done": ((), np.float32),
            "next_labels": ((size, size), np.uint8),
            "next_goal": ((GOAL_DIM,), np.float32),
        },
        seed=cfg.seed,
    )
    print(f"replay buffer: {cfg.buffer_size} transitions, {rb.nbytes / 2**30:.2f} GiB")

    # Resume.
    state_path = run_dir / "train_state.pt"
    start_iteration, updates, best_success, wall_before = 0, 0, -1.0, 0.0
    if state_path.exists():
        state = load_training_state(state_path, device)
        q_network.load_state_dict(state["q_network"])
        target_network.load_state_dict(state["target_network"])
        optimizer.load_state_dict(state["optimizer"])
        start_iteration, updates = int(state["iteration"]), int(state["updates"])
        best_success, wall_before = float(state["best_success"]), float(state["wall_time_s"])
        print(
            f"resumed from {state_path} at step {start_iteration * cfg.num_envs} "
            f"(replay refills from the current policy)"
        )

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(run_dir))
    metrics = open(run_dir / "metrics.jsonl", "a")  # noqa: SIM115 - closed at the end

    def evaluate(episodes: int) -> dict:
        q_network.eval()

        @torch.no_grad()
        def act(obs: dict) -> int:
            image = torch.from_numpy(image_to_chw(obs["semantic"]))[None].to(device)
            goal = torch.from_numpy(goal_features_from_obs(obs["goal"]))[None].to(device)
            return int(q_network(image, goal, need_weights=False).q.argmax(1).item())

        result = evaluate_goal(act, episodes=episodes, seed=10_000)
        q_network.train()
        return result.to_dict()

    def save_state(iteration: int, wall_s: float) -> None:
        save_training_state(
            state_path,
            q_network=q_network.state_dict(),
            optimizer=optimizer.state_dict(),
            target_network=target_network.state_dict(),
            iteration=iteration,
            updates=updates,
            best_success=best_success,
            wall_time_s=wall_s,
        )

    def meta(step: int, wall_s: float, evaluation: dict) -> dict:
        return {
            "config": asdict(cfg),
            "command": " ".join(sys.argv),
            "env_steps": step,
            "updates": updates,
            "wall_time_s": round(wall_s, 1),
            "evaluation": evaluation,
            "data": "xai_sim procedural floor plans (goal mode); eval on held-out named layouts",
            "torch": str(torch.__version__),
        }

    num_iterations = cfg.total_steps // cfg.num_envs
    updates_per_iteration = max(cfg.num_envs // cfg.train_frequency, 1)
    obs, _ = envs.reset(seed=[cfg.seed * 1000 + i for i in range(cfg.num_envs)])
    start_time = time.time()
    recent_success: list[float] = []
    progress = tqdm(
        range(start_iteration, num_iterations),
        initial=start_iteration,
        total=num_iterations,
        desc=run_name,
        unit="it",
    )
    for iteration in progress:
        global_step = iteration * cfg.num_envs
        epsilon = linear_schedule(
            cfg.eps_start, cfg.eps_end, int(cfg.eps_fraction * cfg.total_steps), global_step
        )
        goal = goal_features_from_obs(obs["goal"])
        explore = np.random.random(cfg.num_envs) < epsilon
        with torch.no_grad():
            image = torch.from_numpy(image_to_chw(obs["semantic"])).to(device)
            q = q_network(image, torch.from_numpy(goal).to(device), need_weights=False).q
        actions = np.where(
            explore, np.random.randint(num_actions, size=cfg.num_envs), q.argmax(1).cpu().numpy()
        )
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)

        # The stored next state of a finished episode is its true final observation.
        real_next = {k: v.copy() for k, v in next_obs.items() if k in ("semantic", "goal")}
        for i in np.flatnonzero(terminations | truncations):
            for key in real_next:
                real_next[key][i] = infos["final_obs"][i][key]
            final = infos["final_info"]
            recent_success = [*recent_success, float(final["is_success"][i])][-100:]
            for key, tag in (
                ("is_success", "success"),
                ("collisions", "collisions"),
                ("step", "length"),
            ):
                writer.add_scalar(f"charts/episodic_{tag}", float(final[key][i]), global_step)
        rb.add(
            labels=codec.encode(obs["semantic"]),
            goal=goal,
            action=actions,
            reward=rewards.astype(np.float32),
            done=terminations.astype(np.float32),
            next_labels=codec.encode(real_next["semantic"]),
            next_goal=goal_features_from_obs(real_next["goal"]),
        )
        obs = next_obs

        if global_step >= cfg.learning_starts:
            for _ in range(updates_per_iteration):
                batch = rb.sample(cfg.batch_size)
                loss, q_value = double_q_loss(
                    q_network,
                    target_network,
                    to_batch(batch["labels"], batch["goal"], codec, device),
                    to_batch(batch["next_labels"], batch["next_goal"], codec, device),
                    torch.from_numpy(batch["action"]).to(device),
                    torch.from_numpy(batch["reward"]).to(device),
                    torch.from_numpy(batch["done"]).to(device),
                    cfg.gamma,
                )
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(q_network.parameters(), cfg.max_grad_norm)
                optimizer.step()
                updates += 1
                if updates % cfg.target_update_interval == 0:
                    target_network.load_state_dict(q_network.state_dict())
            if iteration % 25 == 0:
                writer.add_scalar("losses/td_loss", loss.item(), global_step)
                writer.add_scalar("losses/q_values", q_value.mean().item(), global_step)
        if iteration % 25 == 0:
            sps = (iteration - start_iteration + 1) * cfg.num_envs / (time.time() - start_time)
            writer.add_scalar("charts/epsilon", epsilon, global_step)
            writer.add_scalar("charts/SPS", sps, global_step)
            progress.set_postfix(
                eps=f"{epsilon:.2f}",
                sps=f"{sps:.0f}",
                updates=updates,
                success100=f"{np.mean(recent_success or [0]):.2f}",
            )

        step_after = global_step + cfg.num_envs
        wall = wall_before + time.time() - start_time
        if step_after % cfg.eval_every < cfg.num_envs and global_step >= cfg.learning_starts:
            result = evaluate(cfg.eval_episodes)
            writer.add_scalar("eval/success_rate", result["success_rate"], step_after)
            writer.add_scalar("eval/mean_collisions", result["mean_collisions"], step_after)
            metrics.write(
                json.dumps(
                    {
                        "step": step_after,
                        "wall_time_s": round(wall, 1),
                        "updates": updates,
                        **result,
                    }
                )
                + "\n"
            )
            metrics.flush()
            tqdm.write(
                f"step {step_after}: eval success {result['success_rate']:.2f}, "
                f"collisions {result['mean_collisions']:.2f}"
            )
            if result["success_rate"] > best_success:
                best_success = result["success_rate"]
                save_checkpoint(
                    run_dir / "best.pt",
                    q_network,
                    cfg.model,
                    kwargs,
                    meta(step_after, wall, result),
                )
        if step_after % cfg.checkpoint_every < cfg.num_envs:
            save_state(iteration + 1, wall)

    wall = wall_before + time.time() - start_time
    save_state(num_iterations, wall)
    final_eval = evaluate(cfg.final_eval_episodes)
    print(f"final ({cfg.final_eval_episodes} held-out episodes): {json.dumps(final_eval)}")
    save_checkpoint(
        run_dir / "final.pt", q_network, cfg.model, kwargs, meta(cfg.total_steps, wall, final_eval)
    )
    if final_eval["success_rate"] >= best_success:
        shutil.copy(run_dir / "final.pt", run_dir / "best.pt")
    if cfg.export:
        export = Path(cfg.export)
        export.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(run_dir / "best.pt", export)
        write_manifest(export, cfg)
    writer.close()
    metrics.close()
    envs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
