/* seed002_benchmark.c: a CPU-bound sum split over 1..100 threads: C threads speed it
 * up, CPython threads do not.
 *
 * Seed: 002_661bf8df3acfe042.txt, "14 Benchmarking" (and "9 Global Interpreter Lock").
 *
 * Python original:
 *     M = 50*1000*1000
 *     def calculate(lo, hi):
 *         sum = 0
 *         for i in range (lo, hi): sum += float(i)**0.3
 *         return sum
 *     def jobUsingThreads(threadCount):
 *         it = intervals(M, threadCount)
 *         for i in range(threadCount):
 *             t = Thread(target = calculate, args = it[i]); t.start(); ...
 *         for t in threadList: t.join()
 *     for N in chain(range(1, 11), range(20, 101, 20)):
 *         start = time.perf_counter(); jobUsingThreads(N)
 *         print(f"{N:2} threads:{time.perf_counter()-start:6.2f}")
 *   Conclusion in the seed: "threads do not speed up cpu bound calculations; use
 *   multiple processes" - true for CPython, whose GIL lets one thread run at a time.
 *
 * weft threads have no GIL: on a machine with k cores the sum runs about k times
 * faster with k or more threads. When python3 is found, this program also runs the
 * seed's own code (seed002_benchmark.py) with CPython threads and processes on a
 * tenth of M (CPython is ~50x slower per iteration) for the counts up to 4 (10 in
 * full mode), and prints its times multiplied by 10 beside the C ones.
 *
 * Thread counts: 1..10, 20..100 as in the seed; with WEFT_DEMO_FAST=1 (the tour)
 * 1, 2, 4, 8, 20, 100, still with M = 50 million. The CTest run
 * (WEFT_EXAMPLE_CHECK=1) uses M = 5 million to keep the test suite short.
 * Unlike the seed, the last interval ends at M, so every split sums the same terms.
 */
#include <math.h>

#include "demo.h"

typedef struct part {
    long lo, hi;
    double sum;   /* written by the thread, read by main after join */
} part;

static void *calculate(void *arg)
{
    part *p = arg;
    double sum = 0;
    for (long i = p->lo; i < p->hi; i++)
        sum += pow((double)i, 0.3);
    p->sum = sum;
    return NULL;
}

/* One run: the sum of i**0.3 for i < m over n threads. Returns seconds. */
static double job_using_threads(long m, int n, double *total)
{
    part *parts = calloc((size_t)n, sizeof *parts);
    weft_thread **threads = calloc((size_t)n, sizeof *threads);
    CHECK_PTR(parts);
    CHECK_PTR(threads);
    long step = m / n;
    double start = demo_now();
    for (int i = 0; i < n; i++) {
        parts[i].lo = i * step;
        parts[i].hi = i == n - 1 ? m : (i + 1) * step;
        CHECK(weft_thread_create(&threads[i], calculate, &parts[i], NULL));
        CHECK(weft_thread_start(threads[i]));
    }
    *total = 0;
    for (int i = 0; i < n; i++) {
        CHECK(weft_thread_join(threads[i], WEFT_FOREVER));
        weft_thread_destroy(threads[i]);
        *total += parts[i].sum;
    }
    double seconds = demo_now() - start;
    free(parts);
    free(threads);
    return seconds;
}

/* CPython's times for the same counts, if python3 exists: py[k][0] threads,
 * py[k][1] processes; negative when not measured. */
static void run_python(long m_py, const int *counts, int ncounts, double py[][2])
{
    for (int k = 0; k < ncounts; k++)
        py[k][0] = py[k][1] = -1;
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        say("(python3 not found: CPython columns left out)\n");
        return;
    }
    char cmd[512];
    int len = snprintf(cmd, sizeof cmd, "python3 %s/seed002_benchmark.py %ld",
                       WEFT_EXAMPLES_DIR, m_py);
    for (int k = 0; k < ncounts && len < (int)sizeof cmd - 8; k++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %d", counts[k]);
    FILE *p = popen(cmd, "r");
    if (p == NULL) {
        say("(could not run python3: CPython columns left out)\n");
        return;
    }
    char kind[16];
    int n;
    double secs;
    while (fscanf(p, "%15s %d %lf", kind, &n, &secs) == 3)
        for (int k = 0; k < ncounts; k++)
            if (counts[k] == n)
                py[k][strcmp(kind, "threads") == 0 ? 0 : 1] = secs;
    if (pclose(p) != 0)
        say("(python3 %s/seed002_benchmark.py failed)\n", WEFT_EXAMPLES_DIR);
}

int main(void)
{
    static const int seed_counts[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 40, 60, 80, 100};
    static const int fast_counts[] = {1, 2, 4, 8, 20, 100};
    const int *counts = demo_fast() ? fast_counts : seed_counts;
    int ncounts = demo_fast() ? 6 : 15;
    bool check = getenv("WEFT_EXAMPLE_CHECK") != NULL;
    long m = check ? 5L * 1000 * 1000 : 50L * 1000 * 1000;
    long m_py = m / 10;                 /* CPython: 1/10 of the work, scaled back up */
    double py[15][2];

    /* CPython only for the counts up to 4 (10 in full mode): enough to see the GIL. */
    int npy = 0;
    while (npy < ncounts && counts[npy] <= (demo_fast() ? 4 : 10))
        npy++;
    run_python(m_py, counts, npy, py);
    for (int k = npy; k < ncounts; k++)
        py[k][0] = py[k][1] = -1;

    say("sum of i**0.3 for i < %ld; CPython columns ran M = %ld and are scaled x%ld\n",
        m, m_py, m / m_py);
    say("%7s  %8s %8s  %12s %12s\n", "threads", "C secs", "speed-up", "CPy threads",
        "CPy procs");
    double t1 = 0, first_total = 0;
    bool agree = true;
    for (int k = 0; k < ncounts; k++) {
        double total;
        double secs = job_using_threads(m, counts[k], &total);
        if (k == 0) {
            t1 = secs;
            first_total = total;
        } else if (fabs(total - first_total) > 1e-9 * first_total) {
            agree = false;
        }
        char pt[32] = "-", pp[32] = "-";
        if (py[k][0] >= 0)
            snprintf(pt, sizeof pt, "%.2f", py[k][0] * (double)(m / m_py));
        if (py[k][1] >= 0)
            snprintf(pp, sizeof pp, "%.2f", py[k][1] * (double)(m / m_py));
        say("%7d  %8.2f %7.2fx  %12s %12s\n", counts[k], secs, t1 / secs, pt, pp);
    }
    say("sum = %.6e; %s\n", first_total,
        agree ? "every split gave the same sum" : "THE SUMS DIFFER");
    say("C threads run in parallel: the speed-up grows up to the number of cores\n"
        "(on a busy machine less). CPython threads take turns holding the GIL, so only\n"
        "processes speed it up (their times include starting the process pool).\n");
    return agree ? 0 : 1;
}
