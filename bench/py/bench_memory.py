"""CPython peer of bench-memory: sys.getsizeof of the threading objects (shallow
plus the parts each object owns), resident memory per idle thread, and 10,000
pending threading.Timer objects (one thread each)."""
import os
import sys
import threading

from _harness import PY, QUICK, REPS, note, row


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024


def os_threads():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def deep(obj):
    """getsizeof of the object, its __dict__ and the objects it owns directly."""
    size = sys.getsizeof(obj)
    d = getattr(obj, "__dict__", None)
    if d is not None:
        size += sys.getsizeof(d)
        for v in d.values():
            if isinstance(v, (int, bool, type(None))):
                continue
            size += sys.getsizeof(v)
            vd = getattr(v, "__dict__", None)
            if vd is not None:
                size += sys.getsizeof(vd)
    return size


def size_row(w, impl, n):
    row(w, impl, [n], "bytes", False)


def timers():
    n = 1000 if QUICK else 10000
    th0, rss0 = os_threads(), rss_kib()
    timers = [threading.Timer(60.0, lambda: None) for _ in range(n)]
    for t in timers:
        t.daemon = True  # an error here must not hold the process for 60 s
    started = 0
    try:
        for t in timers:
            t.start()
            started += 1
    except RuntimeError:
        pass
    threads, mib = os_threads() - th0, (rss_kib() - rss0) / 1024
    for t in timers[:started]:
        t.cancel()
    for t in timers[:started]:
        t.join()
    if started < n:
        note("timers: %d pending, OS threads" % n, "%s threading.Timer: only %d of %d could start" % (PY, started, n))
        return
    row("timers: %d pending, OS threads" % n, "%s threading.Timer" % PY, [threads], "threads", False)
    row("timers: %d pending, resident memory" % n, "%s threading.Timer" % PY, [mib], "MiB", False)



def main():
    timers()  # first, in a fresh heap, as bench-memory does
    size_row("memory: Lock", "%s Lock" % PY, deep(threading.Lock()))
    size_row("memory: RLock", "%s RLock" % PY, deep(threading.RLock()))
    size_row("memory: Condition", "%s Condition" % PY, deep(threading.Condition()))
    size_row("memory: Event", "%s Event" % PY, deep(threading.Event()))
    size_row("memory: Semaphore", "%s Semaphore" % PY, deep(threading.Semaphore()))
    size_row("memory: Barrier", "%s Barrier" % PY, deep(threading.Barrier(2)))
    for w in ("Lock", "RLock", "Condition", "Event", "Semaphore", "Barrier"):
        note("memory: " + w, "%s: sys.getsizeof of the object, its __dict__ and what it owns one level down" % PY)

    v = []
    for _ in range(REPS):
        release = threading.Event()
        parked = threading.Semaphore(0)

        def idle():
            parked.release()
            release.wait()
        before = rss_kib()
        ts = [threading.Thread(target=idle) for _ in range(100)]
        for t in ts:
            t.start()
        for _ in ts:
            parked.acquire()
        v.append((rss_kib() - before) / 100)
        release.set()
        for t in ts:
            t.join()
    row("memory: idle thread", "%s threading.Thread" % PY, v, "KiB/thread", False)


main()
