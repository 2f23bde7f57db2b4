package auth

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// Failed logins are tracked as a score per key (remote network, user
// name) that grows by one per failure and halves every failureHalfLife.
// The delay after a failure is BaseDelay·2^(score-1), capped at MaxDelay:
// with the defaults, 0.5 s, 1 s, 2 s … 15 s, back to short delays after
// some minutes of quiet. Each map holds at most maxTracked keys; when it
// is full, entries that have decayed away go first, then arbitrary ones,
// so memory stays bounded under a flood of distinct names or addresses.
// Evicting an attacker's entry only shortens that attacker's delays; the
// entry of a user under attack is refreshed by every guess.
const (
	failureHalfLife = 5 * time.Minute
	maxTracked      = 10000
	// forgetScore is the score below which an entry may be dropped.
	forgetScore = 0.1
)

// failures counts recent failures per key.
type failures struct {
	mu sync.Mutex
	m  map[string]failure // guarded by mu
}

type failure struct {
	score float64
	at    time.Time
}

func newFailures() *failures {
	return &failures{m: make(map[string]failure)}
}

// decayed returns f's score as of now.
func (f failure) decayed(now time.Time) float64 {
	el := now.Sub(f.at)
	if el <= 0 {
		return f.score
	}
	return f.score * math.Exp2(-float64(el)/float64(failureHalfLife))
}

// add records one failure for key and returns its new score.
func (fs *failures) add(key string, now time.Time) float64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	old, ok := fs.m[key]
	if !ok && len(fs.m) >= maxTracked {
		fs.evictLocked(now)
	}
	s := 1.0
	if ok {
		s += old.decayed(now)
	}
	fs.m[key] = failure{score: s, at: now}
	return s
}

// evictLocked makes room: it drops entries that have decayed away and,
// if that frees less than a tenth of the map, arbitrary ones down to
// nine tenths, so that the O(n) sweep runs at most once per n/10 inserts.
func (fs *failures) evictLocked(now time.Time) {
	for k, f := range fs.m {
		if f.decayed(now) < forgetScore {
			delete(fs.m, k)
		}
	}
	for k := range fs.m {
		if len(fs.m) <= maxTracked*9/10 {
			break
		}
		delete(fs.m, k)
	}
}

// reset forgets key.
func (fs *failures) reset(key string) {
	fs.mu.Lock()
	delete(fs.m, key)
	fs.mu.Unlock()
}

// len returns the number of tracked keys.
func (fs *failures) len() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.m)
}

// remoteKey groups addresses the way one attacker usually holds them: a
// single IPv4 address, or an IPv6 /64. It returns "" for an invalid addr.
func remoteKey(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// failureDelay returns base·2^(score-1), capped at maxDelay.
func failureDelay(score float64, base, maxDelay time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	d := float64(base) * math.Exp2(score-1)
	if d >= float64(maxDelay) {
		return maxDelay
	}
	return time.Duration(d)
}
