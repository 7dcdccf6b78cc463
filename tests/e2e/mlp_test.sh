#!/bin/sh
# End to end: examples/mlp.onnx through trnc, the .neff through the interpreter in
# strict race mode, outputs against the reference. Also checks that compiling twice
# gives a byte-identical .neff.
# usage: mlp_test.sh <bin dir> <examples dir> <work dir>
set -eu
bin=$1 examples=$2 work=$3
mkdir -p "$work"
"$bin/trnc" "$examples/mlp.onnx" -o "$work/mlp.neff"
"$bin/trnc" "$examples/mlp.onnx" -o "$work/mlp2.neff"
cmp "$work/mlp.neff" "$work/mlp2.neff"
"$bin/trn-run" "$work/mlp.neff" --strict --input "$examples/mlp_input.npy" \
  --expect "$examples/mlp_output.npy" --rtol 1e-3 --atol 1e-4 --output "$work/mlp_out.npy"
test -s "$work/mlp_out.npy"
