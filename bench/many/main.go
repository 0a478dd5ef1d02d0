// Command many parks a large number of goroutines (default 100000) for the benchmark in
// bench/run.sh, then either crashes on purpose (-crash, run with GOTRACEBACK=crash so the
// kernel writes a core) or waits for a signal (to be gcore'd).
//
// The goroutines come from four creation sites, one per way of parking:
//
//	main.startConsumers  -> main.consume  -> ... -> <-chan          [chan receive]
//	main.startPollers    -> main.poll     -> ... -> select          [select]
//	main.startLockers    -> main.lockStep -> ... -> sync.Mutex.Lock [sync.Mutex.Lock]
//	main.startSleepers   -> main.snooze   -> ... -> time.Sleep      [sleep]
//
// and each site parks its goroutines at several depths (between main.descendA/descendB
// levels), so that the stacks have 3 to 20 user frames and there are a few dozen distinct
// stack shapes in all.
//
// For the values commands it also holds main.bigMap (100,000 entries: printing 100 of them
// must read only those) and parks one more goroutine 100 frames deep in main.deepDive, each
// frame with its own locals (go locals --frame all on it).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// depths are the numbers of descendA/descendB levels between a goroutine's entry function
// and its parking function: 1 + depth + 1 user frames in all (3..20).
var depths = []int{1, 3, 6, 10, 14, 18}

var (
	parked  atomic.Int64
	never   = make(chan int)    // nobody sends: chan receive and select park here
	never2  = make(chan string) // second select case
	held    sync.Mutex          // locked by main for ever: the lockers wait on it
	sinkSum atomic.Int64
)

//go:noinline
func descendA(depth int, park func()) int {
	if depth <= 0 {
		park()
		return 0
	}
	return descendB(depth-1, park) + 1
}

//go:noinline
func descendB(depth int, park func()) int {
	if depth <= 0 {
		park()
		return 0
	}
	return descendA(depth-1, park) + 2
}

// bigMap: 100,000 entries, made before the goroutines park.
var bigMap map[int]string

// deepLevels: main.deepDive's frames on the deep goroutine.
const deepLevels = 100

var deepParked atomic.Bool

// deepDive recurses deepLevels times, then parks. label and weight are live across the call
// (used after it), so every frame keeps them in its own stack slots.
//
//go:noinline
func deepDive(level int, trail *[deepLevels]int) int {
	label := level*3 + 1
	weight := trail[level%deepLevels] + level
	trail[level%deepLevels] = label
	if level == 0 {
		deepParked.Store(true)
		v := <-never
		return v + label
	}
	return deepDive(level-1, trail) + label*weight
}

//go:noinline
func parkOnChan() {
	parked.Add(1)
	v := <-never
	sinkSum.Add(int64(v))
}

//go:noinline
func parkInSelect() {
	parked.Add(1)
	select {
	case v := <-never:
		sinkSum.Add(int64(v))
	case s := <-never2:
		sinkSum.Add(int64(len(s)))
	}
}

//go:noinline
func parkOnMutex() {
	parked.Add(1)
	held.Lock()
	held.Unlock()
}

//go:noinline
func parkInSleep() {
	parked.Add(1)
	time.Sleep(1 << 62)
}

func consume(depth int)  { sinkSum.Add(int64(descendA(depth, parkOnChan))) }
func poll(depth int)     { sinkSum.Add(int64(descendB(depth, parkInSelect))) }
func lockStep(depth int) { sinkSum.Add(int64(descendA(depth, parkOnMutex))) }
func snooze(depth int)   { sinkSum.Add(int64(descendB(depth, parkInSleep))) }

func startConsumers(n int) {
	for i := 0; i < n; i++ {
		go consume(depths[i%len(depths)])
	}
}

func startPollers(n int) {
	for i := 0; i < n; i++ {
		go poll(depths[i%len(depths)])
	}
}

func startLockers(n int) {
	for i := 0; i < n; i++ {
		go lockStep(depths[i%len(depths)])
	}
}

func startSleepers(n int) {
	for i := 0; i < n; i++ {
		go snooze(depths[i%len(depths)])
	}
}

func main() {
	n := flag.Int("n", 100000, "goroutines to park")
	crash := flag.Bool("crash", false, "crash (SIGABRT, core dump under GOTRACEBACK=crash) once all are parked")
	flag.Parse()
	if *n < 4 {
		fmt.Fprintln(os.Stderr, "many: -n must be at least 4")
		os.Exit(2)
	}

	bigMap = make(map[int]string, 100000)
	for i := 0; i < 100000; i++ {
		bigMap[i] = fmt.Sprintf("v%d", i)
	}
	go func() {
		var trail [deepLevels]int
		sinkSum.Add(int64(deepDive(deepLevels-1, &trail)))
	}()

	held.Lock()
	q := *n / 4
	startConsumers(*n - 3*q)
	startPollers(q)
	startLockers(q)
	startSleepers(q)

	deadline := time.Now().Add(5 * time.Minute)
	for parked.Load() < int64(*n) || !deepParked.Load() {
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "many: only %d of %d goroutines parked\n", parked.Load(), *n)
			os.Exit(1)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Each goroutine counts itself just before it parks: give the last ones time to get there.
	for i := 0; i < 10; i++ {
		runtime.Gosched()
	}
	time.Sleep(500 * time.Millisecond)
	fmt.Printf("PARKED n=%d goroutines=%d pid=%d\n", *n, runtime.NumGoroutine(), os.Getpid())
	os.Stdout.Sync()

	if *crash {
		debug.SetTraceback("crash")
		panic(fmt.Sprintf("many: crashing on purpose with %d parked goroutines", *n))
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	<-sigs
}
