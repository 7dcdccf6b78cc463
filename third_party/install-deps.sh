#!/bin/sh
# Installs the Debian packages trn needs, if any is missing. Idempotent; needs root
# (or sudo) only when something is actually missing.
set -eu

PACKAGES="cmake make gcc g++ pkg-config
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata
  check libopenblas-dev zlib1g-dev clang-19 libclang-rt-19-dev
  python3-onnx python3-numpy"
# Only for regenerating the larger example models and for PyTorch comparisons.
OPTIONAL_PACKAGES="python3-torch python3-torchvision"

want="$PACKAGES"
if [ "${TRN_WITH_TORCH:-0}" = 1 ]; then want="$want $OPTIONAL_PACKAGES"; fi

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
