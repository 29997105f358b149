# .ci/steps/50-coverage.sh: line and branch coverage of src/ over the whole suite
# (gcovr; -DWEFT_COVERAGE=ON builds with --coverage -fprofile-update=atomic -O0).
# Prints per-file line and branch coverage with the uncovered lines, then fails
# if the totals drop below the thresholds. The target is 95% lines and
# 90% branches of src/; the thresholds below follow what the suite reaches
# (2026-11-22, CI run of 33c9d19: 98.5% lines, 92.8% branches, futex backend),
# about 1.5 points lower for run-to-run variance of timing-dependent branches,
# and never below the target. Ratchet them up as tests land.
# Session 2 (issue 8) added deadlock detection, the lock-order checker and the
# queue ring: many of their new branches are race outcomes (a lost CAS, a record
# changing under a reader, a second confirmer) or allocation failures. With tests
# for every path that can be driven, the suite reaches 97.7% lines and about 91%
# branches (local run of the CI command, 2026-11-22), so the branch threshold is
# the target, 90, until tests for those races land.
# Sourced by .ci/run (need, step, JOBS).

need gcovr

COV_MIN_LINES=${WEFT_COV_MIN_LINES:-97}
COV_MIN_BRANCHES=${WEFT_COV_MIN_BRANCHES:-90}
COV_BUILD=build-ci-coverage

coverage() {
  cmake -S . -B "$COV_BUILD" -DWEFT_WERROR=ON -DWEFT_BUILD_BENCH=OFF -DWEFT_COVERAGE=ON >/dev/null
  cmake --build "$COV_BUILD" -j "$JOBS" >/dev/null
  find "$COV_BUILD" -name '*.gcda' -delete
  # consumers.*: compile/link checks of the installed headers and library by
  # outside programs, which do not link gcov; they say nothing about src/.
  local log; log=$(mktemp)
  (cd "$COV_BUILD" && WEFT_TEST_ITER_FACTOR=0.3 WEFT_TEST_TIMEOUT_FACTOR=5 \
     ctest --output-on-failure -j "$JOBS" -E '^consumers\.' >"$log" 2>&1) || {
    tail -80 "$log"; rm -f "$log"; echo "coverage: the suite failed in the coverage build"; return 1; }
  grep -E "tests passed|Total Test time" "$log"; rm -f "$log"
  local g=(gcovr -r "$CI_ROOT" --object-directory "$COV_BUILD" --filter "$CI_ROOT/src/")
  echo "--- line coverage of src/ (Missing = uncovered lines)"
  "${g[@]}" --txt
  echo "--- branch coverage of src/ (Missing = lines with an untaken branch)"
  "${g[@]}" --txt --branches
  # The report goes to a scratch file, never to /dev/null: gcovr 5.2 checks an
  # output path by creating the file and then unlinking it, which as root
  # deleted /dev/null itself (later redirections then made it a plain file).
  local txt; txt=$(mktemp)
  "${g[@]}" --print-summary --txt "$txt" \
    --fail-under-line "$COV_MIN_LINES" --fail-under-branch "$COV_MIN_BRANCHES" || {
    rm -f "$txt"
    echo "coverage: below the thresholds (lines >= $COV_MIN_LINES%, branches >= $COV_MIN_BRANCHES%; target 95/90)"
    return 1; }
  rm -f "$txt"
  echo "coverage: thresholds lines >= $COV_MIN_LINES%, branches >= $COV_MIN_BRANCHES% (target 95/90)"
}

step "coverage (gcovr, src/)" coverage
