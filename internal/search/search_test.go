package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// fixture is a five-message mailbox with headers and bodies, and counters
// of the calls Eval makes.
type fixture struct {
	env        *Env
	headers    map[uint32]string
	bodies     map[uint32]string
	headerUIDs [][]uint32 // one entry per Headers call
	textCalls  []textCall
}

type textCall struct {
	uids    []uint32
	needles []string
	header  bool
}

func zone(name string, hours int) *time.Location { return time.FixedZone(name, hours*3600) }

func newFixture() *fixture {
	f := &fixture{
		headers: map[uint32]string{
			3: "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Hello world\r\n" +
				"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n",
			5: "From: Bob <bob@example.org>\r\nCc: carol@example.com\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n" +
				"Date: Tue, 2 Jan 2024 00:30:00 +0100\r\n\r\n",
			7: "From: carol@example.com\r\nBcc: dave@example.net\r\nSubject: STRASSE\r\n\r\n",
			8: "From: Dave <dave@example.net>\r\nSubject: straße\r\nX-Spam:\r\nDate: garbage\r\n\r\n",
			100: "From: =?utf-8?q?=C3=89mile?= <emile@example.fr>\r\nTo: alice@example.com\r\n" +
				"X-Spam: yes\r\nDate: Sun, 31 Dec 2023 23:00:00 -0800\r\n\r\n",
		},
		bodies: map[uint32]string{
			3:   "hello body one",
			5:   "meeting at the café",
			7:   "nothing",
			8:   "Meeting notes",
			100: "notes",
		},
	}
	f.env = &Env{
		Msgs: []Msg{
			{UID: 3, Flags: []string{`\Seen`}, InternalDate: time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC), Size: 100, ModSeq: 7, SaveDate: time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC), EmailID: 7, ThreadID: 5},
			{UID: 5, Flags: []string{`\Answered`, `\seen`, `$Label1`}, Recent: true,
				InternalDate: time.Date(2024, 1, 1, 23, 30, 0, 0, zone("EST", -5)), Size: 200, ModSeq: 9, ThreadID: 5},
			{UID: 7, Flags: []string{`\Flagged`, `\Deleted`}, Recent: true,
				InternalDate: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Size: 300, ModSeq: 3},
			{UID: 8, Flags: []string{`\Draft`, `Work`},
				InternalDate: time.Date(2024, 1, 3, 12, 0, 0, 0, zone("LINT", 14)), Size: 400},
			{UID: 100, InternalDate: time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC), Size: 50},
		},
		Headers: func(ctx context.Context, uids []uint32, fn func(uint32, []byte) error) error {
			f.headerUIDs = append(f.headerUIDs, slices.Clone(uids))
			for _, u := range uids {
				if err := fn(u, []byte(f.headers[u])); err != nil {
					return err
				}
			}
			return nil
		},
		Text: func(ctx context.Context, uids []uint32, needles []string, header bool) ([]uint32, error) {
			f.textCalls = append(f.textCalls, textCall{slices.Clone(uids), slices.Clone(needles), header})
			var out []uint32
			for _, u := range uids {
				text := f.bodies[u]
				if header {
					text = f.headers[u] + text
				}
				all := true
				for _, n := range needles {
					all = all && strings.Contains(strings.ToLower(text), strings.ToLower(n))
				}
				if all {
					out = append(out, u)
				}
			}
			return out, nil
		},
	}
	return f
}

// Key constructors for readable tables.
func k(op imap.SearchOp) imap.SearchKey { return imap.SearchKey{Op: op} }
func ks(op imap.SearchOp, s string) imap.SearchKey {
	return imap.SearchKey{Op: op, Str: s}
}
func kd(op imap.SearchOp, y int, m time.Month, d int) imap.SearchKey {
	return imap.SearchKey{Op: op, Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}
func kn(op imap.SearchOp, n int64) imap.SearchKey { return imap.SearchKey{Op: op, Num: n} }
func hdr(field, s string) imap.SearchKey {
	return imap.SearchKey{Op: imap.SearchHeader, Field: field, Str: s}
}
func and(sub ...imap.SearchKey) imap.SearchKey { return imap.SearchKey{Op: imap.SearchAnd, Sub: sub} }
func or(a, b imap.SearchKey) imap.SearchKey {
	return imap.SearchKey{Op: imap.SearchOr, Sub: []imap.SearchKey{a, b}}
}
func not(a imap.SearchKey) imap.SearchKey {
	return imap.SearchKey{Op: imap.SearchNot, Sub: []imap.SearchKey{a}}
}
func seq(op imap.SearchOp, rs ...uint32) imap.SearchKey {
	key := imap.SearchKey{Op: op}
	for i := 0; i+1 < len(rs); i += 2 {
		key.Set.Ranges = append(key.Set.Ranges, imap.SeqRange{Start: rs[i], Stop: rs[i+1]})
	}
	return key
}
func saved(op imap.SearchOp) imap.SearchKey {
	return imap.SearchKey{Op: op, Set: imap.SeqSet{Saved: true}}
}

func TestEvalKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  imap.SearchKey
		want []uint32
	}{
		{"all", k(imap.SearchAll), []uint32{1, 2, 3, 4, 5}},
		{"answered", k(imap.SearchAnswered), []uint32{2}},
		{"deleted", k(imap.SearchDeleted), []uint32{3}},
		{"draft", k(imap.SearchDraft), []uint32{4}},
		{"flagged", k(imap.SearchFlagged), []uint32{3}},
		{"seen any case", k(imap.SearchSeen), []uint32{1, 2}},
		{"unanswered", k(imap.SearchUnanswered), []uint32{1, 3, 4, 5}},
		{"undeleted", k(imap.SearchUndeleted), []uint32{1, 2, 4, 5}},
		{"undraft", k(imap.SearchUndraft), []uint32{1, 2, 3, 5}},
		{"unflagged", k(imap.SearchUnflagged), []uint32{1, 2, 4, 5}},
		{"unseen", k(imap.SearchUnseen), []uint32{3, 4, 5}},
		{"keyword case", ks(imap.SearchKeyword, "$LABEL1"), []uint32{2}},
		{"keyword lower", ks(imap.SearchKeyword, "work"), []uint32{4}},
		{"keyword absent", ks(imap.SearchKeyword, "nope"), nil},
		{"unkeyword", ks(imap.SearchUnkeyword, "WORK"), []uint32{1, 2, 3, 5}},
		{"recent", k(imap.SearchRecent), []uint32{2, 3}},
		{"new", k(imap.SearchNew), []uint32{3}},
		{"not new", not(k(imap.SearchNew)), []uint32{1, 2, 4, 5}},
		{"old", k(imap.SearchOld), []uint32{1, 4, 5}},
		{"not old", not(k(imap.SearchOld)), []uint32{2, 3}},
		{"modseq", kn(imap.SearchModSeq, 7), []uint32{1, 2}},
		// Save dates (RFC 8514 §4.3); messages without one use the
		// internal date.
		{"savedon", kd(imap.SearchSavedOn, 2024, 2, 1), []uint32{1}},
		{"emailid", ks(imap.SearchEmailID, "E7"), []uint32{1}},
		{"emailid foreign", ks(imap.SearchEmailID, "x7"), nil},
		{"threadid", ks(imap.SearchThreadID, "T5"), []uint32{1, 2}},
		{"savedsince feb", kd(imap.SearchSavedSince, 2024, 1, 3), []uint32{1, 4}},
		{"savedbefore jan 2", kd(imap.SearchSavedBefore, 2024, 1, 2), []uint32{2, 5}},
		{"not modseq", not(kn(imap.SearchModSeq, 4)), []uint32{3, 4, 5}},

		// Internal dates, each in its own zone.
		{"before jan 1", kd(imap.SearchBefore, 2024, 1, 1), []uint32{5}},
		{"before jan 2", kd(imap.SearchBefore, 2024, 1, 2), []uint32{1, 2, 5}},
		{"on dec 31", kd(imap.SearchOn, 2023, 12, 31), []uint32{5}},
		{"on jan 1", kd(imap.SearchOn, 2024, 1, 1), []uint32{1, 2}},
		{"on jan 2", kd(imap.SearchOn, 2024, 1, 2), []uint32{3}},
		{"on jan 3", kd(imap.SearchOn, 2024, 1, 3), []uint32{4}},
		{"since jan 2", kd(imap.SearchSince, 2024, 1, 2), []uint32{3, 4}},
		{"since far future", kd(imap.SearchSince, 2100, 1, 1), nil},
		{"not before jan 2", not(kd(imap.SearchBefore, 2024, 1, 2)), []uint32{3, 4}},

		// Date: header in its own zone, falling back to the internal date.
		{"sentbefore jan 1", kd(imap.SearchSentBefore, 2024, 1, 1), []uint32{5}},
		{"senton dec 31", kd(imap.SearchSentOn, 2023, 12, 31), []uint32{5}},
		{"senton jan 1", kd(imap.SearchSentOn, 2024, 1, 1), []uint32{1}},
		{"senton jan 2 (own zone, no date)", kd(imap.SearchSentOn, 2024, 1, 2), []uint32{2, 3}},
		{"senton jan 3 (garbage date)", kd(imap.SearchSentOn, 2024, 1, 3), []uint32{4}},
		{"sentsince jan 2", kd(imap.SearchSentSince, 2024, 1, 2), []uint32{2, 3, 4}},
		{"not sentsince jan 2", not(kd(imap.SearchSentSince, 2024, 1, 2)), []uint32{1, 5}},

		{"larger strict", kn(imap.SearchLarger, 200), []uint32{3, 4}},
		{"larger 50", kn(imap.SearchLarger, 50), []uint32{1, 2, 3, 4}},
		{"smaller strict", kn(imap.SearchSmaller, 200), []uint32{1, 5}},
		{"smaller 0", kn(imap.SearchSmaller, 0), nil},

		{"from", ks(imap.SearchFrom, "alice"), []uint32{1}},
		{"from upper", ks(imap.SearchFrom, "ALICE"), []uint32{1}},
		{"from domain", ks(imap.SearchFrom, "example.ORG"), []uint32{2}},
		{"from encoded word", ks(imap.SearchFrom, "émile"), []uint32{5}},
		{"from encoded word upper", ks(imap.SearchFrom, "ÉMILE"), []uint32{5}},
		{"to", ks(imap.SearchTo, "alice"), []uint32{5}},
		{"to bob", ks(imap.SearchTo, "Bob"), []uint32{1}},
		{"cc", ks(imap.SearchCc, "CAROL"), []uint32{2}},
		{"bcc", ks(imap.SearchBcc, "dave"), []uint32{3}},
		{"subject decoded", ks(imap.SearchSubject, "café"), []uint32{2}},
		{"subject decoded upper", ks(imap.SearchSubject, "CAFÉ"), []uint32{2}},
		{"subject ss is not ß", ks(imap.SearchSubject, "strasse"), []uint32{3}},
		{"subject ß", ks(imap.SearchSubject, "STRAßE"), []uint32{4}},
		{"subject empty needs the field", ks(imap.SearchSubject, ""), []uint32{1, 2, 3, 4}},
		{"subject none", ks(imap.SearchSubject, "zzz"), nil},
		{"header empty string", hdr("X-Spam", ""), []uint32{4, 5}},
		{"header name any case", hdr("x-spam", "YES"), []uint32{5}},
		{"header absent field", hdr("X-None", ""), nil},
		{"header message-id", hdr("Subject", "lo wo"), []uint32{1}},
		{"not header empty", not(hdr("X-Spam", "")), []uint32{1, 2, 3}},

		{"body", ks(imap.SearchBody, "meeting"), []uint32{2, 4}},
		{"body not header", ks(imap.SearchBody, "alice"), nil},
		{"body empty", ks(imap.SearchBody, ""), []uint32{1, 2, 3, 4, 5}},
		{"not body empty", not(ks(imap.SearchBody, "")), nil},
		{"text header", ks(imap.SearchText, "alice"), []uint32{1, 5}},
		{"text empty", ks(imap.SearchText, ""), []uint32{1, 2, 3, 4, 5}},
		{"body and body", and(ks(imap.SearchBody, "notes"), ks(imap.SearchBody, "meeting")), []uint32{4}},
		{"not body", not(ks(imap.SearchBody, "notes")), []uint32{1, 2, 3}},
		{"not body or not body", or(not(ks(imap.SearchBody, "notes")), not(ks(imap.SearchBody, "meeting"))),
			[]uint32{1, 2, 3, 5}},

		// Sequence sets: "*" is the last message.
		{"seq range", seq(imap.SearchSeqSet, 2, 3), []uint32{2, 3}},
		{"seq reversed", seq(imap.SearchSeqSet, 3, 1), []uint32{1, 2, 3}},
		{"seq star", seq(imap.SearchSeqSet, 0, 0), []uint32{5}},
		{"seq n:*", seq(imap.SearchSeqSet, 4, 0), []uint32{4, 5}},
		{"seq beyond", seq(imap.SearchSeqSet, 9, 9), nil},
		{"seq several", seq(imap.SearchSeqSet, 1, 1, 5, 5, 3, 3), []uint32{1, 3, 5}},
		{"not seq", not(seq(imap.SearchSeqSet, 2, 4)), []uint32{1, 5}},
		// UID sets: "*" is the largest UID; n:* includes it even when n > it.
		{"uid range", seq(imap.SearchUIDSet, 5, 8), []uint32{2, 3, 4}},
		{"uid reversed", seq(imap.SearchUIDSet, 8, 7), []uint32{3, 4}},
		{"uid star", seq(imap.SearchUIDSet, 0, 0), []uint32{5}},
		{"uid n:* beyond", seq(imap.SearchUIDSet, 200, 0), []uint32{5}},
		{"uid gap", seq(imap.SearchUIDSet, 4, 4), nil},
		{"uid up to gap", seq(imap.SearchUIDSet, 1, 4), []uint32{1}},
		{"uid max", seq(imap.SearchUIDSet, 101, 4294967295), nil},
		{"uid all", seq(imap.SearchUIDSet, 1, 4294967295), []uint32{1, 2, 3, 4, 5}},
		{"saved", saved(imap.SearchSeqSet), []uint32{1, 5}},
		{"uid saved", saved(imap.SearchUIDSet), []uint32{1, 5}},
		{"not saved", not(saved(imap.SearchUIDSet)), []uint32{2, 3, 4}},

		// Boolean structure.
		{"or", or(k(imap.SearchSeen), k(imap.SearchFlagged)), []uint32{1, 2, 3}},
		{"not or", not(or(k(imap.SearchSeen), k(imap.SearchFlagged))), []uint32{4, 5}},
		{"not not", not(not(k(imap.SearchSeen))), []uint32{1, 2}},
		{"and", and(k(imap.SearchSeen), k(imap.SearchRecent)), []uint32{2}},
		{"not and", not(and(k(imap.SearchSeen), k(imap.SearchRecent))), []uint32{1, 3, 4, 5}},
		{"empty and", and(), []uint32{1, 2, 3, 4, 5}},
		{"and with not all", and(k(imap.SearchSeen), not(k(imap.SearchAll))), nil},
		{"or with all", or(k(imap.SearchSeen), k(imap.SearchAll)), []uint32{1, 2, 3, 4, 5}},
		{"or header body", or(ks(imap.SearchFrom, "alice"), ks(imap.SearchBody, "notes")), []uint32{1, 4, 5}},
		{"not or header body", not(or(ks(imap.SearchFrom, "alice"), ks(imap.SearchBody, "notes"))), []uint32{2, 3}},
		{"seen not from", and(k(imap.SearchSeen), not(ks(imap.SearchFrom, "alice"))), []uint32{2}},
		{"nested", or(k(imap.SearchDraft), and(k(imap.SearchRecent), not(k(imap.SearchDeleted)))), []uint32{2, 4}},
		{"deep mix", and(
			or(ks(imap.SearchSubject, "hello"), or(ks(imap.SearchBody, "meeting"), k(imap.SearchFlagged))),
			not(and(k(imap.SearchRecent), ks(imap.SearchText, "carol"))),
			kd(imap.SearchSince, 2024, 1, 1),
		), []uint32{1, 4}},
		{"or of uids", or(seq(imap.SearchUIDSet, 3, 3), or(seq(imap.SearchUIDSet, 8, 8), seq(imap.SearchUIDSet, 100, 100))),
			[]uint32{1, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			f.env.Saved = []uint32{100, 3, 42}
			got, err := Eval(context.Background(), f.env, tt.key)
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if len(f.headerUIDs) > 1 {
				t.Errorf("Headers called %d times", len(f.headerUIDs))
			}
		})
	}
}

func TestEvalLoc(t *testing.T) {
	t.Parallel()
	tests := []struct {
		loc  *time.Location
		key  imap.SearchKey
		want []uint32
	}{
		{nil, kd(imap.SearchOn, 2024, 1, 2), []uint32{3}},
		{time.UTC, kd(imap.SearchOn, 2024, 1, 1), []uint32{1}},
		{time.UTC, kd(imap.SearchOn, 2024, 1, 2), []uint32{2, 3, 4}},
		{time.UTC, kd(imap.SearchBefore, 2024, 1, 2), []uint32{1, 5}},
		{zone("", 1), kd(imap.SearchOn, 2024, 1, 1), []uint32{1, 5}},
		{zone("", 1), kd(imap.SearchSince, 2024, 1, 1), []uint32{1, 2, 3, 4, 5}},
		// Loc applies to internal dates only, not to the Date: header.
		{time.UTC, kd(imap.SearchSentOn, 2024, 1, 2), []uint32{2, 3, 4}},
		{time.UTC, kd(imap.SearchSentOn, 2024, 1, 1), []uint32{1}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			f.env.Loc = tt.loc
			got, err := Eval(context.Background(), f.env, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvalSavedEmpty(t *testing.T) {
	t.Parallel()
	for _, s := range [][]uint32{nil, {}, {1, 2, 4, 99}} {
		f := newFixture()
		f.env.Saved = s
		for _, key := range []imap.SearchKey{saved(imap.SearchSeqSet), saved(imap.SearchUIDSet)} {
			got, err := Eval(context.Background(), f.env, key)
			if err != nil || len(got) != 0 {
				t.Errorf("saved %v: got %v, %v; want nothing", s, got, err)
			}
		}
	}
}

func TestEvalEmptyMailbox(t *testing.T) {
	t.Parallel()
	env := &Env{}
	for _, key := range []imap.SearchKey{
		k(imap.SearchAll), seq(imap.SearchSeqSet, 0, 0), seq(imap.SearchUIDSet, 1, 0),
		not(k(imap.SearchSeen)), ks(imap.SearchFrom, "x"), ks(imap.SearchBody, "x"), saved(imap.SearchUIDSet),
	} {
		got, err := Eval(context.Background(), env, key)
		if err != nil || len(got) != 0 {
			t.Errorf("%+v: got %v, %v", key, got, err)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	t.Parallel()
	deep := k(imap.SearchSeen)
	for range MaxDepth + 1 {
		deep = not(deep)
	}
	wide := and()
	for range MaxKeys {
		wide.Sub = append(wide.Sub, k(imap.SearchSeen))
	}
	manyHeaders := and()
	for i := range MaxDeferred + 1 {
		manyHeaders.Sub = append(manyHeaders.Sub, ks(imap.SearchFrom, fmt.Sprint(i)))
	}
	alternating := k(imap.SearchSeen)
	for range maxEvalDepth + 1 {
		alternating = or(k(imap.SearchDraft), and(k(imap.SearchFlagged), alternating))
	}
	tests := []struct {
		name string
		key  imap.SearchKey
		want error
	}{
		{"or one operand", imap.SearchKey{Op: imap.SearchOr, Sub: []imap.SearchKey{k(imap.SearchSeen)}}, ErrBadKey},
		{"not no operand", imap.SearchKey{Op: imap.SearchNot}, ErrBadKey},
		{"unknown op", imap.SearchKey{Op: 9999}, ErrBadKey},
		{"zero op", imap.SearchKey{}, ErrBadKey},
		{"too deep", deep, ErrTooComplex},
		{"too many keys", wide, ErrTooComplex},
		{"too many header keys", manyHeaders, ErrTooComplex},
		{"too much alternation", alternating, ErrTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Eval(context.Background(), newFixture().env, tt.key)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEvalBackendErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	ctx := context.Background()

	f := newFixture()
	f.env.Headers = func(context.Context, []uint32, func(uint32, []byte) error) error { return boom }
	if _, err := Eval(ctx, f.env, ks(imap.SearchFrom, "a")); !errors.Is(err, boom) {
		t.Errorf("Headers error: got %v", err)
	}
	f = newFixture()
	f.env.Text = func(context.Context, []uint32, []string, bool) ([]uint32, error) { return nil, boom }
	if _, err := Eval(ctx, f.env, ks(imap.SearchBody, "a")); !errors.Is(err, boom) {
		t.Errorf("Text error: got %v", err)
	}
	f = newFixture()
	f.env.Headers, f.env.Text = nil, nil
	if _, err := Eval(ctx, f.env, ks(imap.SearchFrom, "a")); err == nil {
		t.Error("nil Headers: no error")
	}
	if _, err := Eval(ctx, f.env, ks(imap.SearchText, "a")); err == nil {
		t.Error("nil Text: no error")
	}
	// Keys that need nothing from the store still work without it.
	if got, err := Eval(ctx, f.env, k(imap.SearchSeen)); err != nil || !slices.Equal(got, []uint32{1, 2}) {
		t.Errorf("nil funcs, SEEN: %v, %v", got, err)
	}
	if _, err := Eval(ctx, nil, k(imap.SearchAll)); err == nil {
		t.Error("nil Env: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Eval(cctx, newFixture().env, k(imap.SearchAll)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

func TestUIDs(t *testing.T) {
	t.Parallel()
	env := newFixture().env
	got := env.UIDs([]uint32{0, 1, 3, 5, 6})
	if want := []uint32{3, 7, 100}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
