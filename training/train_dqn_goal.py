#!/usr/bin/env python3
"""DQN for goal navigation on the xai_sim simulator: AQT or the CNN baseline (CleanRL style).

Read top to bottom: config -> environments -> networks -> replay -> training loop (epsilon-greedy
acting, double-Q targets, periodic target sync, evaluation on held-out layouts, checkpoints).

    python training/train_dqn_goal.py --config training/configs/aqt_goal.yaml
    python training/train_dqn_goal.py --model cnn_goal --total-steps 200000 --device cuda

Outputs in ``runs/<run_name>/``: TensorBoard scalars (``losses/td_loss``, ``charts/...``,
``eval/success_rate``), ``metrics.jsonl`` (every evaluation), ``train_state.pt`` (resume: run
the same command again), ``best.pt`` / ``final.pt``; ``--export`` copies the best checkpoint,
a manifest and a reference observation to e.g. ``training/checkpoints/``.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from tqdm import tqdm

from xai_core.config_utils import parse_dataclass_cli
from xai_core.nav.build import build_model, get_spec, model_kwargs
from xai_core.nav.evaluate import evaluate_goal
from xai_core.nav.obs import GOAL_DIM, PaletteCodec, goal_features_from_obs, image_to_chw
from xai_core.rl.dqn import DQNLearner, RunLog, seed_everything
from xai_core.rl.replay import ReplayBuffer, linear_schedule
from xai_sim import LABEL_COLORS, IndoorNavEnv

DATA = "xai_sim procedural floor plans (goal mode); evaluated on the held-out named layouts"


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
    env: str = "sim"  # sim: xai_sim in process; unity: ML-Agents (unity_sim/CONTRACT.md)
    unity_path: str = ""  # Unity build started once per env; "" = players / Editor already up
    unity_port: int = 5004  # env i of num_envs listens on unity_port + i


def make_env(cfg: Config, index: int):
    """Env ``index`` of the vector: the simulator in process, or a Unity ML-Agents env on port
    ``unity_port + index`` (with ``--unity-path`` a build is started per env; without, start
    ``python -m xai_sim.unity.player --port <port>`` or the Editor for each of them)."""
    if cfg.env not in ("sim", "unity"):
        raise ValueError(f"--env must be 'sim' or 'unity', got {cfg.env!r}")
    seed = cfg.seed + index

    def thunk() -> gym.Env:
        if cfg.env == "unity":
            from xai_sim.unity import UnityNavEnv  # requirements/unity.txt

            env = UnityNavEnv(cfg.unity_path or None, mode="goal", worker_id=index,
                              base_port=cfg.unity_port, seed=seed)  # fmt: skip
        else:
            env = IndoorNavEnv(mode="goal", layout=None)  # a new procedural plan per episode
        env.action_space.seed(seed)
        return env

    return thunk


def to_inputs(labels: np.ndarray, goal: np.ndarray, codec: PaletteCodec, device) -> tuple:
    """Replay fields (label image, goal features) -> network inputs on ``device``."""
    image = torch.from_numpy(image_to_chw(codec.decode(labels))).to(device)
    return image, torch.from_numpy(goal).to(device)


@torch.no_grad()
def greedy_action(q_network: torch.nn.Module, device, obs: dict) -> int:
    """Greedy action for one simulator observation (evaluation)."""
    image = torch.from_numpy(image_to_chw(obs["semantic"]))[None].to(device)
    goal = torch.from_numpy(goal_features_from_obs(obs["goal"]))[None].to(device)
    return int(q_network(image, goal, need_weights=False).q.argmax(1).item())


def reference_decision(checkpoint: Path) -> dict:
    """A stored observation and the checkpoint's decision on it (for the manifest)."""
    from xai_core.nav.predictor import GoalNavPredictor

    obs, _ = IndoorNavEnv(mode="goal").reset(seed=12_345, options={"layout": "office"})
    path = checkpoint.with_suffix(".obs.npz")
    np.savez_compressed(path, semantic=obs["semantic"], goal=obs["goal"])
    decision = GoalNavPredictor.from_checkpoint(checkpoint).predict(
        obs["semantic"], float(obs["goal"][0]), float(obs["goal"][1])
    )
    return {"observation": path.name, "action": decision.action,
            "q_values": [round(float(q), 6) for q in decision.q_values]}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    get_spec(cfg.model)  # fail fast on an unknown model name
    run = RunLog(cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}")
    seed_everything(cfg.seed, cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    device = torch.device(cfg.device)

    # Environments: same-step autoreset, so the true final observation is in infos["final_obs"].
    envs = gym.vector.SyncVectorEnv(
        [make_env(cfg, i) for i in range(cfg.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )

    # Networks: online + target, Adam, double-Q updates.
    kwargs = model_kwargs(cfg.model)
    learner = DQNLearner(
        partial(build_model, cfg.model, **kwargs), cfg.learning_rate, cfg.gamma,
        cfg.max_grad_norm, cfg.target_update_interval, device,
    )  # fmt: skip

    # Replay: the colour-coded semantic image is stored as its label index (1 byte per pixel).
    codec = PaletteCodec(LABEL_COLORS)
    size = kwargs["image_size"]
    rb = ReplayBuffer(
        cfg.buffer_size,
        {
            "labels": ((size, size), np.uint8), "goal": ((GOAL_DIM,), np.float32),
            "action": ((), np.int64), "reward": ((), np.float32), "done": ((), np.float32),
            "next_labels": ((size, size), np.uint8), "next_goal": ((GOAL_DIM,), np.float32),
        },
        seed=cfg.seed,
    )  # fmt: skip
    print(f"replay buffer: {cfg.buffer_size} transitions, {rb.nbytes / 2**30:.2f} GiB")

    counters = run.load_state(learner) or {}
    start_iteration = int(counters.get("iteration", 0))
    best_success = float(counters.get("best_success", -1.0))
    wall_before = float(counters.get("wall_time_s", 0.0))

    def evaluate(episodes: int) -> dict:
        learner.q_network.eval()
        result = evaluate_goal(partial(greedy_action, learner.q_network, device), episodes)
        learner.q_network.train()
        return result.to_dict()

    num_iterations = cfg.total_steps // cfg.num_envs
    updates_per_iteration = max(cfg.num_envs // cfg.train_frequency, 1)
    obs, _ = envs.reset(seed=[cfg.seed * 1000 + i for i in range(cfg.num_envs)])
    start_time = time.time()
    recent_success: list[float] = []
    progress = tqdm(range(start_iteration, num_iterations), initial=start_iteration,
                    total=num_iterations, desc="train", unit="it", mininterval=10)  # fmt: skip
    for iteration in progress:
        global_step = iteration * cfg.num_envs
        epsilon = linear_schedule(
            cfg.eps_start, cfg.eps_end, int(cfg.eps_fraction * cfg.total_steps), global_step
        )
        labels, goal = codec.encode(obs["semantic"]), goal_features_from_obs(obs["goal"])
        actions = learner.act(to_inputs(labels, goal, codec, device), epsilon, rng)
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)

        # The stored next state of a finished episode is its true final observation.
        real_next = {key: next_obs[key].copy() for key in ("semantic", "goal")}
        for i in np.flatnonzero(terminations | truncations):
            for key in real_next:
                real_next[key][i] = infos["final_obs"][i][key]
            final = infos["final_info"]
            recent_success = [*recent_success, float(final["is_success"][i])][-100:]
            for key, tag in (("is_success", "success"), ("collisions", "collisions"),
                             ("step", "length")):  # fmt: skip
                run.scalar(f"charts/episodic_{tag}", float(final[key][i]), global_step)
        rb.add(
            labels=labels, goal=goal, action=actions, reward=rewards.astype(np.float32),
            done=terminations.astype(np.float32), next_labels=codec.encode(real_next["semantic"]),
            next_goal=goal_features_from_obs(real_next["goal"]),
        )  # fmt: skip
        obs = next_obs

        if len(rb) >= cfg.learning_starts:  # also after a resume, which refills the replay
            for _ in range(updates_per_iteration):
                b = rb.sample(cfg.batch_size)
                loss, mean_q = learner.update(
                    to_inputs(b["labels"], b["goal"], codec, device),
                    to_inputs(b["next_labels"], b["next_goal"], codec, device),
                    b,
                )
            if iteration % 25 == 0:
                run.scalar("losses/td_loss", loss, global_step)
                run.scalar("losses/q_values", mean_q, global_step)
        if iteration % 25 == 0:
            sps = (iteration - start_iteration + 1) * cfg.num_envs / (time.time() - start_time)
            run.scalar("charts/epsilon", epsilon, global_step)
            run.scalar("charts/SPS", sps, global_step)
            progress.set_postfix(eps=f"{epsilon:.2f}", sps=f"{sps:.0f}", updates=learner.updates,
                                 success100=f"{np.mean(recent_success or [0]):.2f}")  # fmt: skip

        step_after = global_step + cfg.num_envs
        wall = wall_before + time.time() - start_time
        if step_after % cfg.eval_every < cfg.num_envs and global_step >= cfg.learning_starts:
            result = evaluate(cfg.eval_episodes)
            run.scalar("eval/success_rate", result["success_rate"], step_after)
            run.scalar("eval/mean_collisions", result["mean_collisions"], step_after)
            run.evaluation(step_after, wall, learner.updates, result)
            tqdm.write(f"step {step_after}: eval success {result['success_rate']:.2f}, "
                       f"collisions {result['mean_collisions']:.2f}")  # fmt: skip
            if result["success_rate"] > best_success:
                best_success = result["success_rate"]
                meta = run.meta(step_after, learner.updates, wall, result, DATA)
                run.save_model("best.pt", learner, cfg.model, kwargs, meta)
        if step_after % cfg.checkpoint_every < cfg.num_envs:
            run.save_state(learner, iteration=iteration + 1, best_success=best_success,
                           wall_time_s=wall)  # fmt: skip

    wall = wall_before + time.time() - start_time
    run.save_state(learner, iteration=num_iterations, best_success=best_success, wall_time_s=wall)
    final = evaluate(cfg.final_eval_episodes)
    print(f"final ({cfg.final_eval_episodes} held-out episodes): {final}")
    meta = run.meta(cfg.total_steps, learner.updates, wall, final, DATA)
    run.finish(learner, cfg.model, kwargs, meta, final["success_rate"] >= best_success,
               cfg.export, reference_decision)  # fmt: skip
    envs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
