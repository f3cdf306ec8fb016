#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian 12 / Python 3.11 machine for this repo:
#   apt packages (only if missing) -> .venv -> pinned requirements -> editable pure-Python
#   packages -> colcon build of ros2_ws into the venv.
# Each step is skipped when its inputs did not change since it last succeeded (stamp files in
# .venv/.xai-stamps), so a second run takes about a second.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
venv="$repo/.venv"
stamps="$venv/.xai-stamps"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || die "Python 3.11 is required (the ROS 2 Kilted wheels are cp311); found $("$python" --version 2>&1)"

bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) bench=1 ;;  # also the benchmark peers (requirements/bench.txt: Open3D)
    *) die "unknown option '$arg' (use --bench)" ;;
  esac
done

# 1. System packages: a C/C++ toolchain and CMake for colcon's ament_cmake build; mono for the
#    HoloLens app's decoder tests; Chromium for the web viewer's browser test; npm for three.js.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
"$python" -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs mono-runtime libmono-system-core4.0-cil)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing apt packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]} with apt-get; install them and rerun"
fi

# 2. The project venv.
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  "$python" -m venv "$venv"
fi
mkdir -p "$stamps" "$repo/build"
# shellcheck disable=SC1091
source "$venv/bin/activate"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# pip, with the registry's harmless "Location ... is ignored" warnings filtered out.
pip_quiet() {
  local out rc=0
  out="$(pip install -q "$@" 2>&1)" || rc=$?
  printf '%s\n' "$out" | grep -v "is ignored: it is neither a file nor a directory" | grep -v '^$' || true
  return $rc
}

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }
up_to_date() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }

# 3. Pinned requirements (one file per concern).
req_files=(requirements/ros.txt requirements/core.txt requirements/ml.txt requirements/bridge.txt
  requirements/dev.txt requirements/bag.txt)
req_hash="$(hash_of "${req_files[@]}")"
if ! up_to_date requirements "$req_hash"; then
  log "installing pinned requirements (ROS 2 Kilted wheels, core, ml, bridge, dev)"
  req_args=()
  for f in "${req_files[@]}"; do req_args+=(-r "$f"); done
  pip_quiet "${req_args[@]}" || die "pip install of requirements/*.txt failed"
  echo "$req_hash" > "$stamps/requirements"
fi
# The Unity ML-Agents client (xai_sim.unity) after them, without dependency resolution:
# mlagents-envs 1.1.0 declares Python <= 3.10.12 and protobuf < 3.21, which this venv neither
# has nor needs (requirements/unity.txt says why; PLATFORM.md has the recipe).
if ! up_to_date unity "$(hash_of requirements/unity.txt)"; then
  log "installing the Unity ML-Agents client (requirements/unity.txt, --no-deps)"
  pip_quiet --no-deps --ignore-requires-python -r requirements/unity.txt \
    || die "pip install of requirements/unity.txt failed"
  hash_of requirements/unity.txt > "$stamps/unity"
fi
if [ "$bench" -eq 1 ] && ! up_to_date bench "$(hash_of requirements/bench.txt)"; then
  log "installing the benchmark peers (requirements/bench.txt)"
  pip_quiet -r requirements/bench.txt || die "pip install of requirements/bench.txt failed"
  hash_of requirements/bench.txt > "$stamps/bench"
fi

# 4. Pure-Python packages, editable (their code changes need no reinstall).
py_pkgs=(ros2_ws/src/xai_core unity_sim/xai_sim hololens_bridge)
py_hash="$(hash_of ros2_ws/src/xai_core/setup.py unity_sim/xai_sim/pyproject.toml \
  hololens_bridge/pyproject.toml)"
if ! up_to_date python-packages "$py_hash"; then
  log "installing editable packages: ${py_pkgs[*]}"
  for pkg in "${py_pkgs[@]}"; do
    pip_quiet --no-deps --no-build-isolation -e "$pkg" || die "pip install -e $pkg failed"
  done
  python -c 'import xai_core, xai_sim, xai_bridge' || die "editable install of the pure-Python packages failed"
  echo "$py_hash" > "$stamps/python-packages"
fi

# 5. The web viewer's front-end packages (three.js, msgpack) from the npm registry.
viewer=hololens_bridge/web_viewer
if [ -f "$viewer/package-lock.json" ]; then
  npm_hash="$(hash_of "$viewer/package.json" "$viewer/package-lock.json")"
  if ! up_to_date npm "$npm_hash" || [ ! -d "$viewer/node_modules" ]; then
    log "npm ci in $viewer"
    (cd "$viewer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "npm ci in $viewer failed"
    echo "$npm_hash" > "$stamps/npm"
  fi
fi

# 6. colcon build of the ROS packages into the venv (rebuilt when their sources change).
ws_hash="$(find ros2_ws/src scripts/build_ws.sh scripts/cmake -type f \
  -not -path '*/xai_core/*' -not -name '*.pyc' -not -path '*/test/*' -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if ! up_to_date colcon "$ws_hash"; then
  log "colcon build of ros2_ws into the venv"
  "$repo/scripts/build_ws.sh" > "$repo/build/colcon-build.log" 2>&1 \
    || { tail -40 "$repo/build/colcon-build.log" >&2; die "colcon build failed (full log: build/colcon-build.log)"; }
  python -c 'import xai_interfaces.msg, rclpy' || die "xai_interfaces does not import after the build"
  echo "$ws_hash" > "$stamps/colcon"
fi
log "ready: $(python --version), rclpy $(pip show ros-kilted-rclpy 2>/dev/null | sed -n 's/^Version: //p'), workspace built"
