package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// driveTraffic plays the part of the clients whose requests leave the service hung. It
// talks only to base, the service's own loopback address.
func driveTraffic(base string, reports int) error {
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	get := func(path string) (int, error) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}

	if code, err := get("/healthz"); err != nil || code != http.StatusOK {
		return fmt.Errorf("health check: code %d, err %v", code, err)
	}

	// Reports that time out and leak their shard workers.
	for i := 0; i < reports; i++ {
		code, err := get("/report?deadline_ms=20")
		if err != nil {
			return fmt.Errorf("report %d: %v", i, err)
		}
		log.Printf("GET /report -> %d", code)
	}

	// An export that never completes: the client gives up, the handler goroutine stays.
	go func() {
		_, err := get("/export?format=csv")
		log.Printf("GET /export -> %v", err)
	}()

	// A category whose parent links loop: the request recurses until it blocks.
	go func() {
		_, err := get("/category?id=pans")
		log.Printf("GET /category -> %v", err)
	}()

	// Two opposite transfers at the same time: the ledger deadlocks.
	var wg sync.WaitGroup
	for _, t := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
		wg.Add(1)
		go func(from, to string) {
			defer wg.Done()
			_, err := get("/transfer?from=" + from + "&to=" + to + "&amount=25")
			log.Printf("GET /transfer %s->%s -> %v", from, to, err)
		}(t[0], t[1])
	}
	wg.Wait()
	return nil
}

// expectedHang is how many goroutines each defect must have parked before we say READY.
type expectedHang struct {
	fetchWorkers  int // [chan send] in main.(*Server).fetchShard
	exportWaiters int // [chan receive] in main.(*Server).handleExport
	transferLocks int // [sync.Mutex.Lock] in main.(*Ledger).Transfer
	categoryLoops int // [chan send] in main.(*Catalog).load, deep in crumbs → parentCrumbs
}

var goroutineHeader = regexp.MustCompile(`^goroutine \d+ \[([^,\]]+)`)

// waitForHang polls the runtime's own goroutine dump until every defect has parked all its
// goroutines and the idle background goroutines are in place.
func waitForHang(want expectedHang, timeout time.Duration) error {
	type check struct {
		what     string
		state    string
		function string
		min      int
	}
	checks := []check{
		{"leaked shard workers", "chan send", "main.(*Server).fetchShard", want.fetchWorkers},
		{"leaked export request", "chan receive", "main.(*Server).handleExport", want.exportWaiters},
		{"deadlocked transfers", "sync.Mutex.Lock", "main.(*Ledger).Transfer", want.transferLocks},
		{"runaway category recursion", "chan send", "main.(*Catalog).load", want.categoryLoops},
		{"listener", "IO wait", "main.(*Server).Serve", 1},
		{"metrics ticker", "select", "main.(*Server).flushMetrics", 1},
		{"session janitor", "sleep", "main.(*SessionStore).evictExpired", 1},
	}
	deadline := time.Now().Add(timeout)
	for {
		counts := make([]int, len(checks))
		for _, g := range strings.Split(allStacks(), "\n\n") {
			m := goroutineHeader.FindStringSubmatch(g)
			if m == nil {
				continue
			}
			for i, c := range checks {
				if m[1] == c.state && strings.Contains(g, c.function+"(") {
					counts[i]++
				}
			}
		}
		var missing []string
		for i, c := range checks {
			if counts[i] < c.min {
				missing = append(missing, fmt.Sprintf("%s: %d of %d in [%s]", c.what, counts[i], c.min, c.state))
			}
		}
		if len(missing) == 0 {
			log.Printf("hang set up: %d goroutines", runtime.NumGoroutine())
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s", strings.Join(missing, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
