#!/bin/sh
# Fuzzes the .neff loader (and, with a second argument `asm`, the listing assembler)
# with libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer. Not part of the
# default test command.
#
#   tests/fuzz/run.sh [seconds=120] [loader|asm]
#
# Builds with clang-19 straight from the sources (no CMake), makes a seed corpus by
# assembling tests/fuzz/seeds/*.s with a plain trn-as, runs for the given time, and
# prints libFuzzer's final stats (exec count). Work files go to $TRN_FUZZ_DIR
# (default /tmp/trn-fuzz); crashes are written there as crash-*.
set -eu
secs=${1:-120}
target=${2:-loader}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${TRN_FUZZ_DIR:-/tmp/trn-fuzz}
cc=${CC:-clang-19}
mkdir -p "$work/corpus-$target"

srcs="$root/isa/src/*.c $root/runtime-abi/src/status.c $root/runtime-abi/src/writer.c \
      $root/runtime-abi/src/loader.c $root/runtime-abi/src/model.c $root/runtime-abi/src/assemble.c"
flags="-std=c11 -g -O1 -D_POSIX_C_SOURCE=200809L -DTRN_RT_NO_INTERP=1 \
       -I$root/isa/include -I$root/runtime-abi/include -I$root/runtime-abi/src"

echo "building trn-as for the seeds"
# shellcheck disable=SC2086
$cc $flags -o "$work/trn-as" $srcs "$root/runtime-abi/tools/trn-as.c" -lm
for s in "$root"/tests/fuzz/seeds/*.s; do
  name=$(basename "$s" .s)
  if [ "$target" = asm ]; then
    cp "$s" "$work/corpus-asm/$name.s"
  else
    "$work/trn-as" "$s" -o "$work/corpus-loader/$name.neff"
  fi
done

echo "building fuzz_$target"
# shellcheck disable=SC2086
$cc $flags -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -o "$work/fuzz_$target" $srcs "$root/tests/fuzz/fuzz_$target.c" -lm

cd "$work"
echo "fuzzing for ${secs}s (corpus $work/corpus-$target)"
./"fuzz_$target" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "corpus-$target" 2>&1 | tee "fuzz_$target.log" |
  grep -E '^(#[0-9]+ +(INITED|DONE)|stat::|==[0-9]+==ERROR|SUMMARY|artifact)' || true
if grep -q -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|deadly signal' "fuzz_$target.log"; then
  echo "fuzz_$target: FAILED (see $work/fuzz_$target.log)"
  exit 1
fi
echo "fuzz_$target: no failure"
