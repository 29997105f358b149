"""CPython peer of bench-executor and bench-spawn: ThreadPoolExecutor(2) per-task
overhead (submit a batch, then result() in order) and Thread start + join."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _harness import PY, calibrate, measure, row, usop


def empty():
    return None


def executor_run(ex):
    def run(n):
        t0 = time.perf_counter()
        futs = [ex.submit(empty) for _ in range(n)]
        for f in futs:
            f.result()
        return time.perf_counter() - t0
    return run


def spawn_run(n):
    t0 = time.perf_counter()
    for _ in range(n):
        t = threading.Thread(target=empty)
        t.start()
        t.join()
    return time.perf_counter() - t0


def main():
    with ThreadPoolExecutor(max_workers=2) as ex:
        run = executor_run(ex)
        row("executor per task", "%s ThreadPoolExecutor(2)" % PY, measure(run, calibrate(run), usop), "us/op", False)
    row("spawn+join", "%s threading.Thread" % PY, measure(spawn_run, calibrate(spawn_run), usop), "us/op", False)


main()
