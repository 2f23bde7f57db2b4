package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The garbage collector's heap goal is the live heap times 1+GOGC/100.
// A mail server's live heap is small when few sessions are open (3 MB in
// the mixed benchmark), while every command allocates: with the default
// GOGC of 100 the collector ran 30 times a second there, 6–9% of the
// server's CPU. serve therefore keeps the goal at least gcFloor: after
// each collection GOGC is set so that live × (1+GOGC/100) ≥ gcFloor, and
// back to 100 once the live heap alone is that large. The cost is memory
// the process may hold between collections, up to gcFloor. A GOGC set in
// the environment is left alone.
//
// A raised GOGC must not meet a sudden jump of the live heap: a collection
// that ends while two argon2id hashes (64 MiB each) are in flight would set
// the next goal to their size times 1+GOGC/100, gigabytes, until the tuner
// runs again. So while GOGC is raised, a soft memory limit of four times
// the floor caps the goal (unless GOMEMLIMIT is set in the environment); with GOGC back at
// 100 there is none. In the idle-memory benchmark (10,000 logins of 50
// users) the process kept 190 MB more without the cap.
const gcFloor = 64 << 20

// gcPercentFor returns the GOGC that gives a live heap of live bytes a
// goal of at least floor, between 100 and 10,000.
func gcPercentFor(live, floor uint64) int {
	if live == 0 || live >= floor/2 {
		return 100
	}
	pct := (floor - live) * 100 / live
	return int(min(max(pct, 100), 10000))
}

// tuneGC keeps the heap goal at least floor until stop is called; it
// does nothing when GOGC is set in the environment.
func tuneGC(floor uint64) (stop func()) {
	if _, set := os.LookupEnv("GOGC"); set {
		return func() {}
	}
	_, limitSet := os.LookupEnv("GOMEMLIMIT")
	t := &gcTuner{floor: floor, limit: !limitSet}
	t.adjust()
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.stopped = true
		debug.SetGCPercent(100)
		if t.limit {
			debug.SetMemoryLimit(math.MaxInt64)
		}
	}
}

type gcTuner struct {
	floor   uint64
	limit   bool       // set the memory limit with GOGC
	mu      sync.Mutex // guards the fields below and orders SetGCPercent calls
	pct     int
	stopped bool
}

// arm runs adjust after the next collection: the finalizer of an object
// that nothing references runs once a collection has found it garbage,
// and arms the next.
func (t *gcTuner) arm() {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		if t.adjust() {
			t.arm()
		}
	})
}

// adjust sets GOGC for the live heap now; false once stopped.
func (t *gcTuner) adjust() bool {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if sample[0].Value.Kind() == metrics.KindUint64 {
		if pct := gcPercentFor(sample[0].Value.Uint64(), t.floor); pct != t.pct {
			t.pct = pct
			if t.limit {
				// Before GOGC goes up, after it comes down.
				if pct > 100 {
					debug.SetMemoryLimit(int64(4 * t.floor))
				} else {
					defer debug.SetMemoryLimit(math.MaxInt64)
				}
			}
			debug.SetGCPercent(pct)
		}
	}
	return true
}
