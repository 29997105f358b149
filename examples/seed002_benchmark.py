"""seed002_benchmark.py: the seed's CPU-bound sum with CPython threads and processes.

Run by seed002_benchmark (the C program) when python3 is on the machine:
    python3 seed002_benchmark.py M COUNT [COUNT ...]
sums float(i)**0.3 for i in range(M), split over COUNT threads and then over COUNT
processes, exactly as 002_661bf8df3acfe042.txt "14 Benchmarking" does, and prints one
line per run: "threads COUNT SECONDS" / "processes COUNT SECONDS".
"""
import sys
import time
from multiprocessing import Pool
from threading import Thread


def calculate(lo, hi):
    total = 0
    for i in range(lo, hi):
        total += float(i) ** 0.3
    return total


def intervals(duration, parts):
    part = int(duration / parts)
    return [(i * part, (i + 1) * part) for i in range(parts)]


def job_using_threads(m, count):
    threads = [Thread(target=calculate, args=r) for r in intervals(m, count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def job_using_processes(m, count):
    with Pool(processes=count) as p:
        p.starmap(calculate, intervals(m, count))


def main():
    m = int(sys.argv[1])
    counts = [int(a) for a in sys.argv[2:]]
    for kind, job in (("threads", job_using_threads), ("processes", job_using_processes)):
        for n in counts:
            start = time.perf_counter()
            job(m, n)
            print(f"{kind} {n} {time.perf_counter() - start:.4f}", flush=True)


if __name__ == "__main__":
    main()
