#!/bin/sh
# run.sh BINDIR: run every benchmark program built in BINDIR and collect the rows
# into BINDIR/report.md. WEFT_BENCH_QUICK=1 runs each for a fraction of a second
# (CI uses it so the benchmarks never rot; its figures mean nothing).
bindir=$1
report="$bindir/report.md"
{
  echo "# weft benchmark report"
  echo
  echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
  echo
} > "$report"
status=0
found=0
for b in "$bindir"/bench-*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  if ! "$b" | tee -a "$report"; then status=1; fi
done
[ "$found" -eq 1 ] || echo "no benchmark programs built yet"
echo "report: $report"
exit $status
