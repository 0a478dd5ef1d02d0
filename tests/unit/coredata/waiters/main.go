// waiters parks a few goroutines in different ways and then panics, so that with
// GOTRACEBACK=crash it leaves a core and the runtime's own account of every goroutine.
// With WAITERS_GC set it first churns the heap through a few collections, as a service's
// heap has been: the "gc" cores of make-cores.sh.
package main

import (
	"runtime"
	"sync"
	"syscall"
	"time"
)

//go:noinline
func recv(ch chan int) { <-ch }

//go:noinline
func lock(mu *sync.Mutex) { mu.Lock() }

//go:noinline
func deep(n int, ch chan int) {
	if n == 0 {
		<-ch
		return
	}
	deep(n-1, ch)
}

// Mutual recursion of two and of three functions, parked at the bottom.
//
//go:noinline
func ping(n int, ch chan int) {
	if n == 0 {
		<-ch
		return
	}
	pong(n-1, ch)
}

//go:noinline
func pong(n int, ch chan int) { ping(n-1, ch) }

//go:noinline
func tri1(n int, ch chan int) {
	if n == 0 {
		<-ch
		return
	}
	tri2(n, ch)
}

//go:noinline
func tri2(n int, ch chan int) { tri3(n, ch) }

//go:noinline
func tri3(n int, ch chan int) { tri1(n-1, ch) }

func main() {
	if _, ok := syscall.Getenv("WAITERS_GC"); ok {
		churn()
	}
	ch := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 3; i++ {
		go recv(ch)
	}
	go lock(&mu)
	go deep(50, ch)
	go ping(20, ch) // 21 frames: ping, then 10 cycles of pong → ping
	go tri1(7, ch)  // 7 cycles of tri1 → tri2 → tri3, then the bottom tri1
	settle()
	panic("waiters: dump")
}

// settle waits until no goroutine but main is running or runnable, so that every one is
// parked where it parks in every run: a fixed sleep would leave a slow run's short of it.
// Polling reuses one buffer: it allocates nothing more, and starts no GC.
func settle() {
	var buf [64 << 10]byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); runtime.Gosched() {
		if busy(buf[:runtime.Stack(buf[:], true)]) <= 1 {
			return
		}
	}
	panic("waiters: goroutines did not park")
}

// busy counts the goroutines a runtime.Stack dump shows running or runnable.
func busy(dump []byte) int {
	n := 0
	for _, state := range []string{" [running", " [runnable"} {
		for i := 0; i+len(state) <= len(dump); i++ {
			if string(dump[i:i+len(state)]) == state {
				n++
			}
		}
	}
	return n
}

// sink keeps a part of what churn allocates alive across its collections.
var sink [][]byte

// churn allocates objects of every small size class and some large ones, keeps a quarter,
// and collects after each of five rounds: swept spans, partial and full span sets, GC
// records and pause times then hold what a long-running process's do.
func churn() {
	for round := 0; round < 5; round++ {
		for size := 8; size <= 64<<10; size += size / 4 {
			for k := 0; k < 16; k++ {
				b := make([]byte, size)
				if k%4 == 0 {
					sink = append(sink, b)
				}
			}
		}
		runtime.GC()
	}
}
