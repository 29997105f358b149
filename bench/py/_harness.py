"""Shared harness of the CPython peers: same row format as bench/bench.h.

measure(fn, n) runs fn(n) once as a warm-up, then REPS times; fn returns the
elapsed seconds it measured. Rows are printed as
R <workload> <impl> <median> <min> <max> <unit> <dir> peer.
"""
import os
import sys

REPS = 5
QUICK = os.environ.get("WEFT_BENCH_QUICK", "") not in ("", "0")
PY = "CPython %d.%d" % sys.version_info[:2]


def scaled(full, quick):
    return quick if QUICK else full


def row(workload, impl, values, unit, higher):
    v = sorted(values)
    print("R\t%s\t%s\t%.6g\t%.6g\t%.6g\t%s\t%s\tpeer" % (
        workload, impl, v[len(v) // 2], v[0], v[-1], unit,
        "higher" if higher else "lower"), flush=True)


def note(workload, text):
    print("N\t%s\t%s" % (workload, text), flush=True)


def measure(fn, n, conv):
    fn(n)
    return [conv(n, fn(n)) for _ in range(REPS)]


def mops(n, secs):
    return n / secs / 1e6


def usop(n, secs):
    return secs / n * 1e6


def calibrate(fn, target=None):
    """Smallest power-of-4 batch lasting about target seconds."""
    target = target or (0.005 if QUICK else 0.2)
    n = 1
    t = fn(n)
    while t < target / 10:
        n *= 4
        t = fn(n)
    return max(1, int(n * target / t)) if t < target else n
