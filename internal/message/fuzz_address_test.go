package message

import (
	"strings"
	"testing"
	"time"
)

// addressSeeds are address lists for FuzzAddressList: the forms of RFC
// 5322 §3.4 and its obsolete syntax (§4.4), and the broken forms real
// mail has (see TestDovecotCorpusRules).
var addressSeeds = []string{
	"",
	"a@b",
	"\"Joe Q. Public\" <john.q.public@example.com>",
	"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	"Undisclosed recipients:;",
	"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	"<@a,@b:user@host>",
	"<@a,,@b:user@host>",
	"a@b (Name)",
	"<>",
	"<a@b",
	"a@b>",
	"<Undisclosed Recipients@netnoteinc.com>, b@c",
	"\"Bannedcd\"eowu345@yahoo.com",
	"Deal Shopper",
	"<Undisclosed-Recipient:;@netnoteinc.com>",
	"jmrendle@loyno.\"edu\\\\]\", jmr@h.edu",
	"zvfjenphuq@[1086695621], [ufa]@netnoteinc.com",
	"<....@a.b>, a..b@c, .a@c, a.@c",
	"a@b..c, a@.b, a@b., x@y",
	"a@b .c, \" \" <a@b>",
	"x@y; z@w",
	", , a@b, ,",
	"g: a@b, h: c@d; ;",
	"g: (unclosed comment",
	"\"unclosed quote",
	"[unclosed literal",
	"caf\xc3\xa9@\xe4\xbe\x8b.test",
	"\x00@\x00, \xff <\xfe@\xfd>",
	"=?utf-8?q?J=C3=B6rg?= <j@x>",
	strings.Repeat("@", 200),
	strings.Repeat("(", 100) + strings.Repeat(")", 100),
	"<" + strings.Repeat("@a,", 100),
	strings.Repeat("\"a\" ", 100),
	strings.Repeat("g:", 100),
	strings.Repeat("a.", 100) + "@" + strings.Repeat(".b", 100),
}

// FuzzAddressList: the ENVELOPE address parser never panics, takes time
// linear in the input, returns at most one address per byte (plus the
// closing group end), keeps every address well formed — a group start
// (mailbox, no host) outside a group, a group end (all NIL) inside one,
// or a mailbox with a non-empty mailbox and host — and bounds its output
// by the input: its strings are input text, a fixed filler
// (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR) or joining spaces.
func FuzzAddressList(f *testing.F) {
	for _, s := range addressSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		addrs := parseAddressList(s)
		_ = appendAddressList(nil, addrs)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%d bytes took %v", len(s), d)
		}
		if len(addrs) > len(s)+1 {
			t.Fatalf("%d addresses from %d bytes", len(addrs), len(s))
		}
		checkAddressList(t, s, addrs)
	})
}

// checkAddressList checks the shape and size of a parsed address list.
func checkAddressList(t *testing.T, s string, addrs []Address) {
	t.Helper()
	inGroup := false
	total := 0
	for i, a := range addrs {
		for _, p := range []*string{a.Name, a.Route, a.Mailbox, a.Host} {
			if p != nil {
				total += len(*p)
			}
		}
		switch {
		case a.Mailbox != nil && a.Host == nil:
			if inGroup || a.Name != nil || a.Route != nil {
				t.Fatalf("address %d: bad group start %s in %q", i, appendAddressList(nil, addrs), s)
			}
			inGroup = true
		case a.Mailbox == nil:
			if !inGroup || a.Name != nil || a.Route != nil || a.Host != nil {
				t.Fatalf("address %d: bad group end %s in %q", i, appendAddressList(nil, addrs), s)
			}
			inGroup = false
		case *a.Mailbox == "" || *a.Host == "":
			t.Fatalf("address %d: empty mailbox or host %s in %q", i, appendAddressList(nil, addrs), s)
		}
	}
	if inGroup {
		t.Fatalf("group not ended: %s in %q", appendAddressList(nil, addrs), s)
	}
	// Each byte of input is used at most twice (a token in a name and in
	// a route or address), plus a space or filler per token or address.
	if limit := 2*len(s) + (len(addrs)+1)*2*len(missingMailbox+missingDomain); total > limit {
		t.Fatalf("%d bytes of strings from %d bytes of input (%d addresses)", total, len(s), len(addrs))
	}
}

// TestAddressListAllocsLinear: the address parser's allocations grow
// linearly with the input, also for inputs built to make a naive parser
// quadratic; a fourfold input may take at most about four times the
// allocations.
func TestAddressListAllocsLinear(t *testing.T) {
	patterns := map[string]string{
		"mailboxes":  "Name <a@b>, ",
		"groups":     "g: a@b; ",
		"routes":     "<@a,@b:c@d>, ",
		"ats":        "@",
		"commas":     ",",
		"comments":   "a@b (c), ",
		"open angle": "<",
		"dots":       "a.",
		"colons":     "g:",
		"quoted":     `"a" `,
	}
	for name, p := range patterns {
		allocs := func(n int) float64 {
			s := strings.Repeat(p, n)
			return testing.AllocsPerRun(3, func() { _ = parseAddressList(s) })
		}
		small, big := allocs(250), allocs(1000)
		if big > 4*small+16 {
			t.Errorf("%s: %v allocations for 250 repetitions, %v for 1000", name, small, big)
		}
	}
}
