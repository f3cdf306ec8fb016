"""PPO, PPO+RND and PPO+sequence-RND on Atari or the simulator's sparse multi-room task.

Issue #11. CleanRL-style (``ppo_atari.py`` / ``ppo_rnd_envpool.py``): one readable script, a
typed config, seeding, TensorBoard scalars, a progress bar, ``metrics.jsonl``, periodic
checkpoints and ``--resume``.

Methods:
  ppo      extrinsic reward only.
  rnd      RND (Burda et al. 2019): intrinsic reward ||f_1(s_t) - f_2(s_t)||^2.
  seq_rnd  ours: the RND input is the queue [s_t, ..., s_{t-n}] (``--seq-len`` = n + 1 = 5),
           shifted at every step, reset to zeros at the end of an episode.
Both curiosity methods use separate extrinsic / intrinsic value heads, gamma_ext = 0.999,
gamma_int = 0.99 (intrinsic stream non-episodic), advantage = 2 * A_ext + 1 * A_int,
observation normalisation initialised from random-agent steps and intrinsic rewards divided by
the running std of their discounted return.

CPU-sized runs (what was run here; all of them: training/configs/curiosity_cpu_runs.sh):
  python training/train_ppo_curiosity.py --method seq_rnd --env multiroom --seed 1 \
      --total-steps 400000 --resume
  python training/train_ppo_curiosity.py --method rnd --env ALE/MontezumaRevenge-v5 \
      --num-envs 4 --learning-rate 1e-4 --total-steps 10000 --resume
Full scale (GPU, RND paper settings):
  python training/train_ppo_curiosity.py --method seq_rnd --env ALE/MontezumaRevenge-v5 \
      --num-envs 128 --async-envs --device cuda --learning-rate 1e-4 --threads 8 \
      --total-steps 25000000   # 1e8 frames (RND paper: 128 envs, up to 1.6e9 frames)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
for sub in ("ros2_ws/src/xai_core", "unity_sim/xai_sim"):
    if str(ROOT / sub) not in sys.path:
        sys.path.insert(0, str(ROOT / sub))

from xai_core.rl.atari import make_atari_env  # noqa: E402
from xai_core.rl.ppo import (  # noqa: E402
    ActorCritic,
    RolloutStorage,
    compute_gae,
    explained_variance,
    ppo_loss,
)
from xai_core.rl.rnd import (  # noqa: E402
    IntrinsicRewardNormalizer,
    RNDModel,
    RunningMeanStd,
    normalize_obs,
)
from xai_core.rl.sequence import SequenceQueue  # noqa: E402
from xai_sim.multiroom import MultiRoomEnv  # noqa: E402

METHODS = ("ppo", "rnd", "seq_rnd")


@dataclass
class Config:
    method: str = "seq_rnd"
    env: str = "multiroom"  # "multiroom" or a gymnasium Atari id
    seed: int = 1
    num_envs: int = 8
    num_steps: int = 128  # rollout length per env
    total_steps: int = 200_000  # agent steps summed over envs (Atari frames = 4x)
    seq_len: int = 5  # n + 1 states in the sequence-RND input (rnd uses 1)
    learning_rate: float = 2.5e-4
    gamma: float = 0.999  # extrinsic
    int_gamma: float = 0.99  # intrinsic (non-episodic)
    gae_lambda: float = 0.95
    num_minibatches: int = 4
    update_epochs: int = 4
    clip_coef: float = 0.1
    ent_coef: float = 0.001
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    ext_coef: float = 2.0
    int_coef: float = 1.0
    update_proportion: float = 0.25
    obs_norm_init_steps: int = 50  # vector steps of a random agent (not counted in total_steps)
    hidden: int = 256
    # multiroom
    rooms_rows: int = 3
    rooms_cols: int = 4
    room_size: int = 5
    max_episode_steps: int = 300
    layout_seed: int = 0
    # atari
    sticky_prob: float = 0.25
    episodic_life: bool = False
    atari_max_episode_steps: int = 4500
    # run
    device: str = "cpu"
    async_envs: bool = False  # one subprocess per env (GPU machines with many cores)
    threads: int = 1
    runs_dir: str = "out/curiosity"
    run_name: str = ""
    checkpoint_every: int = 10  # iterations
    resume: bool = False
    progress: bool = True


def parse_args(argv: list[str] | None = None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for f in dataclasses.fields(Config):
        flag = "--" + f.name.replace("_", "-")
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            typ = {"int": int, "float": float, "str": str}[str(f.type)]
            kwargs: dict[str, Any] = {"choices": METHODS} if f.name == "method" else {}
            parser.add_argument(flag, type=typ, default=f.default, **kwargs)
    cfg = Config(**vars(parser.parse_args(argv)))
    if cfg.method == "rnd":
        cfg.seq_len = 1
    if not cfg.run_name:
        cfg.run_name = f"{env_tag(cfg.env)}/{cfg.method}_s{cfg.seed}"
    return cfg


def env_tag(env_id: str) -> str:
    """Short directory-safe name: ``multiroom``, ``MontezumaRevenge``, ..."""
    if env_id == "multiroom":
        return "multiroom"
    return env_id.split("/")[-1].replace("NoFrameskip-v4", "").replace("-v5", "")


def make_env_fn(cfg: Config, idx: int):
    def thunk() -> gym.Env:
        if cfg.env == "multiroom":
            env: gym.Env = MultiRoomEnv(
                rows=cfg.rooms_rows,
                cols=cfg.rooms_cols,
                room_size=cfg.room_size,
                max_steps=cfg.max_episode_steps,
                layout_seed=cfg.layout_seed,
                sticky_prob=cfg.sticky_prob,
            )
            return gym.wrappers.RecordEpisodeStatistics(env)
        return make_atari_env(
            cfg.env,
            sticky_prob=cfg.sticky_prob,
            episodic_life=cfg.episodic_life,
            max_episode_steps=cfg.atari_max_episode_steps,
        )

    return thunk


def make_envs(cfg: Config) -> gym.vector.VectorEnv:
    """Vector env with same-step autoreset (``info["final_obs"]`` holds the last observation);
    one process per env with ``--async-envs`` (full-scale Atari), else all in this process."""
    cls = gym.vector.AsyncVectorEnv if cfg.async_envs else gym.vector.SyncVectorEnv
    return cls(
        [make_env_fn(cfg, i) for i in range(cfg.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )


def final_frames(next_obs: np.ndarray, infos: dict[str, Any], done: np.ndarray) -> np.ndarray:
    """Newest frame ``(N, H, W)`` of the state reached by each transition (the final
    observation where the episode ended; ``next_obs`` is then already the reset one)."""
    frames = next_obs[:, -1].copy()
    if done.any() and "final_obs" in infos:
        for i in np.flatnonzero(done):
            frames[i] = np.asarray(infos["final_obs"][i])[-1]
    return frames


def step_rooms(infos: dict[str, Any], done: np.ndarray) -> list[int]:
    """Room id reached by each env's transition (the final room where it ended), or -1."""
    if "room" not in infos:
        return [-1] * len(done)
    rooms = [int(r) for r in infos["room"]]
    if done.any() and "final_info" in infos and "room" in infos["final_info"]:
        for i in np.flatnonzero(done):
            rooms[i] = int(infos["final_info"]["room"][i])
    return rooms


def episode_stats(infos: dict[str, Any], done: np.ndarray) -> list[tuple[int, float, int]]:
    """``(env index, return, length)`` of the episodes that ended this step (raw score)."""
    fi = infos.get("final_info", {})
    if "episode" not in fi:
        return []
    mask = fi.get("_episode", done)
    return [
        (int(i), float(fi["episode"]["r"][i]), int(fi["episode"]["l"][i]))
        for i in np.flatnonzero(mask)
    ]


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    cfg = parse_args(argv)
    run_dir = Path(cfg.runs_dir) / cfg.run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    device = torch.device(cfg.device)
    curious = cfg.method != "ppo"

    envs = make_envs(cfg)
    obs_shape = envs.single_observation_space.shape
    frame_shape = obs_shape[1:]
    num_actions = int(envs.single_action_space.n)
    agent = ActorCritic(obs_shape, num_actions, cfg.hidden).to(device)
    params = list(agent.parameters())
    rnd: RNDModel | None = None
    rnd_shape = (cfg.seq_len, *frame_shape)
    if curious:
        rnd = RNDModel(rnd_shape, hidden=cfg.hidden).to(device)
        params += list(rnd.predictor.parameters())
    optimizer = torch.optim.Adam(params, lr=cfg.learning_rate, eps=1e-5)
    obs_rms = RunningMeanStd(rnd_shape)
    int_norm = IntrinsicRewardNormalizer(cfg.int_gamma)
    queue = SequenceQueue(cfg.num_envs, cfg.seq_len, frame_shape)
    storage = RolloutStorage.create(
        cfg.num_steps, cfg.num_envs, obs_shape, rnd_shape if curious else None, device
    )
    batch_size = cfg.num_envs * cfg.num_steps
    minibatch_size = batch_size // cfg.num_minibatches
    num_iterations = max(1, cfg.total_steps // batch_size)

    ckpt_path = run_dir / "checkpoint.pt"
    metrics_path = run_dir / "metrics.jsonl"
    start_iter, global_step, wall_offset = 1, 0, 0.0
    rooms_seen: set[int] = set()
    if cfg.resume and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        agent.load_state_dict(state["agent"])
        optimizer.load_state_dict(state["optimizer"])
        if rnd is not None:
            rnd.load_state_dict(state["rnd"])
        obs_rms.load_state_dict(state["obs_rms"])
        int_norm.load_state_dict(state["int_norm"])
        start_iter, global_step = state["iteration"] + 1, state["global_step"]
        wall_offset, rooms_seen = state["wall_time_s"], set(state["rooms_seen"])
        np.random.set_state(state["np_rng"])
        torch.set_rng_state(state["torch_rng"])
        # Drop metrics written after the checkpoint so the log has no duplicates.
        if metrics_path.exists():
            kept = [
                line
                for line in metrics_path.read_text().splitlines()
                if json.loads(line)["step"] <= global_step
            ]
            metrics_path.write_text("".join(k + "\n" for k in kept))
    elif metrics_path.exists():
        metrics_path.unlink()
    writer = SummaryWriter(str(run_dir / "tb"))
    metrics = metrics_path.open("a")

    def log(record: dict[str, Any]) -> None:
        metrics.write(json.dumps(record) + "\n")

    # Environments restart on resume (their emulator state is not saved).
    next_obs, infos = envs.reset(seed=cfg.seed + 1000 * (start_iter - 1))
    queue.reset(first_frames=next_obs[:, -1])
    for r in step_rooms(infos, np.zeros(cfg.num_envs, dtype=bool)):
        if r >= 0:
            rooms_seen.add(r)

    if curious and start_iter == 1:
        # Observation statistics of the RND input from random-agent steps (RND paper).
        init_queue = SequenceQueue(cfg.num_envs, cfg.seq_len, frame_shape)
        init_queue.reset(first_frames=next_obs[:, -1])
        batch = []
        for _ in range(cfg.obs_norm_init_steps):
            o, _, term, trunc, inf = envs.step(envs.action_space.sample())
            done = np.logical_or(term, trunc)
            batch.append(init_queue.push(final_frames(o, inf, done)).copy())
            init_queue.reset(done, o[:, -1])
            if len(batch) == cfg.num_steps:
                obs_rms.update(np.concatenate(batch).astype(np.float64))
                batch = []
        if batch:
            obs_rms.update(np.concatenate(batch).astype(np.float64))
        next_obs, infos = envs.reset(seed=cfg.seed)
        queue.reset(first_frames=next_obs[:, -1])

    t0 = time.time()
    next_obs_t = torch.as_tensor(next_obs, device=device)
    recent_returns: list[float] = []
    bar = tqdm(
        total=num_iterations * batch_size,
        initial=(start_iter - 1) * batch_size,
        disable=not cfg.progress,
        desc=f"{cfg.method} {env_tag(cfg.env)} s{cfg.seed}",
        unit="step",
    )
    payload: dict[str, Any] | None = None  # stays None when a resumed run is already done
    for iteration in range(start_iter, num_iterations + 1):
        ep_returns: list[float] = []
        for step in range(cfg.num_steps):
            global_step += cfg.num_envs
            storage.obs[step] = next_obs_t
            with torch.no_grad():
                action, logprob, _, v_ext, v_int = agent.get_action_and_value(next_obs_t)
            storage.actions[step], storage.logprobs[step] = action, logprob
            storage.ext_values[step], storage.int_values[step] = v_ext, v_int
            next_obs, reward, term, trunc, infos = envs.step(action.cpu().numpy())
            done = np.logical_or(term, trunc)
            storage.ext_rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            storage.dones[step] = torch.as_tensor(done, dtype=torch.float32)
            # State queue [s_{t+1}, s_t, ..., s_{t+1-n}] of this transition, then reset at the
            # end of an episode (zeros + the first state of the new episode).
            seq = queue.push(final_frames(next_obs, infos, done))
            if curious:
                seq_t = torch.as_tensor(seq, device=device)
                storage.rnd_inputs[step] = seq_t
                storage.int_rewards[step] = rnd.intrinsic_reward(normalize_obs(seq_t, obs_rms))
            queue.reset(done, next_obs[:, -1])
            next_obs_t = torch.as_tensor(next_obs, device=device)
            for r in step_rooms(infos, done):
                if r >= 0:
                    rooms_seen.add(r)
            for env_i, ret, length in episode_stats(infos, done):
                ep_returns.append(ret)
                writer.add_scalar("charts/episodic_return", ret, global_step)
                log(
                    {
                        "type": "episode",
                        "step": global_step,
                        "env": env_i,
                        "return": ret,
                        "length": length,
                    }
                )
        bar.update(batch_size)

        # Intrinsic rewards: normalise by the running std of the intrinsic return.
        int_raw = storage.int_rewards.cpu().numpy().copy()
        if curious:
            int_norm.update(int_raw)
            storage.int_rewards.copy_(torch.as_tensor(int_norm.normalize(int_raw)))
            obs_rms.update(storage.rnd_inputs.reshape(-1, *rnd_shape).cpu().numpy())
        with torch.no_grad():
            last_ext, last_int = agent.get_value(next_obs_t)
        ext_adv, ext_ret = compute_gae(
            storage.ext_rewards,
            storage.ext_values,
            storage.dones,
            last_ext,
            cfg.gamma,
            cfg.gae_lambda,
        )
        advantages = ext_adv
        int_ret = None
        if curious:
            int_adv, int_ret = compute_gae(
                storage.int_rewards,
                storage.int_values,
                storage.dones,
                last_int,
                cfg.int_gamma,
                cfg.gae_lambda,
                episodic=False,
            )
            advantages = cfg.ext_coef * ext_adv + cfg.int_coef * int_adv

        b_obs = storage.obs.reshape(-1, *obs_shape)
        b_actions = storage.actions.reshape(-1)
        b_logprobs = storage.logprobs.reshape(-1)
        b_adv = advantages.reshape(-1)
        b_ext_ret = ext_ret.reshape(-1)
        b_int_ret = None if int_ret is None else int_ret.reshape(-1)
        b_rnd = None if not curious else storage.rnd_inputs.reshape(-1, *rnd_shape)
        stats: dict[str, float] = {}
        for _ in range(cfg.update_epochs):
            perm = torch.randperm(batch_size, device=device)
            for start in range(0, batch_size, minibatch_size):
                mb = perm[start : start + minibatch_size]
                _, new_logprob, entropy, new_ext, new_int = agent.get_action_and_value(
                    b_obs[mb], b_actions[mb]
                )
                mb_adv = b_adv[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                loss, stats = ppo_loss(
                    new_logprob,
                    b_logprobs[mb],
                    mb_adv,
                    entropy,
                    new_ext,
                    b_ext_ret[mb],
                    new_int if curious else None,
                    None if b_int_ret is None else b_int_ret[mb],
                    cfg.clip_coef,
                    cfg.ent_coef,
                    cfg.vf_coef,
                )
                if curious:
                    fwd_loss = rnd.loss(normalize_obs(b_rnd[mb], obs_rms), cfg.update_proportion)
                    loss = loss + fwd_loss
                    stats["rnd_loss"] = fwd_loss.item()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()

        recent_returns = (recent_returns + ep_returns)[-100:]
        elapsed = wall_offset + time.time() - t0
        sps = (iteration - start_iter + 1) * batch_size / max(time.time() - t0, 1e-9)
        record = {
            "type": "iteration",
            "step": global_step,
            "iteration": iteration,
            "rooms_visited": len(rooms_seen),
            "rooms": sorted(rooms_seen),
            "int_reward_raw_mean": float(int_raw.mean()),
            "int_reward_mean": float(storage.int_rewards.mean()),
            "ext_reward_sum": float(storage.ext_rewards.sum()),
            "episodes": len(ep_returns),
            "return_mean_100": float(np.mean(recent_returns)) if recent_returns else None,
            "explained_var_ext": explained_variance(
                storage.ext_values.cpu().numpy().ravel(), ext_ret.cpu().numpy().ravel()
            ),
            "sps": sps,
            "wall_time_s": elapsed,
            **stats,
        }
        log(record)
        metrics.flush()
        for key in ("rooms_visited", "int_reward_raw_mean", "int_reward_mean", "sps", *stats):
            writer.add_scalar(f"charts/{key}", record[key], global_step)
        bar.set_postfix(rooms=len(rooms_seen), ret=record["return_mean_100"], sps=int(sps))

        payload = {
            "config": dataclasses.asdict(cfg),
            "agent": agent.state_dict(),
            "rnd": None if rnd is None else rnd.state_dict(),
            "optimizer": optimizer.state_dict(),
            "obs_rms": obs_rms.state_dict(),
            "int_norm": int_norm.state_dict(),
            "iteration": iteration,
            "global_step": global_step,
            "wall_time_s": elapsed,
            "rooms_seen": sorted(rooms_seen),
            "np_rng": np.random.get_state(),
            "torch_rng": torch.get_rng_state(),
            "obs_shape": obs_shape,
            "num_actions": num_actions,
        }
        if iteration % cfg.checkpoint_every == 0 or iteration == num_iterations:
            save_checkpoint(ckpt_path, payload)
    bar.close()
    if payload is not None:
        save_checkpoint(run_dir / "final.pt", payload)
    metrics.close()
    writer.close()
    envs.close()
    summary = {
        "run_dir": str(run_dir),
        "global_step": global_step,
        "rooms_visited": len(rooms_seen),
        "rooms": sorted(rooms_seen),
        "wall_time_s": wall_offset if payload is None else payload["wall_time_s"],
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    print(json.dumps(main()))
