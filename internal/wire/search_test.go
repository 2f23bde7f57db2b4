package wire

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

func TestSearch(t *testing.T) {
	k := func(op imap.SearchOp) imap.SearchKey { return imap.SearchKey{Op: op} }
	str := func(op imap.SearchOp, s string) imap.SearchKey { return imap.SearchKey{Op: op, Str: s} }
	date := func(op imap.SearchOp, t time.Time) imap.SearchKey { return imap.SearchKey{Op: op, Date: t} }
	and := func(keys ...imap.SearchKey) imap.SearchKey { return imap.SearchKey{Op: imap.SearchAnd, Sub: keys} }
	tests := []struct {
		in      string
		charset string
		ret     imap.SearchReturn
		key     imap.SearchKey
	}{
		{in: "ALL", key: k(imap.SearchAll)},
		{in: "answered deleted draft flagged seen", key: and(k(imap.SearchAnswered), k(imap.SearchDeleted),
			k(imap.SearchDraft), k(imap.SearchFlagged), k(imap.SearchSeen))},
		{in: "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN NEW OLD RECENT", key: and(k(imap.SearchUnanswered),
			k(imap.SearchUndeleted), k(imap.SearchUndraft), k(imap.SearchUnflagged), k(imap.SearchUnseen),
			k(imap.SearchNew), k(imap.SearchOld), k(imap.SearchRecent))},
		{in: `BCC a CC "b c" FROM {3}` + "\r\nd\"e TO f SUBJECT g BODY h TEXT i", key: and(str(imap.SearchBcc, "a"),
			str(imap.SearchCc, "b c"), str(imap.SearchFrom, `d"e`), str(imap.SearchTo, "f"), str(imap.SearchSubject, "g"),
			str(imap.SearchBody, "h"), str(imap.SearchText, "i"))},
		{in: `BEFORE 1-Feb-2024 ON "29-feb-2024" SINCE 01-MAR-2024`, key: and(date(imap.SearchBefore, day(2024, 2, 1)),
			date(imap.SearchOn, day(2024, 2, 29)), date(imap.SearchSince, day(2024, 3, 1)))},
		{in: `SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 31-Dec-1999`, key: and(date(imap.SearchSentBefore, day(2000, 1, 1)),
			date(imap.SearchSentOn, day(2000, 1, 2)), date(imap.SearchSentSince, day(1999, 12, 31)))},
		{in: `KEYWORD $Label1 UNKEYWORD Junk`, key: and(str(imap.SearchKeyword, "$Label1"), str(imap.SearchUnkeyword, "Junk"))},
		{in: `HEADER Message-ID "<x@y>"`, key: imap.SearchKey{Op: imap.SearchHeader, Field: "Message-ID", Str: "<x@y>"}},
		{in: `LARGER 9223372036854775807 SMALLER 0`, key: and(imap.SearchKey{Op: imap.SearchLarger, Num: 1<<63 - 1},
			imap.SearchKey{Op: imap.SearchSmaller})},
		{in: `UID 1:5,7 2:*`, key: and(imap.SearchKey{Op: imap.SearchUIDSet, Set: set("1:5,7")},
			imap.SearchKey{Op: imap.SearchSeqSet, Set: set("2:*")})},
		{in: `$`, key: imap.SearchKey{Op: imap.SearchSeqSet, Set: imap.SeqSet{Saved: true}}},
		{in: `NOT SEEN`, key: imap.SearchKey{Op: imap.SearchNot, Sub: []imap.SearchKey{k(imap.SearchSeen)}}},
		{in: `OR SEEN (FLAGGED DELETED)`, key: imap.SearchKey{Op: imap.SearchOr, Sub: []imap.SearchKey{
			k(imap.SearchSeen), and(k(imap.SearchFlagged), k(imap.SearchDeleted))}}},
		{in: `(SEEN)`, key: k(imap.SearchSeen)},
		{in: `MODSEQ 720162338`, key: imap.SearchKey{Op: imap.SearchModSeq, Num: 720162338}},
		{in: `MODSEQ "/flags/\\draft" all 620162338`, key: imap.SearchKey{Op: imap.SearchModSeq, Num: 620162338}},
		{in: `CHARSET utf-8 SUBJECT x`, charset: "UTF-8", key: str(imap.SearchSubject, "x")},
		{in: `CC x`, key: str(imap.SearchCc, "x")},
		{in: `RECENT`, key: k(imap.SearchRecent)},
		{in: `RETURN () ALL`, ret: imap.SearchReturn{Present: true, All: true}, key: k(imap.SearchAll)},
		{in: `RETURN (MIN MAX COUNT SAVE) CHARSET US-ASCII UNSEEN`, charset: "US-ASCII",
			ret: imap.SearchReturn{Present: true, Min: true, Max: true, Count: true, Save: true}, key: k(imap.SearchUnseen)},
		{in: `return (all) 1:3`, ret: imap.SearchReturn{Present: true, All: true},
			key: imap.SearchKey{Op: imap.SearchSeqSet, Set: set("1:3")}},
	}
	for _, tt := range tests {
		h := newHarness("a SEARCH "+tt.in+"\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		want := &imap.SearchArgs{Charset: tt.charset, Return: tt.ret, Key: tt.key}
		if !reflect.DeepEqual(cmd.Args, want) {
			t.Errorf("%q:\n got  %+v\n want %+v", tt.in, cmd.Args, want)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	tests := []struct{ in, text string }{
		{"", "missing"},
		{"FOO", "unknown search key"},
		{"FOO BAR", "unknown search key"},
		{"SEEN FOO", "unknown search key"},
		{"RETURN (ALL)", "missing search criteria"},
		{"RETURN (FOO) ALL", "unknown SEARCH return option"},
		{"RETURN ALL", "parenthesised"},
		{"CHARSET", "missing"},
		{"CHARSET \"\" ALL", "empty charset"},
		{"CHARSET UTF-8 RETURN (ALL) ALL", "unknown search key"},
		{"SUBJECT", "missing"},
		{"BEFORE 32-Jan-2024", "no day 32"},
		{"BEFORE 29-Feb-2023", "no day 29"},
		{"BEFORE 0-Feb-2023", "no day 0"},
		{"BEFORE 1-Foo-2023", "invalid month"},
		{"BEFORE 1-Jan-23", "4 digits"},
		{"BEFORE 123-Jan-2023", "day of month"},
		{"BEFORE \"1-Jan-2023", "closing quote"},
		{"BEFORE 1 Jan 2023", `"-"`},
		{"LARGER x", "LARGER size"},
		{"LARGER 9223372036854775808", "too large"},
		{"UID x", "sequence set"},
		{"0", "0"},
		{"NOT", "missing"},
		{"OR SEEN", "missing"},
		{"(SEEN", "missing"},
		{"()", "search key"},
		{"KEYWORD \\Seen", "keyword"},
		{"HEADER Subject", "missing"},
		{"MODSEQ \"/flags/\\\\seen\" bogus 5", "entry type"},
		{"MODSEQ x", "MODSEQ value"},
		{"SEEN  SEEN", "search key"},
	}
	for _, tt := range tests {
		h := newHarness("a SEARCH "+tt.in+"\r\nz NOOP\r\n", DefaultLimits())
		cmd, err := h.d.ReadCommand()
		if err == nil {
			t.Errorf("%q: got %+v, want error", tt.in, cmd.Args)
			continue
		}
		if e := wantErr(t, err); e.Tag != "a" || e.Kind != "BAD" || !strings.Contains(e.Text, tt.text) {
			t.Errorf("%q: error %+v, want text containing %q", tt.in, e, tt.text)
		}
		if next, err := h.d.ReadCommand(); err != nil || next.Tag != "z" {
			t.Errorf("%q: next command = %+v, %v", tt.in, next, err)
		}
	}
}
