#!/bin/sh
# report.sh RESULTS.tsv: turn the rows of every benchmark (format: bench/bench.h)
# into markdown: the machine lines, one table per workload with each row's speed
# relative to the pthread baseline of the same run, the notes, and a check of
# weft's targets. "vs pthread" is always "times as fast as the baseline":
# value/base for higher-is-better units, base/value for lower-is-better ones, so
# above 1 means faster (or smaller) than the hand-written pthread version.
exec awk -F'\t' '
function ratio(w, v, dir,   b) {
  if (!(w in base) || base[w] == 0 || v == 0) return ""
  b = base[w]
  return (dir == "higher") ? v / b : b / v
}
function fmt(x) { return (x == "") ? "–" : sprintf("%.2fx", x) }
function num(x) { return sprintf("%.4g", x) }
function val(w, impl) { return ((w SUBSEP impl) in med) ? med[w, impl] : "" }
function target(what, w, impl, ok, have, shown) {
  if (!have) { printf("| %s | %s | not measured (weft object not available or peer missing) |\n", what, "–"); return }
  printf("| %s | %s | %s |\n", what, shown, ok ? "met" : "**NOT met**")
}
$1 == "M" { machine[++nm] = $2; next }
$1 == "N" { if (!($2 in seen)) { seen[$2] = 1; order[++nw] = $2 }
            notes[$2] = notes[$2] "- " $3 "\n"; next }
$1 == "R" {
  w = $2
  if (!(w in seen)) { seen[w] = 1; order[++nw] = w }
  n = ++count[w]
  impl[w, n] = $3; m[w, n] = $4; lo[w, n] = $5; hi[w, n] = $6; unit[w, n] = $7
  dir[w, n] = $8; role[w, n] = $9
  med[w, $3] = $4
  if ($9 == "base" && !(w in base)) base[w] = $4
  next
}
END {
  print "# weft benchmark report"
  print ""
  for (i = 1; i <= nm; i++) print "- " machine[i]
  print ""
  print "\"vs pthread\": times as fast as the hand-written pthread baseline (first row marked *baseline*) in the same run; above 1 is better. Median of 5 timed repetitions after a warm-up; min and max beside it."
  print ""
  for (k = 1; k <= nw; k++) {
    w = order[k]
    print "## " w
    print ""
    if (count[w] > 0) {
      print "| implementation | median | min | max | unit | vs pthread |"
      print "|---|---:|---:|---:|---|---:|"
      for (j = 1; j <= count[w]; j++) {
        name = impl[w, j]
        if (role[w, j] == "weft") name = "**" name "**"
        if (role[w, j] == "base") name = name " *baseline*"
        r = ratio(w, m[w, j], dir[w, j])
        printf("| %s | %s | %s | %s | %s | %s |\n", name, num(m[w, j]), num(lo[w, j]),
               num(hi[w, j]), unit[w, j] " (" dir[w, j] " is better)", fmt(r))
      }
      print ""
    }
    if (notes[w] != "") { printf("%s", notes[w]); print "" }
  }
  print "## weft against its targets"
  print ""
  print "| target | measured | verdict |"
  print "|---|---|---|"
  w = "lock uncontended"; v = val(w, "weft Lock")
  target("Lock uncontended >= 1.7x pthread_mutex", w, "", v != "" && ratio(w, v, "higher") >= 1.7, v != "", fmt(ratio(w, v, "higher")))
  for (t = 2; t <= 4; t += 2) {
    w = "lock contended " t "T"; v = val(w, "weft Lock")
    target("Lock contended " t " threads >= 1.3x pthread_mutex", w, "", v != "" && ratio(w, v, "higher") >= 1.3, v != "", fmt(ratio(w, v, "higher")))
  }
  w = "lock fairness 4T"; v = val(w, "weft Lock")
  target("no starving thread (fairness min/max >= 0.1)", w, "", v != "" && v >= 0.1, v != "", (v == "" ? "" : sprintf("%.2f", v)))
  w = "handoff round trip"; v = val(w, "weft Event"); f = val(w, "raw futex event")
  target("Event handoff within 5% of a raw futex event", w, "", v != "" && f != "" && v <= 1.05 * f, v != "" && f != "", (v == "" || f == "") ? "" : sprintf("%.3g us vs %.3g us (%+.1f%%)", v, f, (v / f - 1) * 100))
  split("1p1c 2p2c", qs, " ")
  for (q = 1; q <= 2; q++) {
    w = "queue " qs[q]; v = val(w, "weft Queue"); g = val(w, "Go chan (buffered 1024)")
    target("Queue " qs[q] " >= Go buffered channel", w, "", v != "" && g != "" && v >= g, v != "" && g != "", (v == "" || g == "") ? "" : sprintf("%.3g vs %.3g Mitems/s", v, g))
  }
  w = "executor per task"; v = val(w, "weft ThreadPoolExecutor")
  target("executor <= 0.5 us per task", w, "", v != "" && v <= 0.5, v != "", (v == "" ? "" : sprintf("%.3g us", v)))
  w = "spawn+join"; v = val(w, "weft Thread")
  target("spawn+join <= 1.1x pthread_create+join time", w, "", v != "" && (w in base) && v <= 1.1 * base[w], v != "" && (w in base), (v == "" ? "" : sprintf("%.2fx the time", v / base[w])))
  w = "cpu sum speed-up 2T"; v = val(w, "weft threads")
  target("CPU-bound speed-up at 2 threads >= 1.95x", w, "", v != "" && v >= 1.95, v != "", (v == "" ? "" : sprintf("%.2fx (raw pthreads in the same run: %.2fx)", v, base[w])))
  print ""
}' "$1"
