# .ci/steps/70-bench-smoke.sh: build every benchmark with its peers (GLib, Go,
# CPython, gnuplot for the plots) and run each for a fraction of a second
# (WEFT_BENCH_QUICK=1), so no adapter rots. The figures of this run mean nothing.
# Sourced by .ci/run (need, step, JOBS are defined there).

bench_smoke() {
  local dir=build-ci-bench
  cmake -S . -B "$dir" -DWEFT_WERROR=ON -DWEFT_BUILD_TESTS=OFF -DWEFT_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$dir" -j "$JOBS" >/dev/null
  WEFT_BENCH_QUICK=1 cmake --build "$dir" --target bench
  local report=$dir/bench/report.md
  # Every peer was installed above: a skipped peer or a failed program fails CI.
  if grep -E 'not found|FAILED|plot failed' "$report"; then
    echo "bench smoke: a peer was skipped or a program failed (see $report)" >&2
    return 1
  fi
  ls "$dir"/bench/plot-*.png >/dev/null
}

need libglib2.0-dev golang-go gnuplot-nox pkg-config python3
step "benchmarks (quick smoke run)" bench_smoke
