package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLookupPool(t *testing.T) {
	var calls atomic.Int64
	p := newLookupPool(func(_ context.Context, user string) (string, error) {
		calls.Add(1)
		switch user {
		case "missing":
			return "", errors.New("no such user")
		case "boom":
			panic("lookup exploded")
		}
		return "hash-of-" + user, nil
	}, 2, time.Hour)
	ctx := context.Background()
	tests := []struct {
		user, hash, err string
	}{
		{"alice", "hash-of-alice", ""},
		{"bob", "hash-of-bob", ""},
		{"missing", "", "no such user"},
		{"boom", "", "panicked: lookup exploded"},
		{"alice", "hash-of-alice", ""}, // the worker survived the panic
	}
	for _, tt := range tests {
		hash, err := p.lookup(ctx, tt.user)
		if hash != tt.hash || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("lookup(%q) = %q, %v; want %q, %q", tt.user, hash, err, tt.hash, tt.err)
		}
	}
	if calls.Load() != int64(len(tests)) {
		t.Errorf("%d calls for %d lookups", calls.Load(), len(tests))
	}
	if n := p.running(); n < 1 || n > 2 {
		t.Errorf("%d workers after sequential lookups, want 1 or 2", n)
	}
}

// TestLookupPoolNeverQueues: with every worker busy, callers run the
// lookup themselves instead of waiting, and no more than max workers run.
func TestLookupPoolNeverQueues(t *testing.T) {
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	p := newLookupPool(func(ctx context.Context, user string) (string, error) {
		n := inFlight.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		defer inFlight.Add(-1)
		if user == "slow" {
			<-release
		}
		return user, nil
	}, 2, time.Hour)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.lookup(ctx, "slow")
		}()
	}
	for inFlight.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Both workers are blocked: this lookup must not wait for them.
	done := make(chan string, 1)
	go func() { h, _ := p.lookup(ctx, "fast"); done <- h }()
	select {
	case h := <-done:
		if h != "fast" {
			t.Errorf("got %q", h)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lookup queued behind busy workers")
	}
	if n := p.running(); n != 2 {
		t.Errorf("%d workers, want 2", n)
	}
	close(release)
	wg.Wait()
}

func TestLookupPoolIdleWorkersEnd(t *testing.T) {
	p := newLookupPool(func(_ context.Context, user string) (string, error) { return user, nil }, 4, 20*time.Millisecond)
	if h, err := p.lookup(context.Background(), "a"); h != "a" || err != nil {
		t.Fatalf("lookup = %q, %v", h, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.running() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers still running after their idle time", p.running())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A new lookup starts a worker again.
	if h, err := p.lookup(context.Background(), "b"); h != "b" || err != nil {
		t.Fatalf("lookup after idle = %q, %v", h, err)
	}
}

func TestLookupPoolConcurrent(t *testing.T) {
	p := newLookupPool(func(_ context.Context, user string) (string, error) { return "h" + user, nil }, 3, time.Hour)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				u := string(rune('a'+g)) + string(rune('a'+i%26))
				if h, err := p.lookup(context.Background(), u); h != "h"+u || err != nil {
					t.Errorf("lookup(%q) = %q, %v", u, h, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := p.running(); n > 3 {
		t.Errorf("%d workers, limit 3", n)
	}
}
