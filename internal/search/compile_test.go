package search

import (
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// shape renders a compiled program compactly for comparison.
func shape(n *node) string {
	var b strings.Builder
	var walk func(n *node)
	walk = func(n *node) {
		if n.neg {
			b.WriteString("!")
		}
		switch n.kind {
		case kAnd, kOr:
			b.WriteString(map[kind]string{kAnd: "and(", kOr: "or("}[n.kind])
			for i, s := range n.subs {
				if i > 0 {
					b.WriteString(" ")
				}
				walk(s)
			}
			b.WriteString(")")
		case kConst:
			b.WriteString("all")
		case kFlag:
			b.WriteString(n.flag)
		case kRecent:
			b.WriteString("recent")
		case kText:
			b.WriteString("text" + strings.Join(n.needles, "+"))
		case kHeader:
			b.WriteString(n.field + "~" + n.needle)
		case kDate:
			b.WriteString("date")
		default:
			b.WriteString("?")
		}
	}
	walk(n)
	return b.String()
}

func TestCompileShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  imap.SearchKey
		want string
	}{
		{k(imap.SearchSeen), `\seen`},
		{k(imap.SearchUnseen), `!\seen`},
		{not(k(imap.SearchUnseen)), `\seen`},
		{k(imap.SearchNew), `and(recent !\seen)`},
		{not(k(imap.SearchNew)), `or(!recent \seen)`},
		{k(imap.SearchOld), `!recent`},
		{not(or(k(imap.SearchSeen), ks(imap.SearchFrom, "a"))), `and(!\seen !From~A)`},
		{and(and(k(imap.SearchSeen), k(imap.SearchDraft)), k(imap.SearchFlagged)), `and(\seen \draft \flagged)`},
		{or(or(k(imap.SearchSeen), k(imap.SearchDraft)), k(imap.SearchFlagged)), `or(\seen \draft \flagged)`},
		// Cheap keys first, text last.
		{and(ks(imap.SearchBody, "x"), ks(imap.SearchSubject, "s"), kd(imap.SearchOn, 2024, time.January, 1), k(imap.SearchSeen)),
			`and(\seen date Subject~S textx)`},
		{and(ks(imap.SearchBody, "x"), k(imap.SearchSeen), ks(imap.SearchBody, "y")), `and(\seen textx+y)`},
		{and(ks(imap.SearchBody, "x"), not(ks(imap.SearchBody, "y"))), `and(textx !texty)`},
		{or(not(ks(imap.SearchBody, "x")), not(ks(imap.SearchBody, "y"))), `!textx+y`},
		{and(k(imap.SearchSeen), k(imap.SearchAll)), `\seen`},
		{and(k(imap.SearchSeen), not(k(imap.SearchAll))), `!all`},
		{or(k(imap.SearchSeen), k(imap.SearchAll)), `all`},
		{or(k(imap.SearchSeen), not(k(imap.SearchAll))), `\seen`},
		{and(ks(imap.SearchBody, "")), `all`},
	}
	for _, tt := range tests {
		c := compiler{}
		n, err := c.compile(tt.key, false, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := shape(flatten(n)); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
}
