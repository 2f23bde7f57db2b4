package message

import "testing"

// addrForm renders an address list the way ENVELOPE does.
func addrForm(s string) string { return string(appendAddressList(nil, parseAddressList(s))) }

func TestParseAddressList(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "NIL"},
		{"   ", "NIL"},
		{"a@b", `((NIL NIL "a" "b"))`},
		{`"Joe Q. Public" <john.q.public@example.com>`, `(("Joe Q. Public" NIL "john.q.public" "example.com"))`},
		{"Mary Smith <mary@x.test>, jdoe@one.test", `(("Mary Smith" NIL "mary" "x.test")(NIL NIL "jdoe" "one.test"))`},
		// RFC 5322 §A.1.3 group; RFC 9051 §7.5.2 group start and end.
		{"A Group:Ed Jones <c@a.test>,joe@where.test;", `((NIL NIL "A Group" NIL)("Ed Jones" NIL "c" "a.test")(NIL NIL "joe" "where.test")(NIL NIL NIL NIL))`},
		{"Undisclosed recipients:;", `((NIL NIL "Undisclosed recipients" NIL)(NIL NIL NIL NIL))`},
		{"g: a@b", `((NIL NIL "g" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL))`},
		// obs-route.
		{"<@route1,@route2:user@host.test>", `((NIL "@route1,@route2" "user" "host.test"))`},
		{`"quoted local"@x.test`, `((NIL NIL "quoted local" "x.test"))`},
		// Dovecot sends a name holding '"' as a literal.
		{`"a\"b" <x@y>`, "(({3}\r\na\"b NIL \"x\" \"y\"))"},
		// A comment stands in for a missing display name.
		{"a@b (Comment Name)", `(("Comment Name" NIL "a" "b"))`},
		// Encoded-words are left as they are.
		{"=?utf-8?q?J=C3=B6rg?= <j@x.test>", `(("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.test"))`},
		// Dovecot's placeholders for what is missing.
		{"foo", `((NIL NIL "foo" "MISSING_DOMAIN"))`},
		{"bare@", `((NIL NIL "bare" "MISSING_DOMAIN"))`},
		{"@nodomain.test", `((NIL NIL "MISSING_MAILBOX" "nodomain.test"))`},
		{"<>", `((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN"))`},
		{"a@[1.2.3.4]", `((NIL NIL "a" "[1.2.3.4]"))`},
		// Dovecot gives up at junk after an address, keeping what it has.
		{"a@b@c, d@e", `((NIL NIL "a" "b"))`},
		{`"Other, Person" <o@c.test>; t@c.test`, `(("Other, Person" NIL "o" "c.test"))`},
		// Empty elements are missing addresses, except a trailing one.
		{",a@b,,c@d,", `((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "a" "b")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "c" "d"))`},
		{`"" <e@n.test>`, `((NIL NIL "e" "n.test"))`},
	}
	for _, tt := range tests {
		if got := addrForm(tt.in); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}
