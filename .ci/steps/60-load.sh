# .ci/steps/60-load.sh: the suite under scheduling pressure, in the default build
# (build/, made by .ci/run's `make test`):
#   - pinned to one CPU (taskset -c 0): every interleaving comes from preemption;
#   - with stress-ng --cpu 4 in the background (2x oversubscribed on 2 cores);
# first the fast suite, then the stress suite (ctest -L slow), each both ways.
# stress-ng is started and killed by this step (trap on exit, by its own pid).
# Sourced by .ci/run (need, step, JOBS).

need stress-ng util-linux

LOAD_BUILD=${WEFT_LOAD_BUILD:-build}
LOAD_ENV=(WEFT_TEST_TIMEOUT_FACTOR=${WEFT_LOAD_TIMEOUT_FACTOR:-5})
stress_pid=

stress_start() {
  stress-ng --cpu 4 --timeout 1800s --quiet &
  stress_pid=$!
  trap stress_stop EXIT
}
stress_stop() {
  if [ -n "$stress_pid" ]; then
    kill -TERM "$stress_pid" 2>/dev/null || true
    wait "$stress_pid" 2>/dev/null || true
    stress_pid=
  fi
  trap - EXIT
}

# load_suite pinned|stressed LABEL
load_suite() {
  local how=$1 label=$2 rc=0
  case $how in
    pinned) (cd "$LOAD_BUILD" && env "${LOAD_ENV[@]}" \
               taskset -c 0 ctest --output-on-failure -j "$JOBS" -L "$label") || rc=$? ;;
    stressed) stress_start
              (cd "$LOAD_BUILD" && env "${LOAD_ENV[@]}" \
                 ctest --output-on-failure -j "$JOBS" -L "$label") || rc=$?
              stress_stop ;;
  esac
  return $rc
}

cmake --build "$LOAD_BUILD" -j "$JOBS" >/dev/null
step "fast suite pinned to one CPU" load_suite pinned fast
step "fast suite under stress-ng --cpu 4" load_suite stressed fast
step "stress suite pinned to one CPU" load_suite pinned slow
step "stress suite under stress-ng --cpu 4" load_suite stressed slow
