package main

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

var ErrInsufficientFunds = errors.New("insufficient funds")

type Account struct {
	mu      sync.Mutex
	name    string
	balance int64
}

// Ledger holds accounts, each guarded by its own mutex.
type Ledger struct {
	accounts map[string]*Account
	journal  *Journal
}

func NewLedger(names ...string) *Ledger {
	l := &Ledger{accounts: make(map[string]*Account), journal: &Journal{}}
	for _, n := range names {
		l.accounts[n] = &Account{name: n, balance: 1_000_000}
	}
	return l
}

// Transfer moves amount from one account to another.
//
// BUG: it locks the two accounts in argument order, so a transfer alice->bob running at the
// same time as bob->alice deadlocks: each holds its source account's mutex and waits in
// sync.(*Mutex).Lock for the other's.
func (l *Ledger) Transfer(from, to string, amount int64) error {
	src, dst := l.accounts[from], l.accounts[to]
	if src == nil || dst == nil || src == dst {
		return fmt.Errorf("bad transfer %q -> %q", from, to)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.balance < amount {
		return ErrInsufficientFunds
	}
	l.journal.Record(from, to, amount)

	dst.mu.Lock()
	defer dst.mu.Unlock()
	src.balance -= amount
	dst.balance += amount
	return nil
}

// Journal is the (slow) audit trail of transfers.
type Journal struct {
	mu      sync.Mutex
	entries []string
}

func (j *Journal) Record(from, to string, amount int64) {
	time.Sleep(100 * time.Millisecond) // simulated fsync of the audit log
	j.mu.Lock()
	j.entries = append(j.entries, fmt.Sprintf("%s -> %s: %d", from, to, amount))
	j.mu.Unlock()
}
