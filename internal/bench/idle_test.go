package bench

import (
	"net"
	"testing"
)

func TestSourceAddrs(t *testing.T) {
	var s sourceAddrs
	if got := s.current().(*net.TCPAddr).IP.String(); got != "127.0.0.1" {
		t.Errorf("first source %s", got)
	}
	n := 0
	for s.next() {
		n++
		if n > 300 {
			t.Fatal("next never ends")
		}
	}
	if n != 253 {
		t.Errorf("%d further addresses, want 253 (127.0.0.2..254)", n)
	}
	if got := s.current().(*net.TCPAddr).IP.String(); got != "127.0.0.254" {
		t.Errorf("last source %s", got)
	}
}

func TestIdleDialer(t *testing.T) {
	tests := map[string]bool{"127.0.0.1:143": true, "[::1]:143": false, "localhost:143": false}
	for target, spread := range tests {
		d := idleDialer(&Options{Target: target, Timeout: 1})
		if (d.local != nil) != spread {
			t.Errorf("%s: source spreading %v, want %v", target, d.local != nil, spread)
		}
	}
}
