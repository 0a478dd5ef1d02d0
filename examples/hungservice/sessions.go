package main

import (
	"sync"
	"time"
)

type session struct {
	user    string
	expires time.Time
}

// SessionStore keeps login sessions; a janitor evicts expired ones once a minute.
type SessionStore struct {
	mu       sync.Mutex
	sessions map[string]session
}

func NewSessionStore() *SessionStore {
	return &SessionStore{sessions: make(map[string]session)}
}

func (s *SessionStore) evictExpired() {
	for {
		time.Sleep(time.Minute)
		now := time.Now()
		s.mu.Lock()
		for id, sess := range s.sessions {
			if now.After(sess.expires) {
				delete(s.sessions, id)
			}
		}
		s.mu.Unlock()
	}
}
