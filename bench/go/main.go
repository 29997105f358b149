// The Go peer of weft's benchmarks: standard library only, built offline by the
// bench target. Prints rows in bench/bench.h's format so they land in the same
// tables as weft and the pthread baseline. WEFT_BENCH_QUICK=1 shortens it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

const reps = 5

var quick = os.Getenv("WEFT_BENCH_QUICK") != "" && os.Getenv("WEFT_BENCH_QUICK") != "0"

func row(workload, impl string, v []float64, unit string, higher bool) {
	sort.Float64s(v)
	dir := "lower"
	if higher {
		dir = "higher"
	}
	fmt.Printf("R\t%s\t%s\t%.6g\t%.6g\t%.6g\t%s\t%s\tpeer\n", workload, impl, v[len(v)/2], v[0], v[len(v)-1], unit, dir)
}

// measure runs f(n) once as warm-up then reps times; f returns the elapsed time.
func measure(n int, f func(n int) time.Duration, conv func(n int, d time.Duration) float64) []float64 {
	f(n)
	v := make([]float64, reps)
	for i := range v {
		v[i] = conv(n, f(n))
	}
	return v
}

func mops(n int, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }
func usop(n int, d time.Duration) float64 { return d.Seconds() / float64(n) * 1e6 }

func queue(pairs, n int) time.Duration {
	ch := make(chan uintptr, 1024)
	per := n / pairs
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total uintptr
	start := time.Now()
	for p := 0; p < pairs; p++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 1; i <= per; i++ {
				ch <- uintptr(i)
			}
		}()
		go func() {
			defer wg.Done()
			var s uintptr
			for i := 0; i < per; i++ {
				s += <-ch
			}
			mu.Lock()
			total += s
			mu.Unlock()
		}()
	}
	wg.Wait()
	d := time.Since(start)
	if total != uintptr(pairs)*uintptr(per)*uintptr(per+1)/2 {
		fmt.Fprintln(os.Stderr, "go queue: lost items")
		os.Exit(1)
	}
	return d
}

func lockRun(threads, n int) time.Duration {
	var mu sync.Mutex
	counter := 0
	per := n / threads
	var wg sync.WaitGroup
	start := time.Now()
	for t := 0; t < threads; t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

func handoff(n int) time.Duration {
	a, b := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			v := <-b
			a <- v
		}
		close(done)
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		b <- i
		<-a
	}
	d := time.Since(start)
	<-done
	return d
}

func scaled(full, q int) int {
	if quick {
		return q
	}
	return full
}

func main() {
	n := scaled(1000000, 10000)
	for pairs := 1; pairs <= 2; pairs++ {
		w := fmt.Sprintf("queue %dp%dc", pairs, pairs)
		p := pairs
		row(w, "Go chan (buffered 1024)", measure(n, func(n int) time.Duration { return queue(p, n) }, mops), "Mops/s", true)
	}
	ln := scaled(20000000, 200000)
	row("lock uncontended", "Go sync.Mutex", measure(ln, func(n int) time.Duration { return lockRun(1, n) }, mops), "Mops/s", true)
	for _, t := range []int{2, 4} {
		tt := t
		row(fmt.Sprintf("lock contended %dT", t), "Go sync.Mutex (goroutines)",
			measure(ln/2, func(n int) time.Duration { return lockRun(tt, n) }, mops), "Mops/s", true)
	}
	hn := scaled(50000, 500)
	row("handoff round trip", "Go unbuffered chan (goroutines)", measure(hn, handoff, usop), "us/op", false)
	fmt.Printf("N\thandoff round trip\tGo: goroutines switch in user space on GOMAXPROCS=%d OS threads; a goroutine handoff is not an OS-thread handoff\n", runtime.GOMAXPROCS(0))
	fmt.Printf("N\tlock contended 2T\tGo: the contending parties are goroutines on GOMAXPROCS=%d OS threads\n", runtime.GOMAXPROCS(0))
}
