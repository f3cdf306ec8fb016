#!/usr/bin/env bash
# Compiles the plain-C# protocol code (Assets/XaiBridge/Protocol) with the console tests
# (Tests/) using mono's mcs, then runs them against the golden frames.
#
#   hololens_bridge/HoloLensApp/build_tests.sh [BUILD_DIR] [GOLDEN_DIR]
#
#   BUILD_DIR   where the .exe goes (default: <repo>/build/holo; never inside the source tree)
#   GOLDEN_DIR  golden frames (default: hololens_bridge/tests/golden)
#
# Exit code: 0 when every test passed, 1 when one failed, 2 for a build / usage problem.
# Needs: mono-mcs, mono-runtime (scripts/setup.sh installs them).
set -euo pipefail

app="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$app/../.." && pwd)"
build="${1:-$repo/build/holo}"
golden="${2:-$app/../tests/golden}"

for tool in mcs mono; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build_tests.sh: '$tool' not found: mono (mcs) not installed: scripts/setup.sh installs it" >&2
    exit 2
  fi
done

build="$(realpath -m "$build")"
case "$build/" in
  "$app"/*) echo "build_tests.sh: BUILD_DIR must be outside the source tree ($app)" >&2; exit 2 ;;
esac
mkdir -p "$build"

exe="$build/DecoderTests.exe"
# -warnaserror+: the protocol code must compile clean, as Unity's compiler will see it.
mcs -nologo -langversion:7 -warnaserror+ -debug- -optimize+ \
  -target:exe -out:"$exe" \
  -r:System.Core.dll \
  "$app"/Assets/XaiBridge/Protocol/*.cs "$app"/Tests/*.cs \
  || { echo "build_tests.sh: compilation failed" >&2; exit 2; }

mono "$exe" "$golden"
