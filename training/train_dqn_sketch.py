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

import json
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
from xai_core.nav.evaluate import evaluate_sketch
from xai_core.nav.obs import (
    POSE_DIM,
    PaletteCodec,
    image_to_chw,
    sketch_pose_features,
    to_sketch_frame,
)
from xai_core.rl.dqn import (
    double_q_loss,
    epsilon_greedy,
    load_training_state,
    save_training_state,
    seed_everything,
)
from xai_core.rl.replay import ReplayBuffer, linear_schedule
from xai_sim import TOPDOWN_COLORS, IndoorNavEnv, SimConfig

STEPS = 100  # sketch length


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


def make_env(seed: int):
    def thunk() -> gym.Env:
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


def main(argv: list[str] | None = None) -> int:
    cfg = parse_dataclass_cli(Config, argv, description=__doc__.splitlines()[0])
    get_spec(cfg.model)
    run_name = cfg.run_name or f"{cfg.exp_name}__{cfg.model}__{cfg.seed}"
    run_dir = Path(cfg.runs_dir) / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    print(f"run {run_name}: {json.dumps(asdict(cfg))}")
    seed_everything(cfg.seed, cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    device = torch.device(cfg.device)

    envs = gym.vector.SyncVectorEnv(
        [make_env(cfg.seed + i) for i in range(cfg.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    kwargs = model_kwargs(cfg.model)
    q_network = build_model(cfg.model, **kwargs).to(device)
    target_network = build_model(cfg.model, **kwargs).to(device)
    target_network.load_state_dict(q_network.state_dict())
    optimizer = torch.optim.Adam(q_network.parameters(), lr=cfg.learning_rate)
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

    state_path = run_dir / "train_state.pt"
    start_iteration, updates, best_ade, wall_before = 0, 0, float("inf"), 0.0
    if state_path.exists():
        state = load_training_state(state_path, device)
        q_network.load_state_dict(state["q_network"])
        target_network.load_state_dict(state["target_network"])
        optimizer.load_state_dict(state["optimizer"])
        start_iteration, updates = int(state["iteration"]), int(state["updates"])
        best_ade, wall_before = float(state["best_ade"]), float(state["wall_time_s"])
        print(
            f"resumed from {state_path} at step {start_iteration * cfg.num_envs} "
            f"(replay refills from the current policy)"
        )

    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(run_dir))
    metrics = open(run_dir / "metrics.jsonl", "a")  # noqa: SIM115 - closed at the end

    def evaluate() -> dict:
        q_network.eval()

        def make_policy(sketch):
            waypoints = torch.from_numpy(to_sketch_frame(sketch.waypoints, sketch.start_pose))

            @torch.no_grad()
            def act(obs: dict, step: int) -> int:
                pose = sketch_pose_features(obs["pose"], sketch.start_pose)
                inputs = (
                    torch.from_numpy(image_to_chw(obs["topdown"]))[None].to(device),
                    torch.from_numpy(pose)[None].to(device),
                    waypoints[None].to(device),
                    torch.tensor([min(step, STEPS - 1)], device=device),
                )
                return int(q_network(*inputs, need_weights=False).q.argmax(1).item())

            return act

        result = evaluate_sketch(make_policy).to_dict()
        q_network.train()
        return result

    def meta(step: int, wall_s: float, evaluation: dict) -> dict:
        return {
            "config": asdict(cfg),
            "command": " ".join(sys.argv),
            "env_steps": step,
            "updates": updates,
            "wall_time_s": round(wall_s, 1),
            "evaluation": evaluation,
            "data": "xai_sim random training sketches in the named layouts; evaluated on "
            "the ten held-out evaluation sketches",
            "torch": str(torch.__version__),
        }

    def sketch_arrays() -> tuple[np.ndarray, np.ndarray]:
        """Current sketch of every env: waypoints in its frame (N, T, 2), start poses (N, 3)."""
        sketches = [env.sketch for env in envs.envs]
        frames = [to_sketch_frame(s.waypoints, s.start_pose) for s in sketches]
        return np.stack(frames), np.stack([s.start_pose for s in sketches])

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
        desc=run_name,
        unit="it",
        mininterval=10,
    )
    for iteration in progress:
        global_step = iteration * cfg.num_envs
        epsilon = linear_schedule(
            cfg.eps_start, cfg.eps_end, int(cfg.eps_fraction * cfg.total_steps), global_step
        )
        waypoints, starts = sketch_arrays()
        pose = np.stack(
            [sketch_pose_features(obs["pose"][i], starts[i]) for i in range(cfg.num_envs)]
        )
        topdown = to_inputs.codec.encode(obs["topdown"])
        with torch.no_grad():
            q = q_network(*to_inputs(topdown, pose, waypoints, steps), need_weights=False).q
        actions = epsilon_greedy(q, epsilon, rng)
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)

        real_next = {k: next_obs[k].copy() for k in ("topdown", "pose")}
        for i in np.flatnonzero(terminations | truncations):
            for key in real_next:
                real_next[key][i] = infos["final_obs"][i][key]
            recent_ade = [*recent_ade, float(infos["final_info"]["ade"][i])][-50:]
            writer.add_scalar("charts/episodic_ade", recent_ade[-1], global_step)
            writer.add_scalar(
                "charts/episodic_fde", float(infos["final_info"]["fde"][i]), global_step
            )
        next_pose = np.stack(
            [sketch_pose_features(real_next["pose"][i], starts[i]) for i in range(cfg.num_envs)]
        )
        rb.add(
            topdown=topdown,
            pose=pose,
            step=steps.copy(),
            waypoints=waypoints,
            action=actions,
            next_topdown=to_inputs.codec.encode(real_next["topdown"]),
            next_pose=next_pose,
            reward=rewards.astype(np.float32),
            done=terminations.astype(np.float32),
        )
        steps = np.where(terminations | truncations, 0, steps + 1)
        obs = next_obs

        if global_step >= cfg.learning_starts:
            for _ in range(updates_per_iteration):
                b = rb.sample(cfg.batch_size)
                loss, q_value = double_q_loss(
                    q_network,
                    target_network,
                    to_inputs(b["topdown"], b["pose"], b["waypoints"], b["step"]),
                    to_inputs(b["next_topdown"], b["next_pose"], b["waypoints"], b["step"] + 1),
                    torch.from_numpy(b["action"]).to(device),
                    torch.from_numpy(b["reward"]).to(device),
                    torch.from_numpy(b["done"]).to(device),
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
                ade50=f"{np.mean(recent_ade or [np.nan]):.2f}",
            )

        step_after = global_step + cfg.num_envs
        wall = wall_before + time.time() - start_time
        if step_after % cfg.eval_every < cfg.num_envs and global_step >= cfg.learning_starts:
            result = evaluate()
            writer.add_scalar("eval/mean_ade", result["mean_ade"], step_after)
            writer.add_scalar("eval/mean_fde", result["mean_fde"], step_after)
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
                f"step {step_after}: eval ADE {result['mean_ade']:.3f} m, "
                f"FDE {result['mean_fde']:.3f} m"
            )
            if result["mean_ade"] < best_ade:
                best_ade = result["mean_ade"]
                save_checkpoint(
                    run_dir / "best.pt",
                    q_network,
                    cfg.model,
                    kwargs,
                    meta(step_after, wall, result),
                )
        if step_after % cfg.checkpoint_every < cfg.num_envs:
            save_training_state(
                state_path,
                q_network=q_network.state_dict(),
                optimizer=optimizer.state_dict(),
                target_network=target_network.state_dict(),
                iteration=iteration + 1,
                updates=updates,
                best_ade=best_ade,
                wall_time_s=wall,
            )

    wall = wall_before + time.time() - start_time
    save_training_state(
        state_path,
        q_network=q_network.state_dict(),
        optimizer=optimizer.state_dict(),
        target_network=target_network.state_dict(),
        iteration=num_iterations,
        updates=updates,
        best_ade=best_ade,
        wall_time_s=wall,
    )
    final_eval = evaluate()
    print(
        f"final (ten evaluation sketches): ADE {final_eval['mean_ade']:.3f} m, "
        f"FDE {final_eval['mean_fde']:.3f} m"
    )
    save_checkpoint(
        run_dir / "final.pt", q_network, cfg.model, kwargs, meta(cfg.total_steps, wall, final_eval)
    )
    if final_eval["mean_ade"] <= best_ade:
        shutil.copy(run_dir / "final.pt", run_dir / "best.pt")
    if cfg.export:
        write_manifest(run_dir / "best.pt", Path(cfg.export), cfg)
    writer.close()
    metrics.close()
    envs.close()
    return 0


def write_manifest(best: Path, export: Path, cfg: Config) -> None:
    """Copy the best checkpoint to ``export`` with a manifest and a reference observation."""
    from xai_core.nav.predictor import SketchNavPredictor

    export.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(best, export)
    payload = torch.load(export, map_location="cpu", weights_only=True)
    env = IndoorNavEnv(mode="sketch")
    obs, _ = env.reset(seed=0, options={"sketch": "curve_s_hall"})
    reference = export.with_suffix(".obs.npz")
    np.savez_compressed(
        reference,
        topdown=obs["topdown"],
        pose=obs["pose"],
        waypoints=env.sketch.waypoints,
        start_pose=env.sketch.start_pose,
    )
    predictor = SketchNavPredictor.from_checkpoint(export)
    predictor.set_sketch(env.sketch.waypoints, env.sketch.start_pose)
    decision = predictor.predict(obs["topdown"], obs["pose"], 0)
    manifest = {
        "checkpoint": export.name,
        "model": cfg.model,
        "seed": cfg.seed,
        **payload["meta"],
        "reference": {
            "observation": reference.name,
            "step": 0,
            "action": decision.action,
            "q_values": [round(float(q), 6) for q in decision.q_values],
        },
    }
    export.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"exported {export}, {export.with_suffix('.json')} and {reference}")


if __name__ == "__main__":
    sys.exit(main())
