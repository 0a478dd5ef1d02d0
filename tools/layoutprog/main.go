// A small program whose only job is to make the linker emit DWARF for the runtime's
// structures the inspector reads (goroutines, channels, select, sync, timers, defers,
// panics, maps, interfaces). scripts/gen-layouts.sh builds it with each Go toolchain and
// reads its DWARF with tools/go-layouts.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

type shape interface{ area() float64 }
type square struct{ s float64 }

func (q square) area() float64 { return q.s * q.s }

func recoverer() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	var m map[string]int
	m["x"] = 1 // panics
	return nil
}

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	ch := make(chan int, 4)
	unbuf := make(chan string)
	done := make(chan struct{})
	counts := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pprof.Do(ctx, pprof.Labels("worker", fmt.Sprint(i)), func(context.Context) {
				select {
				case ch <- i:
				case <-done:
				case <-time.After(10 * time.Millisecond):
				}
				mu.Lock()
				counts[fmt.Sprint(i)]++
				mu.Unlock()
			})
		}(i)
	}
	go func() { unbuf <- "hi" }()
	t := time.NewTimer(time.Millisecond)
	tk := time.NewTicker(time.Millisecond)
	select {
	case s := <-unbuf:
		_ = s
	case <-t.C:
	case <-ctx.Done():
	}
	tk.Stop()
	go func() { mu.Lock(); cond.Broadcast(); mu.Unlock() }()
	wg.Wait()
	close(done)
	var shapes []shape = []shape{square{2}}
	total := 0.0
	for _, s := range shapes {
		total += s.area()
	}
	err := recoverer()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.GC()
	if len(os.Args) > 1 {
		fmt.Println(total, err, len(counts), runtime.NumGoroutine(), ms.NumGC)
	}
}
