#!/usr/bin/env bash
# models/check.sh [MODEL.pml...]: check every Promela model exhaustively with spin,
# and check that each of its broken variants (the BUGGY-VARIANTS line of the
# model) is rejected. Exits non-zero if a correct model has an error or was not
# searched completely, or if a broken variant passes (a vacuous model).
# Used by .ci/steps/40-models.sh; run by hand from anywhere (needs spin and gcc).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.pml "$work"/
cd "$work" || exit 2
# Full state space, no partial-order reduction (the models are small), safety:
# assertions and invalid end states (a thread blocked forever = lost wakeup).
PAN_CFLAGS=${PAN_CFLAGS:--O0 -w -DSAFETY -DNOREDUCE}
PAN_ARGS=${PAN_ARGS:--m1000000}

# verify MODEL [spin -D options...] -> prints "errors N states S" or "failed"
verify() {
  local model=$1; shift
  rm -f pan pan.* ./*.trail
  spin "$@" -a "$model" >spin.out 2>&1 || { cat spin.out; echo "failed"; return; }
  # shellcheck disable=SC2086
  gcc $PAN_CFLAGS -o pan pan.c >gcc.out 2>&1 || { cat gcc.out; echo "failed"; return; }
  ./pan $PAN_ARGS >pan.out 2>&1
  if grep -q "max search depth too small" pan.out; then echo "incomplete"; return; fi
  local e s
  e=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | head -1)
  s=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' pan.out | head -1)
  [ -n "$e" ] || { cat pan.out; echo "failed"; return; }
  echo "errors $e states $s $(grep -m1 -E 'pan:1:' pan.out)"
}

models=("$@")
[ ${#models[@]} -gt 0 ] || models=("$here"/*.pml)
fail=0
for path in "${models[@]}"; do
  m=$(basename "$path")
  [ "$m" = common.pml ] && continue
  t0=$SECONDS
  r=$(verify "$m")
  case $r in
    "errors 0 "*) printf '%-16s correct      ok   (%s)\n' "$m" "${r#errors 0 }" ;;
    *) printf '%-16s correct      FAIL (%s)\n' "$m" "$r"; fail=1
       cat pan.out 2>/dev/null | head -30 ;;
  esac
  variants=$(sed -n 's/.*BUGGY-VARIANTS:\(.*\)/\1/p' "$m" | head -1)
  [ -n "$variants" ] || { echo "$m: no BUGGY-VARIANTS line (every model needs a broken variant)"; fail=1; }
  for v in $variants; do
    r=$(verify "$m" -DBUGGY="$v")
    case $r in
      "errors 0 "*|*failed|*incomplete)
         printf '%-16s BUGGY=%-6s FAIL: broken variant not rejected (%s)\n' "$m" "$v" "$r"; fail=1 ;;
      *) printf '%-16s BUGGY=%-6s rejected (%s)\n' "$m" "$v" "${r#errors }" ;;
    esac
  done
  echo "$m: $((SECONDS - t0)) s"
done
exit $fail
