"""CPython peer of bench-queue: queue.Queue(1024) and SimpleQueue, 1p1c and 2p2c."""
import queue
import threading
import time

from _harness import PY, measure, mops, note, row, scaled


def run_queue(make, pairs):
    def run(n):
        q = make()
        per = n // pairs
        go = threading.Event()
        sums = []

        def prod():
            go.wait()
            put = q.put
            for i in range(1, per + 1):
                put(i)

        def cons():
            go.wait()
            get = q.get
            s = 0
            for _ in range(per):
                s += get()
            sums.append(s)
        ts = [threading.Thread(target=f, daemon=True) for _ in range(pairs) for f in (prod, cons)]
        for t in ts:
            t.start()
        t0 = time.perf_counter()
        go.set()
        for t in ts:
            t.join()
        d = time.perf_counter() - t0
        assert sum(sums) == pairs * per * (per + 1) // 2
        return d
    return run


def main():
    n = scaled(100000, 2000)
    for pairs in (1, 2):
        w = "queue %dp%dc" % (pairs, pairs)
        row(w, "%s queue.Queue(1024)" % PY, measure(run_queue(lambda: queue.Queue(1024), pairs), n, mops), "Mops/s", True)
        row(w, "%s queue.SimpleQueue (unbounded)" % PY, measure(run_queue(queue.SimpleQueue, pairs), n, mops), "Mops/s", True)
        note(w, "%s rows move %d items per repetition (fewer than the C rows; the rate is per item)" % (PY, n))


main()
