# .ci/steps/20-configs.sh: the whole suite in the other configurations:
# the portable parking-lot backend, ThreadSanitizer, AddressSanitizer+UBSan, clang.
# Sourced by .ci/run (need, step, JOBS are defined there).

# suite NAME CMAKE_ARGS [ENV...]: configure build-ci-NAME, build, run every test.
suite() {
  local name=$1 args=$2; shift 2
  local dir=build-ci-$name
  # shellcheck disable=SC2086
  cmake -S . -B "$dir" -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF $args >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  (cd "$dir" && env "$@" ctest --output-on-failure -j "$JOBS")
}

step "parking backend" suite parking "-DWEFT_WAIT_BACKEND=parking"
step "ThreadSanitizer" suite tsan "-DWEFT_SANITIZE=thread" \
  WEFT_TEST_TIMEOUT_FACTOR=10 WEFT_TEST_ITER_FACTOR=0.1 \
  TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
# detect_deadlocks=0: at fork() the parking backend holds all 251 bucket locks at
# once (docs/design/platform.md), more than the 64 TSan's lock-order detector can
# track (it stops with "CHECK failed: sanitizer_deadlock_detector.h:67"). Races
# are still checked; weft has no pthread mutex ordering of its own to check.
step "ThreadSanitizer, parking backend" suite tsan-parking \
  "-DWEFT_SANITIZE=thread -DWEFT_WAIT_BACKEND=parking" \
  WEFT_TEST_TIMEOUT_FACTOR=10 WEFT_TEST_ITER_FACTOR=0.1 \
  TSAN_OPTIONS="halt_on_error=1 exitcode=66 detect_deadlocks=0"
step "AddressSanitizer+UBSan" suite asan "-DWEFT_SANITIZE=address" \
  WEFT_TEST_TIMEOUT_FACTOR=5 WEFT_TEST_ITER_FACTOR=0.3 \
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
step "clang" suite clang "-DCMAKE_C_COMPILER=clang"
