#!/usr/bin/env bash
# The whole test suite, as CI runs it: the README's first command (set up the machine, then the
# demo), then build and test three variants: release (unit + mounted end-to-end tests),
# address+undefined sanitizers (the same tests) and thread sanitizer (the unit tests and the
# mounted parallel readers); then a short fuzzing run (scripts/fuzz --ci: every libFuzzer target
# replays its regression inputs and seeds and fuzzes a few seconds). Prints ctest's summary line
# for each and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# The README's first command, exactly as written there: set up the machine, then the demo (a real
# mount of the built-in sample image, listed, then unmounted).
first_command=$(awk '/^    [^ ]/ { sub(/^    /, ""); print; exit }' README.md)
echo "test: README's first command: $first_command"
bash -c "$first_command" || { echo "test: FAILED: $first_command"; exit 1; }
status=0
if ! clang-format --dry-run --Werror $(git ls-files '*.cpp' '*.h') 2> build/format.log; then
  head -20 build/format.log
  echo "test: sources are not clang-formatted (clang-format -i them)"
  status=1
fi
for variant in release asan tsan; do
  scripts/build.sh "$variant" || { status=1; continue; }
  case "$variant" in
    tsan) selection=(-L 'unit|tsan') ;;
    *) selection=() ;;
  esac
  echo "test: $variant"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  # The tests are independent (each its own temp dir, mounts and servers on free ports): run as
  # many at once as there are cores; ctest starts the longest first (COST in tests/e2e/e2e.cmake).
  (cd "build/$variant" && ctest --output-on-failure --timeout 900 -j"$(nproc)" "${selection[@]}") ||
    status=1
done
echo "test: fuzz (regression inputs, seeds and 6 s of fuzzing per target)"
scripts/fuzz --ci || status=1
if [ "$status" -eq 0 ]; then echo "test: all variants passed"; else echo "test: FAILED"; fi
exit "$status"
