#!/bin/sh
# The whole test suite: installs what is missing, builds, and runs every test with
# ctest (Check unit tests, lit/FileCheck tests, end-to-end models, ONNX backend suite).
# Slow suites (long fuzzing, large models) are not here: see tests/README.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TRN_BUILD_DIR:-$root/build}
jobs=$(nproc)

"$root/third_party/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${TRN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build"
ctest --output-on-failure -j"$jobs" "$@"
