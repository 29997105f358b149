# .ci/steps/30-valgrind.sh: the whole suite under valgrind memcheck, helgrind and
# drd, plus the checker self-test. Sourced by .ci/run (need, step, JOBS).
#
# One reduced-iteration build (-DWEFT_VALGRIND=ON: weft's happens-before
# annotations become helgrind/drd client requests) serves all three tools.
# tests/tools/valgrind-wrap runs a program under the tool WEFT_VALGRIND_TOOL
# names; any valgrind error (memcheck: also definite or indirect leaks) makes it
# exit 97. tests/tools/vg-run runs each test program once with all its cases
# (valgrind's start-up would cost ~10 minutes per tool over 360 separate
# cases); fork, exit, fault and timer cases run one process per case through CTest,
# which prefixes each test command with the wrapper (configured as
# CMAKE_CROSSCOMPILING_EMULATOR, honoured by add_test for executable targets;
# tests/CMakeLists.txt is unchanged).
#
# Self-test first: tests/selftest/racy.c has a real data race and a real leak;
# TSan, helgrind and drd must each report the race, memcheck the leak, or the
# step fails (a checker that silently stopped
# working must not pass as "0 errors").

need valgrind

VG_BUILD=build-ci-valgrind
# Scaled for valgrind (20-50x slower, threads serialised): few iterations,
# generous upper bounds (harness.h: weft_test_iters, weft_test_factor).
VG_ENV=(WEFT_TEST_ITER_FACTOR=${WEFT_VG_ITER_FACTOR:-0.02} WEFT_TEST_TIMEOUT_FACTOR=${WEFT_VG_TIMEOUT_FACTOR:-20})
# Test groups helgrind and drd cannot judge, with the reason:
#   wait    tests of the raw wait/wake layer itself: their handshakes are C11
#           atomics in the test code, which valgrind does not see as
#           synchronisation; the layer is covered under helgrind/drd through
#           every primitive built on it (and by memcheck, TSan and the models).
VG_RACE_SKIP=${WEFT_VG_RACE_SKIP:-wait}

vg_configure() {
  cmake -S . -B "$VG_BUILD" -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF -DWEFT_VALGRIND=ON \
    -DWEFT_TEST_TIMEOUT=900 \
    -DCMAKE_CROSSCOMPILING_EMULATOR="$CI_ROOT/tests/tools/valgrind-wrap" >/dev/null
  cmake --build "$VG_BUILD" -j "$JOBS" >/dev/null
  cmake --build "$VG_BUILD" -j "$JOBS" --target weft_racy >/dev/null
}

# expect_report CHECKER PATTERN CMD...: CMD must exit non-zero and print PATTERN.
expect_report() {
  local checker=$1 pat=$2; shift 2
  local log; log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    echo "selftest: $checker did NOT fail on tests/selftest/racy.c (checker not working)"
    cat "$log"; rm -f "$log"; return 1
  fi
  if ! grep -qE "$pat" "$log"; then
    echo "selftest: $checker failed without the expected report ($pat):"; cat "$log"; rm -f "$log"; return 1
  fi
  echo "selftest: $checker reported the seeded bug ($(grep -cE "$pat" "$log") report lines)"
  rm -f "$log"
}
expect_race() { local c=$1; shift; expect_report "$c" 'data race|Conflicting (load|store)' "$@"; }

vg_selftest() {
  # TSan: the same program in a ThreadSanitizer build (the 20-configs TSan build
  # folder is reused if it exists; same options, so this only builds the target).
  cmake -S . -B build-ci-tsan -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF \
    -DWEFT_SANITIZE=thread >/dev/null
  cmake --build build-ci-tsan -j "$JOBS" --target weft_racy >/dev/null
  expect_race "TSan" env TSAN_OPTIONS="exitcode=66" build-ci-tsan/tests/selftest/weft_racy race_counter
  expect_race "helgrind" env WEFT_VALGRIND_TOOL=helgrind \
    tests/tools/valgrind-wrap "$VG_BUILD/tests/selftest/weft_racy" race_counter
  expect_race "drd" env WEFT_VALGRIND_TOOL=drd \
    tests/tools/valgrind-wrap "$VG_BUILD/tests/selftest/weft_racy" race_counter
  expect_report "memcheck" 'definitely lost' env WEFT_VALGRIND_TOOL=memcheck \
    tests/tools/valgrind-wrap "$VG_BUILD/tests/selftest/weft_racy" leak_block
}

# vg_suite TOOL [SKIP_GROUPS]: every test program once under TOOL (per-case
# for fork, exit and fault), tests/tools/vg-run.
vg_suite() {
  env "${VG_ENV[@]}" JOBS="$JOBS" tests/tools/vg-run "$VG_BUILD" "$@"
}

step "valgrind: build" vg_configure
step "checker self-test (TSan, helgrind, drd: seeded race; memcheck: seeded leak)" vg_selftest
step "valgrind memcheck (errors and definite/indirect leaks)" vg_suite memcheck
echo "helgrind/drd: skipped test groups: $VG_RACE_SKIP (reason in .ci/steps/30-valgrind.sh)"
step "valgrind helgrind" vg_suite helgrind "$VG_RACE_SKIP"
step "valgrind drd" vg_suite drd "$VG_RACE_SKIP"
