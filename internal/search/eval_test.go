package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// TestEvalFetchesOnlyCandidates checks which UIDs reach Headers and Text.
func TestEvalFetchesOnlyCandidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     imap.SearchKey
		headers [][]uint32
		texts   []textCall
	}{
		{"no header keys", and(k(imap.SearchSeen), kd(imap.SearchSince, 2020, 1, 1)), nil, nil},
		{"seen from", and(k(imap.SearchSeen), ks(imap.SearchFrom, "alice")), [][]uint32{{3, 5}}, nil},
		{"two header keys one call", and(ks(imap.SearchFrom, "a"), ks(imap.SearchTo, "b"), k(imap.SearchUnseen)),
			[][]uint32{{7, 8, 100}}, nil},
		{"header key after empty set", and(k(imap.SearchSeen), k(imap.SearchUnseen), ks(imap.SearchFrom, "a")), nil, nil},
		{"flagged body", and(k(imap.SearchFlagged), ks(imap.SearchBody, "x")), nil,
			[]textCall{{[]uint32{7}, []string{"x"}, false}}},
		{"merged body needles", and(ks(imap.SearchBody, "notes"), ks(imap.SearchBody, "meeting"), k(imap.SearchUnseen)), nil,
			[]textCall{{[]uint32{7, 8, 100}, []string{"notes", "meeting"}, false}}},
		{"body and text separate", and(ks(imap.SearchText, "alice"), ks(imap.SearchBody, "notes")), nil,
			[]textCall{{[]uint32{3, 5, 7, 8, 100}, []string{"notes"}, false}, {[]uint32{8, 100}, []string{"alice"}, true}}},
		{"or header body", or(ks(imap.SearchFrom, "alice"), ks(imap.SearchBody, "notes")),
			[][]uint32{{3, 5, 7, 8, 100}},
			[]textCall{{[]uint32{5, 7, 8, 100}, []string{"notes"}, false}}},
		{"header then text", and(ks(imap.SearchBody, "notes"), ks(imap.SearchSubject, "s")),
			[][]uint32{{3, 5, 7, 8, 100}},
			[]textCall{{[]uint32{7, 8}, []string{"notes"}, false}}},
		{"not uid text", and(not(seq(imap.SearchUIDSet, 1, 7)), ks(imap.SearchText, "a")), nil,
			[]textCall{{[]uint32{8, 100}, []string{"a"}, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			if _, err := Eval(context.Background(), f.env, tt.key); err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(f.headerUIDs, tt.headers, slices.Equal) {
				t.Errorf("Headers calls %v, want %v", f.headerUIDs, tt.headers)
			}
			if !slices.EqualFunc(f.textCalls, tt.texts, func(a, b textCall) bool {
				return slices.Equal(a.uids, b.uids) && slices.Equal(a.needles, b.needles) && a.header == b.header
			}) {
				t.Errorf("Text calls %v, want %v", f.textCalls, tt.texts)
			}
		})
	}
}

// TestEvalIgnoresStrayUIDs checks that a store answering with UIDs it was
// not asked about does not change the result.
func TestEvalIgnoresStrayUIDs(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.env.Headers = func(ctx context.Context, uids []uint32, fn func(uint32, []byte) error) error {
		for _, u := range []uint32{1, 3, 5, 999} {
			if err := fn(u, []byte("From: alice\r\n\r\n")); err != nil {
				return err
			}
		}
		return nil
	}
	f.env.Text = func(context.Context, []uint32, []string, bool) ([]uint32, error) {
		return []uint32{999, 3, 5, 8, 2}, nil
	}
	got, err := Eval(context.Background(), f.env, and(k(imap.SearchUnanswered), ks(imap.SearchFrom, "alice")))
	if err != nil || !slices.Equal(got, []uint32{1}) {
		t.Errorf("headers: got %v, %v; want [1]", got, err)
	}
	got, err = Eval(context.Background(), f.env, and(k(imap.SearchSeen), ks(imap.SearchBody, "x")))
	if err != nil || !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("text: got %v, %v; want [1 2]", got, err)
	}
}

// gappyEnv has n messages with UIDs 10, 20, 30, ...
func gappyEnv(n int) *evaluator {
	env := &Env{Msgs: make([]Msg, n)}
	for i := range env.Msgs {
		env.Msgs[i].UID = uint32(10 * (i + 1))
	}
	return &evaluator{env: env, pool: pool{n: n}}
}

func positions(b bitset) []int {
	var out []int
	b.each(func(i int) { out = append(out, i) })
	return out
}

func TestSetsOverManyWords(t *testing.T) {
	t.Parallel()
	e := gappyEnv(200) // UIDs 10..2000, positions 0..199
	r := func(a, b uint32) imap.SeqRange { return imap.SeqRange{Start: a, Stop: b} }
	span := func(lo, hi int) []int {
		var out []int
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
		return out
	}
	tests := []struct {
		name   string
		uid    bool
		ranges []imap.SeqRange
		want   []int
	}{
		{"seq 60:130", false, []imap.SeqRange{r(60, 130)}, span(59, 129)},
		{"seq *:190", false, []imap.SeqRange{r(0, 190)}, span(189, 199)},
		{"seq 300:*", false, []imap.SeqRange{r(300, 0)}, []int{199}},
		{"seq 201:300", false, []imap.SeqRange{r(201, 300)}, nil},
		{"seq overlapping", false, []imap.SeqRange{r(1, 3), r(2, 4)}, span(0, 3)},
		{"uid 15:35", true, []imap.SeqRange{r(15, 35)}, []int{1, 2}},
		{"uid exact bounds", true, []imap.SeqRange{r(640, 650)}, []int{63, 64}},
		{"uid 1995:*", true, []imap.SeqRange{r(1995, 0)}, []int{199}},
		{"uid 5000:*", true, []imap.SeqRange{r(5000, 0)}, []int{199}},
		{"uid 2001:3000", true, []imap.SeqRange{r(2001, 3000)}, nil},
		{"uid 1:9", true, []imap.SeqRange{r(1, 9)}, nil},
		{"uid 11:19", true, []imap.SeqRange{r(11, 19)}, nil},
		{"uid whole", true, []imap.SeqRange{r(1, 4294967295)}, span(0, 199)},
	}
	for _, tt := range tests {
		dst := e.pool.get()
		if tt.uid {
			e.uidSet(tt.ranges, dst)
		} else {
			e.seqSet(tt.ranges, dst)
		}
		if got := positions(dst); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSavedSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		saved []uint32
		want  []int
	}{
		{nil, nil},
		{[]uint32{10, 2000}, []int{0, 199}},
		{[]uint32{2000, 10, 15, 640, 640, 99999}, []int{0, 63, 199}},
		{[]uint32{1, 5, 11}, nil},
	}
	for _, tt := range tests {
		e := gappyEnv(200)
		e.saved = sortedSaved(tt.saved)
		dst := e.pool.get()
		e.savedSet(dst)
		if got := positions(dst); !slices.Equal(got, tt.want) {
			t.Errorf("saved %v: got %v, want %v", tt.saved, got, tt.want)
		}
	}
}

func TestSortedSavedDoesNotModify(t *testing.T) {
	t.Parallel()
	s := []uint32{3, 1, 2}
	if got := sortedSaved(s); !slices.Equal(got, []uint32{1, 2, 3}) || !slices.Equal(s, []uint32{3, 1, 2}) {
		t.Errorf("got %v, input now %v", got, s)
	}
}

func TestHasFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flags []string
		name  string
		want  bool
	}{
		{[]string{`\Seen`}, `\seen`, true},
		{[]string{`\SEEN`}, `\seen`, true},
		{[]string{`\Seen`}, `\see`, false},
		{[]string{`\Seenx`}, `\seen`, false},
		{[]string{`$Label1`, `NonJunk`}, `nonjunk`, true},
		{nil, `\seen`, false},
		{[]string{""}, "", true},
	}
	for _, tt := range tests {
		if got := hasFlag(tt.flags, lowerASCII(tt.name)); got != tt.want {
			t.Errorf("hasFlag(%q, %q) = %v, want %v", tt.flags, tt.name, got, tt.want)
		}
	}
}

func TestInternalDayAroundMidnight(t *testing.T) {
	t.Parallel()
	jan1 := keyDay(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		t    time.Time
		loc  *time.Location
		want int64
	}{
		{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), nil, jan1},
		{time.Date(2023, 12, 31, 23, 59, 59, 999999999, time.UTC), nil, jan1 - 1},
		{time.Date(2024, 1, 1, 23, 59, 59, 0, zone("", -11)), nil, jan1},
		{time.Date(2024, 1, 1, 23, 59, 59, 0, zone("", -11)), time.UTC, jan1 + 1},
		{time.Date(2024, 1, 1, 0, 30, 0, 0, zone("", 13)), nil, jan1},
		{time.Date(2024, 1, 1, 0, 30, 0, 0, zone("", 13)), time.UTC, jan1 - 1},
		{time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC), nil, -1},
		{time.Time{}, nil, keyDay(time.Time{})},
	}
	for i, tt := range tests {
		if got := internalDay(tt.t, tt.loc); got != tt.want {
			t.Errorf("%d: internalDay(%v, %v) = %d, want %d", i, tt.t, tt.loc, got, tt.want)
		}
	}
}

func TestDayCmp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		day  int64
		op   cmpOp
		want bool
	}{
		{9, cmpBefore, true}, {10, cmpBefore, false}, {11, cmpBefore, false},
		{9, cmpOn, false}, {10, cmpOn, true}, {11, cmpOn, false},
		{9, cmpSince, false}, {10, cmpSince, true}, {11, cmpSince, true},
	}
	for _, tt := range tests {
		if got := dayCmp(tt.day, tt.op, 10); got != tt.want {
			t.Errorf("dayCmp(%d, %d, 10) = %v", tt.day, tt.op, got)
		}
	}
}

func TestFloorDiv(t *testing.T) {
	t.Parallel()
	for _, tt := range [][3]int64{{7, 2, 3}, {-7, 2, -4}, {-8, 2, -4}, {0, 5, 0}, {-1, 86400, -1}, {86399, 86400, 0}} {
		if got := floorDiv(tt[0], tt[1]); got != tt[2] {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tt[0], tt[1], got, tt[2])
		}
	}
}
