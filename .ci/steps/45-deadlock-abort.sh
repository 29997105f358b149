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
