#!/bin/sh
# tour.sh BINDIR TOURFILE: run the examples named in TOURFILE, in order, each under
# a heading, and end with a one-line summary. Lines of TOURFILE: "program | heading";
# '#' starts a comment. WEFT_DEMO_FAST=1 (the default here) shortens the sleeps the
# examples use for pacing; the CPU-bound loops keep their size.
bindir=$1
tour=$2
: "${WEFT_DEMO_FAST:=1}"
export WEFT_DEMO_FAST
ran=0; failed=0; failures=""
while IFS='|' read -r prog heading; do
  prog=$(echo "$prog" | sed 's/#.*//; s/^ *//; s/ *$//')
  [ -n "$prog" ] || continue
  heading=$(echo "$heading" | sed 's/^ *//; s/ *$//')
  printf '\n=== %s: %s ===\n' "$prog" "$heading"
  if "$bindir/$prog"; then ran=$((ran + 1)); else
    ran=$((ran + 1)); failed=$((failed + 1)); failures="$failures $prog"
  fi
done < "$tour"
printf '\n=== tour: %d examples run, %d failed%s ===\n' "$ran" "$failed" \
  "${failures:+ (}${failures# }${failures:+)}"
[ "$failed" -eq 0 ]
