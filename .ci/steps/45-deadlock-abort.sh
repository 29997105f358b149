# .ci/steps/45-deadlock-abort.sh: no false deadlock report anywhere in the suite.
# Deadlock detection is on by default (mode report); here every test of the default
# build runs again with WEFT_DEADLOCK=abort, so a report that a test did not ask
# for kills that test. Tests that provoke deadlocks on purpose set their mode with
# weft_deadlock_set_mode, which overrides the environment.
# Sourced by .ci/run (need, step, JOBS are defined there).

deadlock_abort() {
  (cd build && WEFT_DEADLOCK=abort WEFT_TEST_TIMEOUT_FACTOR=3 \
     ctest --output-on-failure -j"$JOBS")
}

step "whole suite with WEFT_DEADLOCK=abort (no false reports)" deadlock_abort

# The lock-order checker and the statistics on for the whole suite: every test
# still passes, and no order inversion among weft's own locks is reported (the
# one example that inverts two locks on purpose, seed004_deadlock, is left out).
lock_order_suite() {
  local log; log=$(mktemp)
  if ! (cd build && WEFT_LOCK_ORDER=1 WEFT_LOCK_STATS=1 WEFT_TEST_TIMEOUT_FACTOR=3 \
          ctest -V -j"$JOBS" -E '^example\.seed004_deadlock$') >"$log" 2>&1; then
    grep -E "\*\*\*|FAIL" "$log" | head -40; rm -f "$log"; return 1
  fi
  if grep -q "lock-order inversion" "$log"; then
    echo "lock-order inversions reported by the suite:"; grep -A3 "lock-order inversion" "$log" | head -40
    rm -f "$log"; return 1
  fi
  rm -f "$log"
}

step "whole suite with WEFT_LOCK_ORDER=1 WEFT_LOCK_STATS=1 (no inversion in weft)" lock_order_suite
