# .ci/steps/40-queue-one-cpu.sh: the queue suites (including the conservation
# stress) pinned to one CPU, where every spin in queue.c must give way to blocking
# (docs/design/queue.md section 4). Uses the default build of the "make test" step.
# Sourced by .ci/run (need, step, JOBS are defined there).

queue_one_cpu() {
  need util-linux   # taskset
  # One CPU runs the 8 stress threads one at a time: a third of the items keeps
  # each case well under its time budget; the point here is correctness.
  (cd build && WEFT_TEST_ITER_FACTOR=0.3 WEFT_TEST_TIMEOUT_FACTOR=3 \
     taskset -c 0 ctest --output-on-failure -R '^(queue|simplequeue)\.')
}

step "queue suites pinned to one CPU" queue_one_cpu
