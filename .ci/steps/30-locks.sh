# .ci/steps/30-locks.sh: Lock, RLock, Condition and `with` beyond the default suites:
# the WEFT_DEBUG build (use-after-destroy aborts) and the stress cases pinned to
# one CPU (lost wakeups and starvation show up differently when threads cannot
# run in parallel). Sourced by .ci/run (need, step, JOBS are defined there).

locks_debug() {
  cmake -S . -B build-ci-locks-debug -DWEFT_WERROR=ON -DWEFT_DEBUG=ON -DWEFT_BUILD_BENCH=OFF >/dev/null
  cmake --build build-ci-locks-debug -j "$JOBS" >/dev/null
  (cd build-ci-locks-debug && ctest --output-on-failure -j "$JOBS" -R '^(lock|rlock|condition|with)\.')
}

locks_one_cpu() {
  local dir=build-ci-locks-debug t
  for t in test-lock test-rlock test-condition test-with; do
    "$dir/tests/$t" --list | { grep slow || true; } | while read -r name _; do
      echo "taskset -c 0 $t $name"
      timeout 120 taskset -c 0 "$dir/tests/$t" "$name" >/dev/null
    done
  done
}

step "locks: WEFT_DEBUG build" locks_debug
step "locks: stress pinned to one CPU" locks_one_cpu
