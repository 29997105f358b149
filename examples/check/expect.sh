#!/bin/sh
# check/expect.sh PROGRAM EXPECTFILE: run PROGRAM and check its output.
#
# The program must exit with status 0, and its output (stdout and stderr together)
# must contain a line matching each pattern of EXPECTFILE, in the file's order
# (each match comes after the previous one): the order of events the example
# guarantees. Pattern lines are extended regular expressions (grep -E). A line
# starting with '!' is a pattern that must match no line at all; a line starting with
# '~' is a pattern that must match some line, anywhere (order not guaranteed). Lines starting with
# '#' are comments; '#tsan-skip REASON' marks a deliberately racy example that
# examples/CMakeLists.txt does not run under ThreadSanitizer.
prog=$1
expect=$2
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$prog" >"$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
  echo "expect.sh: $prog exited with status $rc" >&2
  exit 1
fi
line=0
while IFS= read -r pat; do
  case $pat in
    '#'*|'') continue ;;
    '~'*)
      if ! grep -Eq -- "${pat#\~}" "$out"; then
        echo "expect.sh: no line matching '${pat#\~}'" >&2
        exit 1
      fi ;;
    '!'*)
      pat=${pat#!}
      if grep -Eq -- "$pat" "$out"; then
        echo "expect.sh: output has a line matching '$pat', which it must not" >&2
        exit 1
      fi ;;
    *)
      n=$(tail -n +"$((line + 1))" "$out" | grep -En -m1 -- "$pat" | cut -d: -f1)
      if [ -z "$n" ]; then
        echo "expect.sh: no line matching '$pat' after output line $line" >&2
        exit 1
      fi
      line=$((line + n)) ;;
  esac
done < "$expect"
echo "expect.sh: all patterns of $(basename "$expect") matched"
