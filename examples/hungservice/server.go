package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Server serves the report, export and ledger endpoints.
type Server struct {
	http     *http.Server
	shards   int
	exports  *ExportQueue
	ledger   *Ledger
	sessions *SessionStore
	catalog  *Catalog
	quit     chan struct{}
	metrics  struct {
		requests atomic.Int64
		timeouts atomic.Int64
	}
}

func NewServer(shards int) *Server {
	s := &Server{
		shards:   shards,
		exports:  NewExportQueue(16),
		ledger:   NewLedger("alice", "bob", "carol"),
		sessions: NewSessionStore(),
		catalog:  NewCatalog(importedCategories, 1000),
		quit:     make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/report", s.handleReport)
	mux.HandleFunc("/export", s.handleExport)
	mux.HandleFunc("/transfer", s.handleTransfer)
	mux.HandleFunc("/category", s.handleCategory)
	s.http = &http.Server{Handler: s.countRequests(mux), ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Serve accepts connections on ln until the process exits; while idle it sits in Accept.
func (s *Server) Serve(ln net.Listener) {
	if err := s.http.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Printf("serve: %v", err)
	}
}

func (s *Server) countRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.requests.Add(1)
		next.ServeHTTP(w, r)
	})
}

// handleCategory answers with a category's breadcrumb trail.
func (s *Server) handleCategory(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, s.catalog.Breadcrumbs(r.URL.Query().Get("id")))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "ok")
}

// shardResult is one shard's share of a report.
type shardResult struct {
	shard int
	rows  int
	err   error
}

// handleReport fans out one fetchShard worker per shard and aggregates their results,
// giving up after the request's deadline.
//
// BUG: on the timeout path it returns without draining results, and results is unbuffered,
// so every worker that finishes after the deadline blocks forever on its send.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	deadline := 20 * time.Millisecond
	if v := r.URL.Query().Get("deadline_ms"); v != "" {
		if ms, err := strconv.Atoi(v); err == nil {
			deadline = time.Duration(ms) * time.Millisecond
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), deadline)
	defer cancel()

	results := make(chan shardResult)
	for i := 0; i < s.shards; i++ {
		go s.fetchShard(i, results)
	}
	total := 0
	for got := 0; got < s.shards; got++ {
		select {
		case res := <-results:
			if res.err != nil {
				http.Error(w, res.err.Error(), http.StatusBadGateway)
				return
			}
			total += res.rows
		case <-ctx.Done():
			s.metrics.timeouts.Add(1)
			http.Error(w, "report timed out", http.StatusGatewayTimeout)
			return
		}
	}
	json.NewEncoder(w).Encode(map[string]int{"rows": total})
}

// fetchShard loads one shard (simulated by a delay longer than the report deadline) and
// sends its result back to handleReport.
func (s *Server) fetchShard(shard int, results chan<- shardResult) {
	rows := s.queryShard(shard)
	results <- shardResult{shard: shard, rows: rows}
}

//go:noinline
func (s *Server) queryShard(shard int) int {
	time.Sleep(200*time.Millisecond + time.Duration(shard%7)*time.Millisecond)
	return 1000 + shard
}

// handleExport queues an export job and waits for its result.
//
// BUG: the export workers were never started (see ExportQueue.Start), so the job is never
// picked up and this request goroutine waits forever on job.done.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	job := &ExportJob{Format: r.URL.Query().Get("format"), done: make(chan ExportResult)}
	if !s.exports.Submit(job) {
		http.Error(w, "export queue full", http.StatusServiceUnavailable)
		return
	}
	res := job.Wait()
	fmt.Fprintf(w, "exported %d bytes\n", res.Bytes)
}

// handleTransfer moves an amount between two ledger accounts.
func (s *Server) handleTransfer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	amount, err := strconv.ParseInt(q.Get("amount"), 10, 64)
	if err != nil {
		http.Error(w, "bad amount", http.StatusBadRequest)
		return
	}
	if err := s.ledger.Transfer(q.Get("from"), q.Get("to"), amount); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	fmt.Fprintln(w, "ok")
}

// flushMetrics is the usual ticker loop: idle in a select between ticks.
func (s *Server) flushMetrics() {
	ticker := time.NewTicker(10 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			log.Printf("metrics: requests=%d report_timeouts=%d",
				s.metrics.requests.Load(), s.metrics.timeouts.Load())
		case <-s.quit:
			return
		}
	}
}
