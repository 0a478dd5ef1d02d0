// Command hungservice is a small report/ledger HTTP service that hangs the way real services
// do. It exists to be inspected by the Go runtime inspector (`go goroutines`, `go bt`).
//
// After start-up it drives a few requests against itself, over loopback only, which leave it
// in this state:
//
//   - several hundred main.(*Server).fetchShard workers blocked on a channel send: the report
//     handler gave up on a deadline and returned, and nobody drains their result channel;
//   - one main.(*Server).handleExport request goroutine blocked forever on a channel receive:
//     it waits for an export job that no worker will ever pick up;
//   - two main.(*Server).handleTransfer request goroutines deadlocked in
//     main.(*Ledger).Transfer: each holds one account's sync.Mutex and waits for the other's;
//   - one main.(*Server).handleCategory request goroutine a thousand cycles deep in
//     main.(*Catalog).crumbs → parentCrumbs (the category tree has a cycle), parked in
//     main.(*Catalog).load on a channel send once its loader ran out of slots;
//   - ordinary idle goroutines: the listener in Accept ("IO wait"), a metrics ticker loop
//     ("select") and a session janitor ("sleep").
//
// It then prints "READY pid=<pid>" on standard output and keeps running until it gets
// SIGINT/SIGTERM or -lifetime elapses. It never contacts any address but the one it
// listens on, which must be a loopback address.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0: chosen by the OS)")
	reports := flag.Int("reports", 3, "report requests to send to ourselves (each leaks -shards workers)")
	shards := flag.Int("shards", 100, "shards fetched per report")
	lifetime := flag.Duration("lifetime", 0, "exit after this long (0: run until signalled)")
	setupTimeout := flag.Duration("setup-timeout", 30*time.Second, "give up if the hang is not set up by then")
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("hungservice: ")

	ln, err := listenLoopback(*addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := NewServer(*shards)
	go srv.Serve(ln)
	go srv.flushMetrics()
	go srv.sessions.evictExpired()

	base := "http://" + ln.Addr().String()
	log.Printf("listening on %s", base)
	want := expectedHang{fetchWorkers: *reports * *shards, exportWaiters: 1, transferLocks: 2, categoryLoops: 1}
	if err := driveTraffic(base, *reports); err != nil {
		log.Fatalf("driving traffic: %v", err)
	}
	if err := waitForHang(want, *setupTimeout); err != nil {
		log.Fatalf("hang not set up: %v", err)
	}
	fmt.Printf("READY pid=%d\n", os.Getpid())
	os.Stdout.Sync()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	var expire <-chan time.Time
	if *lifetime > 0 {
		expire = time.After(*lifetime)
	}
	select {
	case s := <-sigs:
		log.Printf("got %v, exiting", s)
	case <-expire:
		log.Printf("lifetime %v elapsed, exiting", *lifetime)
	}
}

// listenLoopback listens on addr, refusing anything that is not a loopback address.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bad -addr %q: %v", addr, err)
	}
	if host != "localhost" {
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("-addr %q: only loopback addresses are allowed", addr)
		}
	}
	return net.Listen("tcp", addr)
}
