package storetest

import (
	"testing"
	"time"

	"petrel.dev/petrel/internal/store"
)

func TestHelpers(t *testing.T) {
	msg := testMessage("s", "b")
	if h := headerOf(msg); h[len(h)-4:] != "\r\n\r\n" || len(h) >= len(msg) {
		t.Errorf("headerOf = %q", h)
	}
	flagTests := []struct {
		a, b []string
		want bool
	}{
		{nil, nil, true},
		{[]string{`\Seen`, "$K"}, []string{"$K", `\Seen`}, true},
		{[]string{`\Seen`}, []string{`\seen`}, false},
		{[]string{`\Seen`}, nil, false},
	}
	for _, tt := range flagTests {
		if got := sameFlags(tt.a, tt.b); got != tt.want {
			t.Errorf("sameFlags(%v, %v) = %v", tt.a, tt.b, got)
		}
	}
	t1 := time.Date(2024, 1, 1, 12, 0, 0, 0, time.FixedZone("", 3600))
	if !sameTime(t1, t1.Add(500*time.Millisecond)) {
		t.Error("sameTime ignores sub-second precision")
	}
	if sameTime(t1, t1.UTC()) {
		t.Error("sameTime ignores the zone offset")
	}
	r := &recorder{}
	r.record(store.Change{Kind: store.ChangeAppend})
	if cs := r.take(); len(cs) != 1 || len(r.take()) != 0 {
		t.Error("recorder.take")
	}
}
