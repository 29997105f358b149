# .ci/steps/50-futures.sh: futures and the thread pool beyond the default suites:
# the WEFT_DEBUG build, and every futures case pinned to one CPU (the executor's
# idle spin and result()'s spin must never turn into a hang or a crawl when the
# spinner and the thread it waits for share a CPU). Sourced by .ci/run (need,
# step, JOBS are defined there).

futures_debug() {
  cmake -S . -B build-ci-futures-debug -DWEFT_WERROR=ON -DWEFT_DEBUG=ON -DWEFT_BUILD_BENCH=OFF >/dev/null
  cmake --build build-ci-futures-debug -j "$JOBS" >/dev/null
  (cd build-ci-futures-debug && ctest --output-on-failure -j "$JOBS" -R '^(future|wait-futures|executor)\.')
}

futures_one_cpu() {
  local dir=build-ci-futures-debug t
  for t in test-future test-wait-futures test-executor; do
    "$dir/tests/$t" --list | while read -r name _; do
      timeout 120 taskset -c 0 "$dir/tests/$t" "$name" >/dev/null 2>&1 ||
        { echo "taskset -c 0 $t $name failed"; return 1; }
    done
  done
}

step "futures: WEFT_DEBUG build" futures_debug
step "futures: every case pinned to one CPU" futures_one_cpu
