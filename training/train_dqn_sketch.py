#!/usr/bin/env python3
"""DQN for sketch-instruction navigation on xai_sim: sketch AQT or the CNN baseline.

Read top to bottom: config -> environments (random training sketches; the ten evaluation
sketches are held out) -> networks -> replay -> training loop -> ADE/FDE evaluation.

    python training/train_dqn_sketch.py --config training/configs/aqt_sketch.yaml
    python training/train_dqn_sketch.py --model cnn_sketch --device cuda --num-envs 16

Inputs per step: the 128x128 top-down map, the robot pose in the sketch frame, the whole
sketch (100 waypoints, through the Instruction Phase) and the step index. Reward: minus the
distance to this step's waypoint. Outputs in ``runs/<run_name>/`` as for train_dqn_goal.py.
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
from xai_core.nav.evaluate import evaluate_sketch
from xai_core.nav.obs import (
    POSE_DIM,
    PaletteCodec,
    image_to_chw,
    sketch_pose_features,
    to_sketch_frame,
)
from xai_core.rl.dqn import DQNLearner, RunLog, seed_everything
from xai_core.rl.replay import ReplayBuffer, linear_schedule
from xai_sim import TOPDOWN_COLORS, IndoorNavEnv, SimConfig

STEPS = 100  # sketch length
DATA = (
    "xai_sim random training sketches in the named layouts; evaluated on the ten held-out "
    "evaluation sketches"
)


@dataclass
class Config:
    """Every knob of the experiment (YAML files in training/configs/ set a subset)."""

    exp_name: str = "dqn_sketch"
    model: str = "aqt_sketch"  # registry name: aqt_sketch, cnn_sketch
    seed: int = 1
    total_steps: int = 100_000
    num_envs: int = 8
    buffer_size: int = 60_000  # top-down maps stored as 1 palette byte per pixel
    learning_rate: float = 1e-4
    gamma: float = 0.9  # reward is dense (every step); a short horizon learns faster
    batch_size: int = 32
    learning_starts: int = 4_000
    train_frequency: int = 4
    target_update_interval: int = 500
    max_grad_norm: float = 10.0
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_fraction: float = 0.3
    eval_every: int = 10_000
    checkpoint_every: int = 10_000
    device: str = "cpu"
    threads: int = 1
    runs_dir: str = "runs"
    run_name: str = ""
    export: str = ""
    env: str = "sim"  # sim: xai_sim in process; unity: ML-Agents (unity_sim/CONTRACT.md)
    unity_path: str = ""  # Unity build started once per env; "" = players / Editor already up
    unity_port: int = 5004  # env i of num_envs listens on unity_port + i


def make_env(cfg: Config, index: int):
    """Env ``index`` of the vector: the simulator in process, or a Unity ML-Agents env on port
    ``unity_port + index`` (with ``--unity-path`` a build is started per env; without, start
    ``python -m xai_sim.unity.player --port <port>`` or the Editor for each of them)."""
    if cfg.env not in ("sim", "unity"):
        raise ValueError(f"--env must be 'sim' or 'unity', got {cfg.env!r}")
    if cfg.env == "unity" and index == 0:
        # The contract names sketches by id, so their waypoints (the instruction input) are
        # known here only for the packaged ones: Unity episodes draw the ten evaluation sketches.
        print("note: --env unity trains on the sketches of xai_sim/data/sketches.json")
    seed = cfg.seed + index

    def thunk() -> gym.Env:
        if cfg.env == "unity":
            from xai_sim.unity import UnityNavEnv  # requirements/unity.txt

            env = UnityNavEnv(cfg.unity_path or None, mode="sketch", worker_id=index,
                              base_port=cfg.unity_port, seed=seed)  # fmt: skip
        else:
            config = SimConfig.from_dict({"episode": {"sketch_pool": "random"}})
            env = IndoorNavEnv(config, mode="sketch")
        env.action_space.seed(seed)
        return env

    return thunk


class SketchInputs:
    """Turns replay fields into network inputs (top-down decoded from its palette)."""

    def __init__(self, device: torch.device) -> None:
        self.codec = PaletteCodec(TOPDOWN_COLORS)
        self.device = device

    def __call__(self, topdown, pose, waypoints, step) -> tuple[torch.Tensor, ...]:
        image = image_to_chw(self.codec.decode(topdown))
        arrays = (image, pose, waypoints, np.minimum(step, STEPS - 1).astype(np.int64))
        return tuple(torch.from_numpy(np.ascontiguousarray(a)).to(self.device) for a in arrays)


def sketch_policy(q_network: torch.nn.Module, device, sketch):
    """Greedy ``act(obs, step)`` for one evaluation sketch."""
    waypoints = torch.from_numpy(to_sketch_frame(sketch.waypoints, sketch.start_pose))[None]

    @torch.no_grad()
    def act(obs: dict, step: int) -> int:
        inputs = (
            torch.from_numpy(image_to_chw(obs["topdown"]))[None],
            torch.from_numpy(
                sketch_pose_features(
                    obs["pose"], sketch.start_pose, sketch.waypoints[min(step, STEPS - 1)]
                )
            )[None],
            waypoints,
            torch.tensor([min(step, STEPS - 1)]),
        )
        inputs = tuple(t.to(device) for t in inputs)
        return int(q_network(*inputs, need_weights=False).q.argmax(1).item())

    return act


def reference_decision(checkpoint: Path) -> dict:
    """A stored observation and the checkpoint's decision on it (for the manifest)."""
    from xai_core.nav.predictor import SketchNavPredictor

    env = IndoorNavEnv(mode="sketch")
    obs, _ = env.reset(seed=0, options={"sketch": "curve_s_hall"})
    path = checkpoint.with_suffix(".obs.npz")
    np.savez_compressed(
        path,
        topdown=obs["topdown"],
        pose=obs["pose"],
        waypoints=env.sketch.waypoints,
        start_pose=env.sketch.start_pose,
    )
    predictor = SketchNavPredictor.from_checkpoint(checkpoint)
    predictor.set_sketch(env.sketch.waypoints, env.sketch.start_pose)
    decision = predictor.predict(obs["topdown"], obs["pose"], 0)
    return {
        "observation": path.name,
        "step": 0,
        "action": decision.action,
        "q_values": [round(float(q), 6) for q in decision.q_values],
    }


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    get_spec(cfg.model)
    run = RunLog(cfg, cfg.runs_dir, cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}")
    seed_everything(cfg.seed, cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    device = torch.device(cfg.device)

    envs = gym.vector.SyncVectorEnv(
        [make_env(cfg, i) for i in range(cfg.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    kwargs = model_kwargs(cfg.model)
    learner = DQNLearner(
        partial(build_model, cfg.model, **kwargs),
        cfg.learning_rate,
        cfg.gamma,
        cfg.max_grad_norm,
        cfg.target_update_interval,
        device,
    )
    to_inputs = SketchInputs(device)
    size = kwargs["image_size"]
    fields = {
        "topdown": ((size, size), np.uint8),
        "pose": ((POSE_DIM,), np.float32),
        "step": ((), np.int64),
        "next_topdown": ((size, size), np.uint8),
        "next_pose": ((POSE_DIM,), np.float32),
        "waypoints": ((STEPS, 2), np.float32),
        "action": ((), np.int64),
        "reward": ((), np.float32),
        "done": ((), np.float32),
    }
    rb = ReplayBuffer(cfg.buffer_size, fields, seed=cfg.seed)
    print(f"replay buffer: {cfg.buffer_size} transitions, {rb.nbytes / 2**30:.2f} GiB")

    counters = run.load_state(learner) or {}
    start_iteration = int(counters.get("iteration", 0))
    best_ade = float(counters.get("best_ade", float("inf")))
    wall_before = float(counters.get("wall_time_s", 0.0))

    def evaluate() -> dict:
        learner.q_network.eval()
        result = evaluate_sketch(partial(sketch_policy, learner.q_network, device)).to_dict()
        learner.q_network.train()
        return result

    def sketch_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Current sketch of every env: waypoints in its frame (N, T, 2), in the world
        (N, T, 2), and the start poses (N, 3)."""
        sketches = [env.sketch for env in envs.envs]
        frames = [to_sketch_frame(s.waypoints, s.start_pose) for s in sketches]
        world = np.stack([s.waypoints for s in sketches])
        return np.stack(frames), world, np.stack([s.start_pose for s in sketches])

    def pose_features(poses, starts, world_waypoints, step_index) -> np.ndarray:
        """Query state of every env at sketch step ``step_index`` (N,)."""
        index = np.minimum(step_index, STEPS - 1)
        targets = world_waypoints[np.arange(len(index)), index]
        return np.stack(
            [sketch_pose_features(p, s, t) for p, s, t in zip(poses, starts, targets, strict=True)]
        )

    num_iterations = cfg.total_steps // cfg.num_envs
    updates_per_iteration = max(cfg.num_envs // cfg.train_frequency, 1)
    obs, _ = envs.reset(seed=[cfg.seed * 1000 + i for i in range(cfg.num_envs)])
    steps = np.zeros(cfg.num_envs, dtype=np.int64)
    start_time = time.time()
    recent_ade: list[float] = []
    progress = tqdm(
        range(start_iteration, num_iterations),
        initial=start_iteration,
        total=num_iterations,
        desc="train",
        unit="it",
        mininterval=10,
    )
    for iteration in progress:
        global_step = iteration * cfg.num_envs
        epsilon = linear_schedule(
            cfg.eps_start, cfg.eps_end, int(cfg.eps_fraction * cfg.total_steps), global_step
        )
        # The sketch of each env is read before stepping: an autoreset replaces it.
        waypoints, world_waypoints, starts = sketch_arrays()
        pose = pose_features(obs["pose"], starts, world_waypoints, steps)
        topdown = to_inputs.codec.encode(obs["topdown"])
        actions = learner.act(to_inputs(topdown, pose, waypoints, steps), epsilon, rng)
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)

        real_next = {key: next_obs[key].copy() for key in ("topdown", "pose")}
        for i in np.flatnonzero(terminations | truncations):
            for key in real_next:
                real_next[key][i] = infos["final_obs"][i][key]
            recent_ade = [*recent_ade, float(infos["final_info"]["ade"][i])][-50:]
            run.scalar("charts/episodic_ade", recent_ade[-1], global_step)
            run.scalar("charts/episodic_fde", float(infos["final_info"]["fde"][i]), global_step)
        rb.add(
            topdown=topdown,
            pose=pose,
            step=steps.copy(),
            waypoints=waypoints,
            action=actions,
            next_topdown=to_inputs.codec.encode(real_next["topdown"]),
            next_pose=pose_features(real_next["pose"], starts, world_waypoints, steps + 1),
            reward=rewards.astype(np.float32),
            done=terminations.astype(np.float32),
        )
        steps = np.where(terminations | truncations, 0, steps + 1)
        obs = next_obs

        if len(rb) >= cfg.learning_starts:  # also after a resume, which refills the replay
            for _ in range(updates_per_iteration):
                b = rb.sample(cfg.batch_size)
                loss, mean_q = learner.update(
                    to_inputs(b["topdown"], b["pose"], b["waypoints"], b["step"]),
                    to_inputs(b["next_topdown"], b["next_pose"], b["waypoints"], b["step"] + 1),
                    b,
                )
            if iteration % 25 == 0:
                run.scalar("losses/td_loss", loss, global_step)
                run.scalar("losses/q_values", mean_q, global_step)
        if iteration % 25 == 0:
            sps = (iteration - start_iteration + 1) * cfg.num_envs / (time.time() - start_time)
            run.scalar("charts/epsilon", epsilon, global_step)
            run.scalar("charts/SPS", sps, global_step)
            progress.set_postfix(
                eps=f"{epsilon:.2f}",
                sps=f"{sps:.0f}",
                updates=learner.updates,
                ade50=f"{np.mean(recent_ade or [np.nan]):.2f}",
            )

        step_after = global_step + cfg.num_envs
        wall = wall_before + time.time() - start_time
        if step_after % cfg.eval_every < cfg.num_envs and global_step >= cfg.learning_starts:
            result = evaluate()
            run.scalar("eval/mean_ade", result["mean_ade"], step_after)
            run.scalar("eval/mean_fde", result["mean_fde"], step_after)
            run.evaluation(step_after, wall, learner.updates, result)
            tqdm.write(
                f"step {step_after}: eval ADE {result['mean_ade']:.3f} m, "
                f"FDE {result['mean_fde']:.3f} m"
            )
            if result["mean_ade"] < best_ade:
                best_ade = result["mean_ade"]
                meta = run.meta(step_after, learner.updates, wall, result, DATA)
                run.save_model("best.pt", learner, cfg.model, kwargs, meta)
        if step_after % cfg.checkpoint_every < cfg.num_envs:
            run.save_state(learner, iteration=iteration + 1, best_ade=best_ade, wall_time_s=wall)

    wall = wall_before + time.time() - start_time
    run.save_state(learner, iteration=num_iterations, best_ade=best_ade, wall_time_s=wall)
    final = evaluate()
    print(
        f"final (ten evaluation sketches): ADE {final['mean_ade']:.3f} m, "
        f"FDE {final['mean_fde']:.3f} m"
    )
    meta = run.meta(cfg.total_steps, learner.updates, wall, final, DATA)
    run.finish(learner, cfg.model, kwargs, meta, final["mean_ade"] <= best_ade, cfg.export,
               reference_decision)  # fmt: skip
    envs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
