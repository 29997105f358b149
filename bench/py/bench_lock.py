"""CPython peer of bench-lock: threading.Lock uncontended and contended, fairness."""
import threading
import time

from _harness import PY, QUICK, calibrate, measure, mops, note, row


def uncontended(lock_type):
    lock = lock_type()
    state = [0]

    def run(n):
        acquire, release = lock.acquire, lock.release
        t0 = time.thread_time()  # thread CPU time, as bench-lock's uncontended rows
        for _ in range(n):
            acquire()
            state[0] += 1
            release()
        return time.thread_time() - t0
    return run


def contended(threads):
    def run(n):
        lock = threading.Lock()
        state = [0]
        per = n // threads
        go = threading.Event()

        def body():
            go.wait()
            for _ in range(per):
                with lock:
                    state[0] += 1
        ts = [threading.Thread(target=body) for _ in range(threads)]
        for t in ts:
            t.start()
        t0 = time.perf_counter()
        go.set()
        for t in ts:
            t.join()
        return time.perf_counter() - t0
    return run


def fairness(threads, secs):
    lock = threading.Lock()
    stop = [False]
    counts = [0] * threads

    def body(i):
        c = 0
        while not stop[0]:
            with lock:
                c += 1
        counts[i] = c
    ts = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    time.sleep(secs)
    stop[0] = True
    for t in ts:
        t.join()
    return counts


def main():
    # keep a second thread alive, as the C benchmark does
    idle = threading.Event()
    keeper = threading.Thread(target=idle.wait, daemon=True)
    keeper.start()
    for name, typ in (("Lock", threading.Lock), ("RLock", threading.RLock)):
        run = uncontended(typ)
        row("lock uncontended", "%s threading.%s" % (PY, name), measure(run, calibrate(run), mops), "Mops/s", True)
    for t in (2, 4):
        run = contended(t)
        row("lock contended %dT" % t, "%s threading.Lock" % PY, measure(run, calibrate(run), mops), "Mops/s", True)
    secs = 0.01 if QUICK else 0.25
    ratios = []
    for _ in range(5):
        c = fairness(4, secs)
        ratios.append(min(c) / max(c) if max(c) else 0.0)
    row("lock fairness 4T", "%s threading.Lock" % PY, ratios, "min/max", True)
    note("lock fairness 4T", "%s threading.Lock: per-thread acquisitions in the last %.2f s run: %s" % (PY, secs, ", ".join(map(str, c))))
    idle.set()
    keeper.join()


main()
