#!/usr/bin/env bash
# CPU-sized runs of issue #11 (what docs/figures/curiosity_* were made from).
# Three queues (one per seed) run side by side; every run resumes from its checkpoint when
# re-launched. Usage: bash training/configs/curiosity_cpu_runs.sh [steps] [atari_steps]
set -u
cd "$(dirname "$0")/../.."
STEPS=${1:-200000}
ATARI_STEPS=${2:-10000}
PY=.venv/bin/python
LOG=out/curiosity/logs
mkdir -p "$LOG"
queue() {
  local seed=$1; shift
  for method in "$@"; do
    $PY training/train_ppo_curiosity.py --method "$method" --env multiroom --seed "$seed" \
      --total-steps "$STEPS" --resume --no-progress > "$LOG/multiroom_${method}_s${seed}.log" 2>&1
  done
}
atari() {
  $PY training/train_ppo_curiosity.py --method "$1" --env ALE/MontezumaRevenge-v5 --seed 1 \
    --num-envs 4 --learning-rate 1e-4 --total-steps "$ATARI_STEPS" --checkpoint-every 2 \
    --resume --no-progress > "$LOG/montezuma_$1_s1.log" 2>&1
}
(queue 1 ppo rnd seq_rnd; atari ppo) &
(queue 2 rnd seq_rnd ppo; atari rnd) &
(queue 3 seq_rnd ppo rnd; atari seq_rnd) &
wait
