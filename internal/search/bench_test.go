package search

import (
	"context"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// bigEnv builds a view of n messages with a few flags each and internal
// dates spread over about three years.
func bigEnv(n int) *Env {
	env := &Env{Msgs: make([]Msg, n)}
	flagSets := [][]string{
		{imap.FlagSeen},
		{imap.FlagSeen, imap.FlagAnswered},
		{},
		{imap.FlagSeen, imap.FlagFlagged, "$Work"},
		{`\seen`, "Junk"},
	}
	start := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range env.Msgs {
		env.Msgs[i] = Msg{
			UID:          uint32(2*i + 1),
			Flags:        flagSets[i%len(flagSets)],
			Recent:       i%97 == 0,
			InternalDate: start.Add(time.Duration(i) * 97 * time.Second),
			Size:         int64(1000 + i%50000),
		}
	}
	return env
}

// BenchmarkFlagDate1M is UNSEEN SINCE <date> FLAGGED-or-not over a million
// messages: the in-memory path, no header or text access.
func BenchmarkFlagDate1M(b *testing.B) {
	env := bigEnv(1_000_000)
	key := and(
		k(imap.SearchUnflagged),
		kd(imap.SearchSince, 2023, time.June, 1),
		not(k(imap.SearchDeleted)),
		ks(imap.SearchKeyword, "junk"),
	)
	ctx := context.Background()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		res, err := Eval(ctx, env, key)
		if err != nil {
			b.Fatal(err)
		}
		n = len(res)
	}
	b.ReportMetric(float64(n), "matches")
}

// BenchmarkOrUIDs1M is an OR of UID ranges with a date key over a million
// messages, as clients send for "new since last sync".
func BenchmarkOrUIDs1M(b *testing.B) {
	env := bigEnv(1_000_000)
	key := and(
		or(seq(imap.SearchUIDSet, 1000, 200000), seq(imap.SearchUIDSet, 1500000, 0)),
		kd(imap.SearchBefore, 2024, time.January, 1),
		k(imap.SearchSeen),
	)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Eval(ctx, env, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeader100k is FROM and SUBJECT over the unseen messages of a
// 100,000-message view, with headers served from memory: it measures the
// header phase itself, not a store.
func BenchmarkHeader100k(b *testing.B) {
	env := bigEnv(100_000)
	header := []byte("From: Some Sender <sender@example.com>\r\nTo: you@example.org\r\n" +
		"Subject: Quarterly report for the board\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n")
	env.Headers = func(ctx context.Context, uids []uint32, fn func(uint32, []byte) error) error {
		for _, u := range uids {
			if err := fn(u, header); err != nil {
				return err
			}
		}
		return nil
	}
	key := and(k(imap.SearchUnseen), ks(imap.SearchFrom, "SENDER"), ks(imap.SearchSubject, "report"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Eval(ctx, env, key); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBigEnvMatchesLinear cross-checks the bitset evaluation against a
// direct per-message evaluation on a mailbox spanning many words.
func TestBigEnvMatchesLinear(t *testing.T) {
	t.Parallel()
	env := bigEnv(5000)
	day := keyDay(time.Date(2022, 1, 3, 0, 0, 0, 0, time.UTC))
	key := or(
		and(k(imap.SearchUnflagged), kd(imap.SearchSince, 2022, time.January, 3), ks(imap.SearchKeyword, "JUNK")),
		and(seq(imap.SearchUIDSet, 101, 301), not(k(imap.SearchSeen))),
	)
	got, err := Eval(context.Background(), env, key)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint32
	for i, m := range env.Msgs {
		a := !hasFlag(m.Flags, `\flagged`) && internalDay(m.InternalDate, nil) >= day && hasFlag(m.Flags, "junk")
		b := m.UID >= 101 && m.UID <= 301 && !hasFlag(m.Flags, `\seen`)
		if a || b {
			want = append(want, uint32(i+1))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d matches, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("match %d: got %d, want %d", i, got[i], want[i])
		}
	}
	if len(want) == 0 {
		t.Fatal("fixture matches nothing")
	}
}
