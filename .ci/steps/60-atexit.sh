# .ci/steps/60-atexit.sh: exit-time behaviour (exit callbacks, executors shut down
# at exit) beyond the default suites: every exit and atexit case pinned to one
# CPU (the exiting thread, the workers it joins and the child programs share it:
# no hang, no reordering). Sourced by .ci/run (need, step, JOBS are defined there).

atexit_one_cpu() {
  local dir=build-ci-atexit t
  cmake -S . -B "$dir" -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j "$JOBS" --target test-exit test-atexit >/dev/null
  for t in exit/test-exit atexit/test-atexit; do
    "$dir/tests/$t" --list | while read -r name _; do
      timeout 120 taskset -c 0 "$dir/tests/$t" "$name" >/dev/null 2>&1 ||
        { echo "taskset -c 0 $t $name failed"; return 1; }
    done || return 1
  done
}

step "atexit: exit and atexit cases pinned to one CPU" atexit_one_cpu
