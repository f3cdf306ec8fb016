#!/usr/bin/env bash
# Build ros2_ws with colcon straight into the project venv (nothing to source afterwards).
# Usage: scripts/build_ws.sh   (called by `make setup`; needs the venv from requirements/ros.txt)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VIRTUAL_ENV:-$repo/.venv}"
py="$venv/bin/python"

py_inc="$("$py" -c 'import sysconfig; print(sysconfig.get_path("include"))')"
np_inc="$("$py" -c 'import numpy; print(numpy.get_include())')"

export AMENT_PREFIX_PATH="$venv"
export CMAKE_PREFIX_PATH="$venv"
export PATH="$venv/bin:$PATH"
export PYTHONNOUSERSITE=1
# colcon writes its logs here instead of ~/.colcon or the workspace root.
export COLCON_LOG_PATH="$repo/build/colcon/log"
export COLCON_HOME="$repo/build/colcon/home"

cd "$repo/ros2_ws"
# xai_core is pure Python and installed editable by pip (see Makefile); colcon builds the ROS packages.
"$venv/bin/colcon" build \
  --merge-install \
  --install-base "$venv" \
  --build-base "$repo/build/colcon/build" \
  --packages-ignore xai_core \
  --event-handlers console_direct- console_cohesion+ \
  --cmake-args \
    "-DCMAKE_PROJECT_INCLUDE=$repo/scripts/cmake/fix_wheel_include_dirs.cmake" \
    "-DXAI_PYTHON_INCLUDE_DIR=$py_inc" \
    "-DXAI_NUMPY_INCLUDE_DIR=$np_inc" \
    "-DPython3_EXECUTABLE=$py" \
    -DBUILD_TESTING=OFF \
    -Wno-dev

# colcon puts xai_nodes' console scripts in <venv>/lib/xai_nodes (where ROS looks for nodes); the
# xai-bag CLI also belongs on the venv's PATH.
ln -sf "$venv/lib/xai_nodes/xai-bag" "$venv/bin/xai-bag"
