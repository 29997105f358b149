"""CPython peer of bench-handoff: ping-pong over Event, Condition, Semaphore, Queue."""
import os
import queue
import threading
import time

from _harness import PY, calibrate, measure, note, row, usop


def pin(cpu):
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})  # pid 0: the calling thread on Linux


def pingpong(make, cpus):
    def run(n):
        ping, pong = make()
        ready = threading.Barrier(2)

        def b_side():
            pin(cpus[1])
            ready.wait()
            for _ in range(n):
                pong()
        t = threading.Thread(target=b_side, daemon=True)
        t.start()
        pin(cpus[0])
        ready.wait()
        t0 = time.perf_counter()
        for _ in range(n):
            ping()
        d = time.perf_counter() - t0
        t.join()
        pin_all()
        return d
    return run


ALL = None


def pin_all():
    if ALL is not None:
        os.sched_setaffinity(0, ALL)


def make_event():
    a, b = threading.Event(), threading.Event()

    def ping():
        b.set()
        a.wait()
        a.clear()

    def pong():
        b.wait()
        b.clear()
        a.set()
    return ping, pong


def make_condition():
    cv_lock = threading.Lock()
    ca, cb = threading.Condition(cv_lock), threading.Condition(cv_lock)
    turn = [0]

    def ping():
        with cv_lock:
            turn[0] = 1
            cb.notify()
            while turn[0] != 0:
                ca.wait()

    def pong():
        with cv_lock:
            while turn[0] != 1:
                cb.wait()
            turn[0] = 0
            ca.notify()
    return ping, pong


def make_semaphore():
    a, b = threading.Semaphore(0), threading.Semaphore(0)

    def ping():
        b.release()
        a.acquire()

    def pong():
        b.acquire()
        a.release()
    return ping, pong


def make_queue():
    a, b = queue.Queue(1), queue.Queue(1)

    def ping():
        b.put(1)
        a.get()

    def pong():
        a.put(b.get())
    return ping, pong


def main():
    global ALL
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if hasattr(os, "sched_getaffinity"):
        ALL = os.sched_getaffinity(0)
    places = [("handoff round trip", (None, None)), ("handoff round trip, 1 CPU", (0, 0))]
    if ncpu >= 2:
        places.append(("handoff round trip, 2 CPUs", (0, 1)))
    for w, cpus in places:
        if cpus[0] is not None and ALL is None:
            continue
        for name, make in (("Event", make_event), ("Condition", make_condition),
                           ("Semaphore", make_semaphore), ("queue.Queue", make_queue)):
            run = pingpong(make, cpus)
            row(w, "%s %s" % (PY, name), measure(run, calibrate(run), usop), "us/op", False)


main()
