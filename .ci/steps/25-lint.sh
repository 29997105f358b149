# .ci/steps/25-lint.sh: sleeps in tests that may order threads (TEAM.md: order
# threads with handshakes, never sleeps). tests/tools/lint-sleeps lists every
# sleep that is neither a polling loop nor justified by a comment ("not for
# ordering", "does not depend", "sleep-ok: <why>"). Warns only, unless
# WEFT_LINT_SLEEPS_STRICT=1 (switch it on once the list is empty).
# Sourced by .ci/run (need, step, JOBS).

lint_sleeps() {
  if tests/tools/lint-sleeps; then
    echo "lint-sleeps: no unjustified sleeps in tests"
  elif [ "${WEFT_LINT_SLEEPS_STRICT:-0}" = 1 ]; then
    echo "lint-sleeps: the sleeps above need a handshake or a justification comment"; return 1
  else
    echo "lint-sleeps: WARNING: the sleeps above need a handshake or a justification comment"
  fi
}

step "lint: sleeps in tests" lint_sleeps
