#!/bin/sh
# Fuzzes one trn input surface with libFuzzer + AddressSanitizer +
# UndefinedBehaviorSanitizer. Not part of the default test command; see
# tests/fuzz/README.md.
#
#   tests/fuzz/run.sh [seconds=120] [loader|asm|run|importer]
#   tests/fuzz/run.sh smoke
#
#   loader    .neff bytes -> loader -> listing -> assembler        (fuzz_loader.c)
#   asm       listing text -> assembler -> writer -> loader        (fuzz_asm.c)
#   run       .neff bytes -> loader -> interpreter, strict and default modes (fuzz_run.c)
#   importer  .onnx bytes -> importer -> lower to ISA -> .neff     (fuzz_importer.c)
#
# loader, asm and run are built with clang-19 straight from the sources (no CMake).
# importer links libtrn_compiler.so from a CMake build configured here with clang-19,
# ASan + UBSan and -fsanitize=fuzzer-no-link (in $TRN_FUZZ_BUILD, default
# $work/build-importer; the first build takes 10-20 minutes). Seeds: the listings in
# tests/fuzz/seeds/ and the test models compiled by a trnc (loader/run), small ONNX
# models of the tests and of libonnx-testdata (importer). Work files go to
# $TRN_FUZZ_DIR (default /tmp/trn-fuzz); crashes are written there as crash-*. Runs
# under `nice`; extra libFuzzer flags can be given in $TRN_FUZZ_FLAGS.
#
# `smoke` builds the loader, asm and run targets and runs each over its seeds once,
# with no mutation: a minute or so that shows the harnesses still build against the
# current sources and pass their seeds (ctest runs it as fuzz/smoke).
set -eu
if [ "${1:-}" = smoke ]; then
  for t in loader asm run; do TRN_FUZZ_SMOKE=1 "$0" 0 "$t"; done
  exit 0
fi
secs=${1:-120}
target=${2:-loader}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${TRN_FUZZ_DIR:-/tmp/trn-fuzz}
cc=${CC:-clang-19}
nice="nice -n ${TRN_FUZZ_NICE:-10}"
case $target in
  loader|asm|run|importer) ;;
  *) echo "usage: $0 [seconds] [loader|asm|run|importer]" >&2; exit 2 ;;
esac
mkdir -p "$work/corpus-$target"

rt_srcs="$root/isa/src/*.c $root/runtime-abi/src/status.c $root/runtime-abi/src/writer.c \
      $root/runtime-abi/src/loader.c $root/runtime-abi/src/model.c $root/runtime-abi/src/assemble.c \
      $root/runtime-abi/src/outfile.c $root/runtime-abi/src/extents.c $root/runtime-abi/src/pool.c"
flags="-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -DTRN_RT_NO_INTERP=1 \
       -I$root/isa/include -I$root/runtime-abi/include -I$root/runtime-abi/src"
fuzz_flags="-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=fuzzer,address,undefined \
       -fno-sanitize-recover=undefined"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
max_len=8192
dict=""

echo "building trn-as for the seeds"
# shellcheck disable=SC2086
$nice $cc $flags -o "$work/trn-as" $rt_srcs "$root/runtime-abi/tools/trn-as.c" -lm -pthread
# .neff seeds: the listings of seeds/, and the small test models compiled by a trnc if
# one is built ($TRN_TRNC, else build/bin/trnc of the checkout).
trnc=${TRN_TRNC:-$root/build/bin/trnc}
seed_neffs() { # $1: corpus folder
  for s in "$root"/tests/fuzz/seeds/*.s; do
    "$work/trn-as" "$s" -o "$1/$(basename "$s" .s).neff"
  done
  if [ -x "$trnc" ]; then
    for m in "$root"/tests/errors/inputs/good.onnx "$root"/tests/lit/compiler/Inputs/*.onnx; do
      "$trnc" "$m" -o "$1/trnc_$(basename "$m" .onnx).neff" 2>/dev/null || true
    done
  fi
}

case $target in
  asm)
    cp "$root"/tests/fuzz/seeds/*.s "$work/corpus-asm/"
    srcs=$rt_srcs ;;
  loader)
    seed_neffs "$work/corpus-loader"
    srcs=$rt_srcs ;;
  run)
    seed_neffs "$work/corpus-run"
    # The whole runtime with the interpreter (the plain C matmul: no BLAS).
    srcs="$root/isa/src/*.c $root/runtime-abi/src/*.c"
    flags=$(echo "$flags" | sed 's/-DTRN_RT_NO_INTERP=1//') ;;
  importer)
    build=${TRN_FUZZ_BUILD:-$work/build-importer}
    echo "building libtrn_compiler.so with sanitizers in $build"
    # The sanitizers are given here rather than by TRN_SANITIZE=ON, to keep undefined
    # behaviour recoverable in the library: each UB site is reported once and fuzzing
    # goes on (an ASan error still stops it), so one known bug does not end a run.
    if [ ! -f "$build/CMakeCache.txt" ]; then
      san="-fsanitize=address,undefined -fno-omit-frame-pointer"
      CC=$cc CXX=${CXX:-clang++-19} $nice cmake -S "$root" -B "$build" -G "Unix Makefiles" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRN_SANITIZE=OFF \
        -DCMAKE_C_FLAGS="$san -fsanitize=fuzzer-no-link" -DCMAKE_CXX_FLAGS="$san" \
        -DCMAKE_SHARED_LINKER_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" \
        >"$work/cmake-importer.log"
    fi
    $nice cmake --build "$build" --target trn_compiler -j2 >"$work/build-importer.log" 2>&1 || {
      tail -20 "$work/build-importer.log"; echo "fuzz_importer: build failed"; exit 1; }
    # Seeds: the small models of the tests and one model per operator family of
    # libonnx-testdata (the example models are too large to mutate well).
    for m in "$root"/tests/lit/compiler/Inputs/*.onnx "$root"/tests/errors/inputs/*.onnx; do
      if [ -f "$m" ]; then cp "$m" "$work/corpus-importer/lit_$(basename "$m")"; fi
    done
    data=/usr/share/libonnx-testdata/data/node
    for t in test_add test_add_bcast test_matmul_2d test_matmul_3d test_gemm_default_matrix_bias \
             test_gemm_all_attributes test_relu test_sigmoid test_tanh test_softmax_axis_1 \
             test_reduce_sum_keepdims_example test_reduce_mean_default_axes_keepdims_example \
             test_transpose_default test_reshape_reordered_all_dims test_conv_with_strides_padding \
             test_maxpool_2d_default test_concat_2d_axis_0 test_slice test_gather_0 test_where_example \
             test_layer_normalization_2d_axis0 test_cast_FLOAT_to_FLOAT16 test_clip_example \
             test_sub_bcast test_mul test_div test_exp test_sqrt test_flatten_axis1 test_unsqueeze_axis_0; do
      if [ -f "$data/$t/model.onnx" ]; then cp "$data/$t/model.onnx" "$work/corpus-importer/$t.onnx"; fi
    done
    max_len=65536
    dict="-dict=$root/tests/fuzz/onnx.dict"
    ;;
esac

echo "building fuzz_$target"
if [ "$target" = importer ]; then
  # shellcheck disable=SC2086
  $nice $cc -std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L $fuzz_flags \
    -I"$root/compiler/include" -I"$root/passes/include" -I"$root/dialects/include" \
    -I"$root/isa/include" -I"$root/runtime-abi/include" -isystem /usr/lib/llvm-19/include \
    -o "$work/fuzz_importer" "$root/tests/fuzz/fuzz_importer.c" \
    -L"$build/lib" -Wl,-rpath,"$build/lib" -ltrn_compiler "$build/lib/libtrn_runtime.a" \
    "$build/lib/libtrn_isa.a" $(pkg-config --libs openblas 2>/dev/null) -lm -pthread
else
  # shellcheck disable=SC2086
  $nice $cc $flags $fuzz_flags -o "$work/fuzz_$target" $srcs "$root/tests/fuzz/fuzz_$target.c" -lm \
    -pthread
fi

cd "$work"
# Smoke mode: each input of the corpus once (-runs=0), no mutation.
limit="-max_total_time=$secs"
if [ "${TRN_FUZZ_SMOKE:-0}" = 1 ]; then
  limit="-runs=0"
  echo "running the corpus $work/corpus-$target once"
else
  echo "fuzzing for ${secs}s (corpus $work/corpus-$target)"
fi
# TRN_FUZZ_KEEP_GOING=1: libFuzzer's fork mode, which records a crash, a timeout or an
# out-of-memory input and goes on fuzzing (for long runs over known bugs).
keep=""
[ "${TRN_FUZZ_KEEP_GOING:-0}" = 1 ] && keep="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
# shellcheck disable=SC2086
$nice ./"fuzz_$target" $keep $dict $limit -max_len=$max_len -timeout=20 -rss_limit_mb=3072 \
  -print_final_stats=1 ${TRN_FUZZ_FLAGS:-} "corpus-$target" 2>&1 |
  tee "fuzz_$target.log" |
  grep -E '^(#[0-9]+ +(INITED|DONE)|stat::|==[0-9]+==ERROR|SUMMARY|artifact|INFO: fuzzed for)' || true
if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|deadly signal' "fuzz_$target.log"; then
  echo "fuzz_$target: FAILED (see $work/fuzz_$target.log)"
  exit 1
fi
echo "fuzz_$target: no failure"
