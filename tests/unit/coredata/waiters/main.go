// waiters parks a few goroutines in different ways and then panics, so that with
// GOTRACEBACK=crash it leaves a core and the runtime's own account of every goroutine.
package main

import (
	"sync"
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

func main() {
	ch := make(chan int)
	var mu sync.Mutex
	mu.Lock()
	for i := 0; i < 3; i++ {
		go recv(ch)
	}
	go lock(&mu)
	go deep(50, ch)
	time.Sleep(200 * time.Millisecond)
	panic("waiters: dump")
}
