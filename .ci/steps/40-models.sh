# .ci/steps/40-models.sh: the Promela models of weft's blocking protocols
# (models/*.pml, models/README.md), each checked exhaustively with spin (3
# threads, spurious wakeups and timeouts allowed: assertions and invalid end
# states), and each broken variant (-DBUGGY=n) must be rejected, or the step
# fails (a model that accepts a known bug proves nothing).
# Sourced by .ci/run (need, step, JOBS).

need spin gcc

step "model checking (spin)" bash models/check.sh
