#!/bin/sh
# Differential test: random ONNX graphs through the trn ISA path (interpreter, strict
# mode) and the CPU reference backend, both against numpy (tests/diff/README.md).
#
#   tests/diff/run.sh [--count 300] [--seed 1] [--ops Add,MatMul:3] [--minimize 3]
#                     [--bin BUILD/bin] [--work DIR] [--repro-dir DIR] [-v]
#
# --bin defaults to $TRN_BUILD_DIR/bin, else build/bin of the checkout; --work to
# /tmp/trn-diff-<user>. ctest runs `diff/random-300` (300 graphs, seed 1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TRN_BUILD_DIR:-$root/build}/bin
work=${TMPDIR:-/tmp}/trn-diff-$(id -un)
has_bin=0 has_work=0
for a in "$@"; do
  case $a in --bin) has_bin=1 ;; --work) has_work=1 ;; esac
done
set -- "$@"
[ $has_bin = 1 ] || set -- --bin "$bin" "$@"
[ $has_work = 1 ] || set -- --work "$work" "$@"
exec /usr/bin/python3 "$here/diff_test.py" "$@"
