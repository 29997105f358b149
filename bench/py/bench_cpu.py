"""CPython peer of bench-cpu: sum of i**0.3 for i < N over 1, 2, 4 threads and
processes. N is smaller than the C benchmark's; times are scaled to the C N so
the rows compare (the work per i is the same)."""
import multiprocessing
import threading
import time

from _harness import PY, QUICK, REPS, note, row

C_N = 1000000 if QUICK else 50000000
PY_N = 20000 if QUICK else 2000000


def part(lo, hi):
    s = 0.0
    for i in range(lo, hi):
        s += float(i) ** 0.3
    return s


def ranges(n, k):
    return [(n * i // k, n * (i + 1) // k) for i in range(k)]


def with_threads(k):
    out = [0.0] * k

    def body(i, lo, hi):
        out[i] = part(lo, hi)
    t0 = time.perf_counter()
    ts = [threading.Thread(target=body, args=(i, lo, hi)) for i, (lo, hi) in enumerate(ranges(PY_N, k))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - t0


def with_processes(k, pool):
    t0 = time.perf_counter()
    pool.starmap(part, ranges(PY_N, k))
    return time.perf_counter() - t0


def report(impl, fn):
    scale = C_N / PY_N
    med1 = None
    for k in (1, 2, 4):
        fn(k)
        v = sorted(fn(k) * scale for _ in range(REPS))
        row("cpu sum %dT" % k, impl, v, "s", False)
        if k == 1:
            med1 = v[len(v) // 2]
        else:
            row("cpu sum speed-up %dT" % k, impl, [med1 / x for x in v], "x", True)


def main():
    report("%s threads" % PY, with_threads)
    with multiprocessing.Pool(4) as pool:
        report("%s multiprocessing.Pool(4)" % PY, lambda k: with_processes(k, pool))
    note("cpu sum 1T", "%s rows compute N = %d and are scaled by %g to the C rows' N = %d (same work per i); the process pool is started before timing"
         % (PY, PY_N, C_N / PY_N, C_N))


if __name__ == "__main__":
    main()
