package search

import (
	"testing"

	"petrel.dev/petrel/internal/message"
)

func TestContainsFolded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hay, needle string
		want        bool
	}{
		{"Hello World", "", true},
		{"", "", true},
		{"", "a", false},
		{"Hello World", "o w", true},
		{"Hello World", "WORLD", true},
		{"Hello World", "worlds", false},
		{"aaab", "AAB", true},
		{"ab", "abc", false},
		{"Café", "café", true},
		{"CAFÉ", "café", true},
		{"café", "CAFÉ", true},
		{"Cafe", "café", false}, // a folded non-ASCII needle is never in ASCII
		{"Ünïcödé", "ÏCÖ", true},
		{"Σίσυφος", "ΣΊΣΥΦΟΣ", true},
		{"straße", "STRASSE", false}, // simple case mapping only
		{"STRASSE", "straße", false},
		{"straße", "STRAßE", true},
		{"bad \xff utf8", "UTF8", true},
	}
	for _, tt := range tests {
		n := message.Fold(tt.needle)
		if got := containsFolded(tt.hay, n, isASCII(n)); got != tt.want {
			t.Errorf("containsFolded(%q, %q) = %v, want %v", tt.hay, tt.needle, got, tt.want)
		}
	}
}

func TestSentDay(t *testing.T) {
	t.Parallel()
	m := &Msg{InternalDate: mustTime(t, "2024-03-05T23:00:00-02:00")}
	tests := []struct {
		header string
		want   string // day as YYYY-MM-DD
	}{
		{"Date: Tue, 2 Jan 2024 00:30:00 +0100\r\n\r\n", "2024-01-02"},
		{"Date: Mon, 1 Jan 2024 23:59:59 -1200\r\n\r\n", "2024-01-01"},
		{"Subject: x\r\n\r\n", "2024-03-05"},
		{"Date: not a date\r\n\r\n", "2024-03-05"},
		{"", "2024-03-05"},
	}
	for _, tt := range tests {
		got := sentDay(message.HeaderValues([]byte(tt.header), "date"), m, nil)
		if want := keyDay(mustTime(t, tt.want+"T00:00:00Z")); got != want {
			t.Errorf("sentDay(%q) = %d, want %d", tt.header, got, want)
		}
	}
}

func TestGroupHeaders(t *testing.T) {
	t.Parallel()
	from1 := &node{kind: kHeader, field: "From"}
	from2 := &node{kind: kHeader, field: "FROM"}
	subj := &node{kind: kHeader, field: "Subject"}
	sent := &node{kind: kSent}
	date := &node{kind: kHeader, field: "date"}
	g := groupHeaders([]*node{from1, subj, from2, sent, date})
	if len(g) != 3 || g[0].field != "From" || len(g[0].leaves) != 2 || g[0].leaves[1] != from2 ||
		g[1].field != "Subject" || len(g[2].leaves) != 2 || g[2].leaves[0] != sent || g[2].leaves[1] != date {
		t.Errorf("groups: %+v", g)
	}
}
