#!/bin/sh
# run.sh BINDIR: run every benchmark program built in BINDIR, then the Go and
# CPython peers when they were found, collect their rows into BINDIR/results.tsv
# and write BINDIR/report.md (one markdown table per workload, ratios to the
# pthread baseline) and, when gnuplot is installed, one PNG per workload.
# WEFT_BENCH_QUICK=1 runs each for a fraction of a second (CI uses it so the
# benchmarks never rot; its figures mean nothing).
bindir=$1
. "$bindir/bench-env.sh"
src=$WEFT_BENCH_SRC
results="$bindir/results.tsv"
report="$bindir/report.md"
: > "$results"
status=0

# busy_warning WHEN: a machine line if the 1-minute load average exceeds the cores.
busy_warning() {
  awk -v n="$(nproc)" -v when="$1" '{ if ($1 > n) printf("M\tWARNING: the machine was busy at the %s of the run (load average %s on %d cores): rows measured side by side (interleaved) stay comparable, but absolute figures and thread speed-ups are depressed\n", when, $1, n) }' /proc/loadavg 2>/dev/null
}

machine() {
  cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')
  [ -n "$cpu" ] || cpu=$(uname -m)
  echo "M	CPU: $cpu; cores: $(nproc); kernel: $(uname -sr); compiler: $WEFT_BENCH_COMPILER; flags: $WEFT_BENCH_CFLAGS; load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
  if [ -n "$WEFT_BENCH_QUICK" ] && [ "$WEFT_BENCH_QUICK" != 0 ]; then
    echo "M	WEFT_BENCH_QUICK=1: smoke run, the figures mean nothing"
  fi
  busy_warning start
  [ -n "$WEFT_BENCH_GLIB" ] && echo "M	GLib $WEFT_BENCH_GLIB" || echo "M	GLib: not found (Debian package libglib2.0-dev), GLib rows skipped"
}
machine >> "$results"

# Each program gets a time limit, so a hang fails the run instead of stalling it.
limit=900
if [ -n "$WEFT_BENCH_QUICK" ] && [ "$WEFT_BENCH_QUICK" != 0 ]; then limit=120; fi
tmo=""
command -v timeout >/dev/null 2>&1 && tmo="timeout $limit"

# run LABEL CMD...: run one program, keep its rows, report a failure.
run() {
  label=$1; shift
  echo "== $label"
  if ! $tmo "$@" > "$bindir/out.tmp"; then
    echo "!! $label failed" >&2
    echo "M	$label FAILED (non-zero exit status, or over the ${limit} s limit)" >> "$results"
    status=1
  fi
  cat "$bindir/out.tmp" >> "$results"
  rm -f "$bindir/out.tmp"
}

for b in "$bindir"/bench-*; do
  case $b in *.sh|*.tsv|*.md|*.png|*.gp|*.dat|*-go-peer) continue ;; esac
  [ -f "$b" ] && [ -x "$b" ] || continue
  run "$(basename "$b")" "$b"
done

if [ -n "$WEFT_BENCH_GO_BIN" ] && [ -x "$WEFT_BENCH_GO_BIN" ]; then
  run "go peer ($(go version 2>/dev/null | cut -d' ' -f3))" "$WEFT_BENCH_GO_BIN"
  echo "M	Go: $(go version 2>/dev/null)" >> "$results"
else
  echo "M	Go: not found (Debian package golang-go), Go rows skipped" >> "$results"
fi

if [ -n "$WEFT_BENCH_PYTHON" ] && [ -x "$WEFT_BENCH_PYTHON" ]; then
  for p in "$src"/py/bench_*.py; do
    [ -f "$p" ] || continue
    run "python $(basename "$p")" "$WEFT_BENCH_PYTHON" "$p"
  done
  echo "M	CPython: $("$WEFT_BENCH_PYTHON" -c 'import sys; print(sys.version.split()[0])')" >> "$results"
else
  echo "M	CPython: python3 not found (Debian package python3), CPython rows skipped" >> "$results"
fi

echo "M	load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null) (the machine line's figures above 1 per core mean other work shared the CPUs)" >> "$results"
busy_warning end >> "$results"
"$src/report.sh" "$results" > "$report" || status=1
if [ -n "$WEFT_BENCH_GNUPLOT" ] && [ -x "$WEFT_BENCH_GNUPLOT" ]; then
  "$src/plot.sh" "$results" "$bindir" "$WEFT_BENCH_GNUPLOT" >> "$report" || status=1
else
  echo "" >> "$report"
  echo "Plots: gnuplot not found (Debian package gnuplot-nox), no PNG written." >> "$report"
fi
echo "report: $report"
exit $status
