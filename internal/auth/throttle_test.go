package auth

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestFailuresBounded(t *testing.T) {
	fs := newFailures()
	now := time.Unix(1e9, 0)
	for i := range maxTracked + 500 {
		fs.add(fmt.Sprint(i), now)
	}
	if n := fs.len(); n > maxTracked {
		t.Fatalf("tracking %d keys, cap is %d", n, maxTracked)
	}
	// Decayed entries are dropped first.
	for i := 0; fs.len() < maxTracked; i++ {
		fs.add(fmt.Sprint("more", i), now)
	}
	fs.add("fresh", now.Add(time.Hour))
	if n := fs.len(); n != 1 {
		t.Fatalf("after decay, tracking %d keys, want 1", n)
	}
}

func TestRemoteKey(t *testing.T) {
	tests := map[string]string{
		"192.0.2.1":            "192.0.2.1",
		"::ffff:192.0.2.1":     "192.0.2.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::99":     "2001:db8:1:2::/64",
	}
	for in, want := range tests {
		if got := remoteKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("remoteKey(%s) = %q, want %q", in, got, want)
		}
	}
	if got := remoteKey(netip.Addr{}); got != "" {
		t.Errorf("remoteKey(zero) = %q", got)
	}
}

func TestFailureDelay(t *testing.T) {
	const base, maxD = 500 * time.Millisecond, 15 * time.Second
	tests := []struct {
		score float64
		want  time.Duration
	}{
		{1, 500 * time.Millisecond},
		{2, time.Second},
		{3, 2 * time.Second},
		{1.5, 707106781 * time.Nanosecond},
		{6, maxD},
		{1e6, maxD}, // no overflow
	}
	for _, tt := range tests {
		if got := failureDelay(tt.score, base, maxD); got != tt.want {
			t.Errorf("failureDelay(%v) = %v, want %v", tt.score, got, tt.want)
		}
	}
	if got := failureDelay(5, -1, maxD); got != 0 {
		t.Errorf("disabled delay = %v", got)
	}
}
