package message

import "testing"

// TestDovecotCorpusRules holds the rules the differential test against
// Dovecot on the SpamAssassin corpus (test/differential) led to, each
// reduced to a small message. Every expected string was produced by
// Dovecot 2.3.19 (imapd) for the same message.
func TestDovecotCorpusRules(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{
			// Outside the canonical single-part form, the transfer
			// encoding and parameters are sent as written.
			name: "encoding_as_written",
			msg:  "Content-Type: TEXT/PLAIN; CHARSET=ISO-8859-1\nContent-Transfer-Encoding: 7BIT\n\nx",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1") NIL NIL "7BIT" 1 0 NIL NIL NIL NIL) BODY ("TEXT" "PLAIN" ("CHARSET" "ISO-8859-1") NIL NIL "7BIT" 1 0)`,
		},
		{
			// text/plain; charset=US-ASCII in 7BIT alone is canonical.
			name: "canonical_plain",
			msg:  "Content-Type: TEXT/plain; charset=US-ASCII\nContent-Transfer-Encoding: 7BIT\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// Any other MIME field keeps the charset as written.
			name: "plain_with_description",
			msg:  "MIME-Version: 1.0\nContent-Description: Mail message body\nContent-Type: text/plain; charset=US-ASCII\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "US-ASCII") NIL "Mail message body" "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "US-ASCII") NIL "Mail message body" "7bit" 3 1)`,
		},
		{
			name: "plain_with_language",
			msg:  "Content-Type: text/plain; charset=US-ASCII\nContent-Language: en\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 3 1 NIL NIL ("en") NIL) BODY ("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 3 1)`,
		},
		{
			// The canonical form is for a whole single-part message only.
			name: "plain_in_multipart",
			msg:  "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: TEXT/PLAIN; charset=US-ASCII\nContent-Transfer-Encoding: 7BIT\n\nx\n--b\nContent-Type: message/rfc822\n\nContent-Type: text/plain; charset=US-ASCII\n\ny\n--b--\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("TEXT" "PLAIN" ("charset" "US-ASCII") NIL NIL "7BIT" 1 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 47 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY (("TEXT" "PLAIN" ("charset" "US-ASCII") NIL NIL "7BIT" 1 0)("message" "rfc822" NIL NIL NIL "7bit" 47 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "US-ASCII") NIL NIL "7bit" 1 0) 2) "mixed")`,
		},
		{
			// RFC 2045 §4: no MIME-Version and no Content-Type, not MIME:
			// the Content-* fields are ignored.
			name: "no_mime_version",
			msg:  "Content-Transfer-Encoding: 8bit\nContent-Description: foo\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "content_type_without_mime_version",
			msg:  "Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "8bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "8bit" 3 1)`,
		},
		{
			name: "no_mime_version_enclosed",
			msg:  "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nSubject: in\nContent-Transfer-Encoding: 8bit\n\nx\n--b--\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("message" "rfc822" NIL NIL NIL "7bit" 49 (NIL "in" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY (("message" "rfc822" NIL NIL NIL "7bit" 49 (NIL "in" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0) 3) "mixed")`,
		},
		{
			// Repeated address fields: all their addresses, in order; each
			// field's list ends at junk on its own.
			name: "repeated_address_fields",
			msg:  "To: a@b\nTo: c@d, e@f\nCc: x@y; z@w\nCc: q@r\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "a" "b")(NIL NIL "c" "d")(NIL NIL "e" "f")) ((NIL NIL "x" "y")(NIL NIL "q" "r")) NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// An angle address with words after the local part is a
			// syntax error; words without '@' are a display name.
			name: "broken_addresses",
			msg:  "To: <Undisclosed Recipients@netnoteinc.com>, b@c\nCc: \"Bannedcd\"eowu345@yahoo.com\nBcc: Deal Shopper\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "Undisclosed" "SYNTAX_ERROR")) (("Bannedcd eowu345" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) (("Deal Shopper" NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// A malformed domain or local part ends the list.
			name: "broken_addresses_2",
			msg:  "To: <Undisclosed-Recipient:;@netnoteinc.com>\nCc: jmrendle@loyno.\"edu\\\\]\", jmr@h.edu\nBcc: zvfjenphuq@[1086695621], [ufa]@netnoteinc.com\n\nx",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "Undisclosed-Recipient" "SYNTAX_ERROR")) ((NIL NIL "jmrendle" "MISSING_DOMAIN")) ((NIL NIL "zvfjenphuq" "[1086695621]")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0)`,
		},
		{
			// Local parts may have dots anywhere; domains may not.
			name: "dot_atoms",
			msg:  "To: <....@a.b>\nCc: a..b@c, .a@c, a.@c, x@y\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "...." "a.b")) ((NIL NIL "a..b" "c")(NIL NIL ".a" "c")(NIL NIL "a." "c")(NIL NIL "x" "y")) NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "bad_domains",
			msg:  "To: a@b..c, x@y\nCc: a@.b, x@y\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "a" "MISSING_DOMAIN")) ((NIL NIL "a" "MISSING_DOMAIN")) NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// A trailing dot fails the domain but a comma goes on.
			name: "trailing_dot_domain",
			msg:  "To: a@b., x@y\nCc: a@b.\nBcc: a@b. (c)\n\nx\n",
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "a" "MISSING_DOMAIN")(NIL NIL "x" "y")) ((NIL NIL "a" "MISSING_DOMAIN")) (("c" NIL "a" "MISSING_DOMAIN")) NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// White space before a dot joins. A display name of white
			// space only is "".
			name: "spaced_dots_blank_name",
			msg:  "To: a@b .c, x@y\nBcc: \" \" <a@b>, \"a\tb\" <c@d>\n\nx",
			want: "ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b.c\")(NIL NIL \"x\" \"y\")) NIL ((\"\" NIL \"a\" \"b\")({3}\r\na b NIL \"c\" \"d\")) NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0)",
		},
		{
			// Folded value: only the white space after the colon goes.
			// More than four characters to escape make a literal.
			name: "folded_in_reply_to_and_escapes",
			msg:  "In-Reply-To: \n\t<1@x> \nMessage-Id: <0@C:\\Documents and\n    Settings\\Administrator\\Desktop\\Send\\domains2.txt>\n\nx\n",
			want: "ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL \"\t<1@x> \" {72}\r\n<0@C:\\Documents and    Settings\\Administrator\\Desktop\\Send\\domains2.txt>) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, crlf(tt.msg))
			if got := fetchForm(m); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestFindPartEmptyMultipart: a multipart without parts (here its
// boundary never occurs) has an empty section 1, as Dovecot answers
// BODY[1], BODY[1.MIME] and BINARY.SIZE[1] for it.
func TestFindPartEmptyMultipart(t *testing.T) {
	m := mustParse(t, crlf("Content-Type: multipart/alternative; boundary=\"=Multipart Boundary 1\"\n\nno boundary here\n"))
	p, err := m.FindPart([]int{1})
	if err != nil {
		t.Fatalf("FindPart([1]): %v", err)
	}
	if p.HeaderOffset != p.BodyOffset || p.BodyOffset != p.BodyEnd || p.DecodedSize != 0 {
		t.Errorf("part 1 = %+v, want empty", p)
	}
	for _, path := range [][]int{{2}, {1, 1}, {0}} {
		if _, err := m.FindPart(path); err != ErrNoPart {
			t.Errorf("FindPart(%v) = %v, want ErrNoPart", path, err)
		}
	}
}
