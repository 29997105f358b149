# .ci/steps/80-demo.sh: the README's first command, `make demo` (the tour of the
# seed examples), in the default build folder that `make test` already built.
# Each example's output is checked by its CTest test (label "examples"); this
# step checks that the tour itself runs and ends with its summary line.
demo_tour() {
  local log; log=$(mktemp)
  if ! make demo >"$log" 2>&1; then cat "$log"; rm -f "$log"; return 1; fi
  tail -n 3 "$log"
  grep -qE '^=== tour: [0-9]+ examples run, 0 failed' "$log" || { cat "$log"; rm -f "$log"; return 1; }
  rm -f "$log"
}
step "make demo" demo_tour
