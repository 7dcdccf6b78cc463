#!/bin/sh
# From a fresh checkout: install what is missing, build, compile the example MLP with
# trnc, run it in the interpreter and check it against the bundled reference output.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TRN_BUILD_DIR:-$root/build}

"$root/third_party/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== trnc examples/mlp.onnx -o mlp.neff"
"$build/bin/trnc" "$root/examples/mlp.onnx" -o "$out/mlp.neff"
echo "== trn-run mlp.neff --input mlp_input.npy --expect mlp_output.npy"
"$build/bin/trn-run" "$out/mlp.neff" --input "$root/examples/mlp_input.npy" \
  --expect "$root/examples/mlp_output.npy" --rtol 1e-3 --atol 1e-4 --stats
