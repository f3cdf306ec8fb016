#!/usr/bin/env bash
# Compiles the plain-C# navigation rules (Assets/HSRNav/Rules) and the UnityEngine-free parts of the
# runtime (LayoutData.cs, SubgoalPlanner.cs) with the console tests (Tests/) using mono's mcs, then
# replays the Python simulator's parity vectors through the rules and plans tasks in the exported
# layouts (Assets/StreamingAssets/HSRNav).
#
#   unity_sim/UnityProject/build_tests.sh [BUILD_DIR] [VECTORS_JSON]
#
#   BUILD_DIR     where the .exe goes (default: <repo>/build/unity_rules; never inside the source tree)
#   VECTORS_JSON  parity vectors (default: Tests/parity_vectors.json; write fresh ones with
#                 `python -m xai_sim.parity PATH`)
#
# The JSON reader of the tests is the HoloLens app's test helper
# (hololens_bridge/HoloLensApp/Tests/MiniJson.cs), compiled in by path, not copied.
#
# Exit code: 0 when every test passed, 1 when one failed, 2 for a build / usage problem.
# Needs: mono-mcs, mono-runtime (scripts/setup.sh installs them).
set -euo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$app/../.." && pwd)"
build="${1:-$repo/build/unity_rules}"
vectors="${2:-$app/Tests/parity_vectors.json}"
minijson="$repo/hololens_bridge/HoloLensApp/Tests/MiniJson.cs"

for tool in mcs mono; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build_tests.sh: '$tool' not found: mono (mcs) not installed: scripts/setup.sh installs it" >&2
    exit 2
  fi
done
if [[ ! -f "$vectors" ]]; then
  echo "build_tests.sh: no parity vectors at $vectors" >&2
  exit 2
fi
if [[ ! -f "$minijson" ]]; then
  echo "build_tests.sh: the JSON reader $minijson is missing" >&2
  exit 2
fi

build="$(realpath -m "$build")"
case "$build/" in
  "$app"/*) echo "build_tests.sh: BUILD_DIR must be outside the source tree ($app)" >&2; exit 2 ;;
esac
mkdir -p "$build"

exe="$build/NavRulesTests.exe"
# -warnaserror+: the code must compile clean, as Unity's compiler will see it. No reference beyond
# the base class library: the Rules assembly has noEngineReferences, and the two runtime files use
# no UnityEngine type.
mcs -nologo -langversion:7 -warnaserror+ -debug- -optimize+ \
  -target:exe -out:"$exe" \
  "$app"/Assets/HSRNav/Rules/*.cs \
  "$app"/Assets/HSRNav/Runtime/LayoutData.cs "$app"/Assets/HSRNav/Runtime/SubgoalPlanner.cs \
  "$app"/Tests/*.cs "$minijson" \
  || { echo "build_tests.sh: compilation failed" >&2; exit 2; }

mono "$exe" "$vectors" "$app/Assets/StreamingAssets/HSRNav"
