package search

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/imap"
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

// headerTextCall is one Env.HeaderText call.
type headerTextCall struct {
	uids    []uint32
	needles []string
}

// withHeaderText sets f.env.HeaderText to a fake store: the messages of
// uids whose decoded header text contains every needle (what
// store.Mailbox.SearchHeaderText answers), plus, when rng is set, random
// others, since a store may answer a superset.
func withHeaderText(f *fixture, rng *rand.Rand, calls *[]headerTextCall) {
	f.env.HeaderText = func(ctx context.Context, uids []uint32, needles []string) ([]uint32, error) {
		*calls = append(*calls, headerTextCall{slices.Clone(uids), slices.Clone(needles)})
		var out []uint32
		for _, u := range uids {
			text := message.Fold(message.SearchHeader([]byte(f.headers[u])))
			all := true
			for _, n := range needles {
				if n == "" {
					panic("empty needle")
				}
				all = all && strings.Contains(text, message.Fold(n))
			}
			if all || (rng != nil && rng.IntN(4) == 0) {
				out = append(out, u)
			}
		}
		return out, nil
	}
}

// TestHeaderTextNarrows checks that header keys read only the headers of
// the candidates Env.HeaderText names, and that the answers stay those of
// the full read.
func TestHeaderTextNarrows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		key         imap.SearchKey
		want        []uint32 // sequence numbers
		wantHeaders []uint32 // UIDs whose header is read; nil: no Headers call
		wantCalls   int      // HeaderText calls
	}{
		{"from", ks(imap.SearchFrom, "bob"), []uint32{2}, []uint32{3, 5}, 1},
		{"no candidate", ks(imap.SearchSubject, "zebra"), nil, nil, 1},
		{"not", not(ks(imap.SearchFrom, "bob")), []uint32{1, 3, 4, 5}, []uint32{3, 5}, 1},
		{"and intersects", and(ks(imap.SearchFrom, "example"), ks(imap.SearchSubject, "caf")), []uint32{2}, []uint32{5}, 2},
		{"or unites", or(ks(imap.SearchFrom, "dave"), ks(imap.SearchTo, "bob@")), []uint32{1, 4}, []uint32{3, 5, 7, 8}, 2},
		{"same needle once", or(ks(imap.SearchFrom, "alice"), ks(imap.SearchTo, "alice")), []uint32{1, 5}, []uint32{3, 100}, 1},
		{"empty needle not narrowed", or(hdr("X-Spam", ""), ks(imap.SearchFrom, "dave")), []uint32{4, 5}, []uint32{3, 5, 7, 8, 100}, 1},
		{"and narrows the other key", and(hdr("X-Spam", ""), ks(imap.SearchFrom, "dave")), []uint32{4}, []uint32{7, 8}, 1},
		{"sent not narrowed", or(kd(imap.SearchSentOn, 2024, 1, 2), ks(imap.SearchFrom, "bob")), []uint32{2, 3}, []uint32{3, 5, 7, 8, 100}, 1},
		{"cheap keys first", and(k(imap.SearchSeen), ks(imap.SearchFrom, "example")), []uint32{1, 2}, []uint32{3, 5}, 1},
		{"decided without headers", or(k(imap.SearchAll), ks(imap.SearchFrom, "x")), []uint32{1, 2, 3, 4, 5}, nil, 0},
	}
	for _, tt := range tests {
		f := newFixture()
		var calls []headerTextCall
		withHeaderText(f, nil, &calls)
		got, err := Eval(context.Background(), f.env, tt.key)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		var read []uint32
		if len(f.headerUIDs) > 0 {
			read = f.headerUIDs[0]
		}
		if len(f.headerUIDs) > 1 || !slices.Equal(read, tt.wantHeaders) {
			t.Errorf("%s: headers read %v, want %v", tt.name, f.headerUIDs, tt.wantHeaders)
		}
		if len(calls) != tt.wantCalls {
			t.Errorf("%s: %d HeaderText calls %v, want %d", tt.name, len(calls), calls, tt.wantCalls)
		}
	}
}

// TestHeaderTextError checks that a failing HeaderText fails the search.
func TestHeaderTextError(t *testing.T) {
	t.Parallel()
	f := newFixture()
	boom := errors.New("boom")
	f.env.HeaderText = func(context.Context, []uint32, []string) ([]uint32, error) { return nil, boom }
	if _, err := Eval(context.Background(), f.env, ks(imap.SearchFrom, "bob")); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}
