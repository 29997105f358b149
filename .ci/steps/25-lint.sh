# .ci/steps/25-lint.sh: sleeps in tests that may order threads (TEAM.md: order
# threads with handshakes, never sleeps). tests/tools/lint-sleeps lists every
# sleep that is neither a polling loop nor justified by a comment ("not for
# ordering", "does not depend", "not needed for correctness", "sleep-ok: <why>");
# any such sleep fails CI.
# Sourced by .ci/run (need, step, JOBS).

lint_sleeps() {
  if tests/tools/lint-sleeps; then
    echo "lint-sleeps: no unjustified sleeps in tests"
  else
    echo "lint-sleeps: the sleeps above need a handshake or a justification comment"; return 1
  fi
}

step "lint: sleeps in tests" lint_sleeps
