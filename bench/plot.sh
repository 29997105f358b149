#!/bin/sh
# plot.sh RESULTS.tsv OUTDIR [GNUPLOT]: one horizontal bar chart per workload
# (median, with min-max error bars; weft's bars in a second colour) written as
# OUTDIR/plot-<workload>.png, and a markdown list of the images on stdout (run.sh
# appends it to the report). A plot that fails is reported, the rest go on.
results=$1
outdir=$2
gp=${3:-gnuplot}
tmp="$outdir/plot.tmp"
mkdir -p "$tmp"
echo
echo "## Plots"
echo
awk -F'\t' '$1 == "R" { print $2 }' "$results" | awk '!seen[$0]++' | while IFS= read -r w; do
  slug=$(printf '%s' "$w" | tr -c 'A-Za-z0-9\n' '-' | tr -s '-' | sed 's/-$//' | tr 'A-Z' 'a-z')
  dat="$tmp/$slug.dat"
  # columns: index, label, median, min, max, is_weft
  awk -F'\t' -v w="$w" '$1 == "R" && $2 == w {
      gsub(/"/, "", $3); printf("%d\t%s\t%s\t%s\t%s\t%d\n", n++, $3, $4, $5, $6, ($9 == "weft"))
      unit = $7; dir = $8 }
    END { printf("# %s (%s is better)\n", unit, dir) > "/dev/stderr" }' "$results" > "$dat" 2> "$dat.unit"
  n=$(wc -l < "$dat")
  [ "$n" -gt 0 ] || continue
  unit=$(sed 's/^# //' "$dat.unit")
  height=$((120 + 32 * n))
  png="$outdir/plot-$slug.png"
  if "$gp" > "$tmp/$slug.log" 2>&1 <<GP
set terminal png size 900,$height noenhanced
set output "$png"
set title "$w"
set xlabel "$unit; bars: median, whiskers: min-max"
set style fill solid 0.7
set yrange [$n-0.4:-0.6]
set xrange [0:*]
set ytics nomirror
set datafile separator "\t"
set grid x
unset key
set offsets 0, graph 0.1, 0, 0
plot "$dat" using (\$3/2):1:(\$3/2):(0.35):(\$6 > 0.5 ? 0x3465a4 : 0xaaaaaa):ytic(2) with boxxyerror lc rgb variable, \
     "$dat" using 3:1:4:5 with xerrorbars lc rgb "black" pt 0
GP
  then
    echo "- $w: ![$w]($(basename "$png"))"
  else
    echo "- $w: plot failed (see $tmp/$slug.log)"
  fi
done
