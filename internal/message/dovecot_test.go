package message

import "testing"

// TestDovecotForms checks ENVELOPE, BODYSTRUCTURE and BODY byte for byte.
// Every expected string was produced by Dovecot 2.3.19 (imapd) for the
// same message, except where a comment says otherwise.
func TestDovecotForms(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{
			name: "01_simple",
			msg: `Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
From: Fred Foobar <foobar@Blurdybloop.example>
Subject: afternoon meeting
To: mooch@owatagu.siam.edu.example
Message-Id: <B27397-0100000@Blurdybloop.example>
MIME-Version: 1.0
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII

Hello Joe, do you think we can meet at 3:30 tomorrow?
`,
			want: `ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) ((NIL NIL "mooch" "owatagu.siam.edu.example")) NIL NIL NIL "<B27397-0100000@Blurdybloop.example>") BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 55 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 55 1)`,
		},
		{
			name: "02_noct",
			msg: `Subject: x

a
b`,
			want: `ENVELOPE (NIL "x" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 1)`,
		},
		{
			name: "03_multi",
			msg: `From: a@b
To: "Joe Q. Public" <john.q.public@example.com>, Mary Smith <mary@x.test>, jdoe@one.test
Cc: Undisclosed recipients:;
Bcc: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;
Subject: =?utf-8?q?caf=C3=A9?=
	folded
Content-Type: multipart/mixed; boundary="XX"

preamble
--XX
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9 =
soft
--XX
Content-Type: text/html
Content-Disposition: attachment; filename="a.html"
Content-Language: en, fr
Content-Location: http://x/y
Content-ID: <id1@x>
Content-Description: some html
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

<p>hi</p>
--XX
Content-Type: message/rfc822

From: inner@x.test
Subject: inner

inner body
--XX--
epilogue
`,
			want: "ENVELOPE (NIL {28}\r\n=?utf-8?q?caf=C3=A9?= folded ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")(\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" \"one.test\")) ((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) ((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")(NIL NIL NIL NIL)) NIL NIL) BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 17 1 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") \"<id1@x>\" \"some html\" \"7bit\" 9 0 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"attachment\" (\"filename\" \"a.html\")) (\"en\" \"fr\") \"http://x/y\")(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 48 (NIL \"inner\" ((NIL NIL \"inner\" \"x.test\")) ((NIL NIL \"inner\" \"x.test\")) ((NIL NIL \"inner\" \"x.test\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"XX\") NIL NIL NIL) BODY ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 17 1)(\"text\" \"html\" (\"charset\" \"us-ascii\") \"<id1@x>\" \"some html\" \"7bit\" 9 0)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 48 (NIL \"inner\" ((NIL NIL \"inner\" \"x.test\")) ((NIL NIL \"inner\" \"x.test\")) ((NIL NIL \"inner\" \"x.test\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0) 3) \"mixed\")",
		},
		{
			name: "04_nested_prefix",
			msg: `Content-Type: multipart/mixed; boundary=abc

--abc
Content-Type: multipart/alternative; boundary=abcdef

--abcdef
Content-Type: text/plain

one
--abcdef
Content-Type: text/html

<b>two</b>
--abcdef--
--abc
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64

aGVsbG8gd29y
bGQ=
--abc--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL) "alternative" ("boundary" "abcdef") NIL NIL NIL)("application" "octet-stream" NIL NIL NIL "base64" 18 NIL NIL NIL NIL) "mixed" ("boundary" "abc") NIL NIL NIL) BODY ((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0)("text" "html" ("charset" "us-ascii") NIL NIL "7bit" 10 0) "alternative")("application" "octet-stream" NIL NIL NIL "base64" 18) "mixed")`,
		},
		{
			name: "05_missing_close",
			msg: `Content-Type: multipart/mixed; boundary=o

--o
Content-Type: multipart/related; boundary=i

--i
Content-Type: text/plain

inner never closed
--o
Content-Type: text/plain

second
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 0 NIL NIL NIL NIL) "related" ("boundary" "i") NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 1 NIL NIL NIL NIL) "mixed" ("boundary" "o") NIL NIL NIL) BODY ((("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 0) "related")("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 1) "mixed")`,
		},
		{
			name: "06_digest",
			msg: `Content-Type: multipart/digest; boundary=d

--d

From: x@y
Subject: d1

body1
--d
Content-Type: text/plain

explicit
--d--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("message" "rfc822" NIL NIL NIL "7bit" 31 (NIL "d1" ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0 NIL NIL NIL NIL) "digest" ("boundary" "d") NIL NIL NIL) BODY (("message" "rfc822" NIL NIL NIL "7bit" 31 (NIL "d1" ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0) 3)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 8 0) "digest")`,
		},
		{
			name: "07_rfc2231",
			msg: `Content-Type: application/x-stuff;
 title*0*=us-ascii'en'This%20is%20even%20more%20;
 title*1*=%2A%2A%2Afun%2A%2A%2A%20;
 title*2="isn't it!"
Content-Disposition: attachment; filename*=iso-8859-1''caf%E9.txt

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("application" "x-stuff" ("title*" "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!") NIL NIL "7bit" 3 NIL ("attachment" ("filename*" "iso-8859-1''caf%E9.txt")) NIL NIL) BODY ("application" "x-stuff" ("title*" "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn't it!") NIL NIL "7bit" 3)`,
		},
		{
			name: "08_addr",
			msg: `From: "Last, First" <first.last@x.test> (comment)
Sender: <@route1,@route2:user@host.test>
Reply-To: foo
To: bare@, @nodomain.test, "quoted local"@x.test, a@b (Comment Name)
Cc: =?utf-8?q?J=C3=B6rg?= <j@x.test>
In-Reply-To: <a@b>
Message-ID: <c@d>
Date: 1 Jan 2020 10:00 +0100

b
`,
			want: `ENVELOPE ("1 Jan 2020 10:00 +0100" NIL (("Last, First" NIL "first.last" "x.test")) ((NIL "@route1,@route2" "user" "host.test")) ((NIL NIL "foo" "MISSING_DOMAIN")) ((NIL NIL "bare" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "nodomain.test")(NIL NIL "quoted local" "x.test")("Comment Name" NIL "a" "b")) (("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.test")) NIL "<a@b>" "<c@d>") BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "09_multipart_noparts",
			msg: `Content-Type: multipart/mixed; boundary=zz

just text, no boundaries
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "zz") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
		},
		{
			name: "10_mp_nobnd",
			msg: `Content-Type: multipart/mixed

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" NIL NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
		},
		{
			name: "11_dup_ct",
			msg: `Content-Type: text/html; charset=utf-8
Content-Type: text/plain
Subject: a
Subject: b

x
`,
			want: `ENVELOPE (NIL "b" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "html" ("charset" "utf-8") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "html" ("charset" "utf-8") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "12_empty",
			msg: `Subject:
From:
To: 

`,
			want: `ENVELOPE (NIL "" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)`,
		},
		{
			name: "13_bnd_ws",
			msg: `Content-Type: multipart/mixed; boundary="b b"

--b b   
Content-Type: text/plain

x
--b b--   
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "mixed" ("boundary" "b b") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0) "mixed")`,
		},
		{
			name: "14_headeronly",
			msg:  `Subject: x`,
			want: `ENVELOPE (NIL "x" NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)`,
		},
		{
			name: "15_msg_in_msg",
			msg: `Content-Type: message/rfc822

Content-Type: multipart/mixed; boundary=q
Subject: inner

--q
Content-Type: text/plain

p1
--q--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("message" "rfc822" NIL NIL NIL "7bit" 105 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0 NIL NIL NIL NIL) "mixed" ("boundary" "q") NIL NIL NIL) 8 NIL NIL NIL NIL) BODY ("message" "rfc822" NIL NIL NIL "7bit" 105 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 2 0) "mixed") 8)`,
		},
		{
			name: "16_garbage_params",
			msg: `Content-Type: text/plain; ; charset = "utf-8" ; foo; bar=baz=q; x="unterminated

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "17_group_empty",
			msg: `To: group:;, a@b
From: "a\"b" <x@y>

x
`,
			want: "ENVELOPE (NIL NIL (({3}\r\na\"b NIL \"x\" \"y\")) (({3}\r\na\"b NIL \"x\" \"y\")) (({3}\r\na\"b NIL \"x\" \"y\")) ((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)(NIL NIL \"a\" \"b\")) NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "a1",
			msg: `Content-Type: TEXT/HTML; CHARSET=UTF-8; NAME=Foo

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("TEXT" "HTML" ("CHARSET" "UTF-8" "NAME" "Foo") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("TEXT" "HTML" ("CHARSET" "UTF-8" "NAME" "Foo") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "a2",
			msg: `Content-Type: Text/Plain; Format=Flowed
Content-Transfer-Encoding: BASE64
Content-Disposition: ATTACHMENT; FILENAME=X

eA==
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("Text" "Plain" ("Format" "Flowed" "charset" "us-ascii") NIL NIL "BASE64" 6 1 NIL ("ATTACHMENT" ("FILENAME" "X")) NIL NIL) BODY ("Text" "Plain" ("Format" "Flowed" "charset" "us-ascii") NIL NIL "BASE64" 6 1)`,
		},
		{
			// Dovecot sends the folded subject as a literal; the value is the same.
			name: "a3",
			msg: `Subject: a
 b
Date: 
Message-ID: 
In-Reply-To:

x
`,
			want: `ENVELOPE ("" "a b" NIL NIL NIL NIL NIL NIL "" "") BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "a4",
			msg: `Subject: a
	b

x
`,
			want: "ENVELOPE (NIL {3}\r\na b NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "a5",
			msg: `Subject: a	b  c

x
`,
			want: "ENVELOPE (NIL {5}\r\na b c NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "a6",
			msg: `Content-Type: text/plain; charset=utf-8; foo; bar=baz

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "a7",
			msg: `Content-Type: text/plain; charset=utf-8; bar=baz=q

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "utf-8" "bar" "baz") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "utf-8" "bar" "baz") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "a8",
			msg: `Content-Type: text/plain; charset="utf-8"; x="unterminated

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "b1",
			msg: `Content-Type: text/plain; name*1="b"; name*0="a"

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("name" "ab" "charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("name" "ab" "charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "b2",
			msg: `Content-Type: text/plain; name*0*=utf-8''a%20; name*1="b c"

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("name*" "utf-8''a%20b c" "charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("name*" "utf-8''a%20b c" "charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "b4",
			msg: `Content-Type: multipart/mixed; boundary=x

--x

no header part
--x
Content-Type: text/plain

body
--x--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0) "mixed")`,
		},
		{
			name: "b5",
			msg: `Content-Type: text/plain

line1
line2`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1)`,
		},
		{
			name: "b6",
			msg: `Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

body
--x`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0) "mixed")`,
		},
		{
			name: "b7",
			msg: `Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogeA0KDQp4DQo=
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("message" "rfc822" NIL NIL NIL "base64" 26 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) 1 NIL NIL NIL NIL) BODY ("message" "rfc822" NIL NIL NIL "base64" 26 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 1)`,
		},
		{
			name: "b8",
			msg: `Content-Type: text/plain
Content-ID:   <x@y>  
Content-Description: =?utf-8?q?x?=
Content-Language: en-US

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") "<x@y>  " "=?utf-8?q?x?=" "7bit" 3 1 NIL NIL ("en-US") NIL) BODY ("text" "plain" ("charset" "us-ascii") "<x@y>  " "=?utf-8?q?x?=" "7bit" 3 1)`,
		},
		{
			name: "b9",
			msg: `Content-Type: text/plain;
 charset=us-ascii
Content-Location: http://a/
 b

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL "http://a/ b") BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "c1",
			msg: `Content-Type: foo

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("foo" "" NIL NIL NIL "7bit" 3 NIL NIL NIL NIL) BODY ("foo" "" NIL NIL NIL "7bit" 3)`,
		},
		{
			name: "c2",
			msg: `Content-Type: image/

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("" "" NIL NIL NIL "7bit" 3 NIL NIL NIL NIL) BODY ("" "" NIL NIL NIL "7bit" 3)`,
		},
		{
			name: "c3",
			msg: `Content-Type: multipart/alternative; boundary=""

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "alternative" ("boundary" "") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "alternative")`,
		},
		{
			name: "c4",
			msg: `Content-Type: application/pdf; name=a.pdf
Content-Disposition: inline

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("application" "pdf" ("name" "a.pdf") NIL NIL "7bit" 3 NIL ("inline" NIL) NIL NIL) BODY ("application" "pdf" ("name" "a.pdf") NIL NIL "7bit" 3)`,
		},
		{
			name: "c5",
			msg: `To: <>, <@a:b@c>, a@b@c, "x" y <z@w>, a.b.@c, <a@b> (cmt)

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL "@a" "b" "c")(NIL NIL "a" "b")) NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "c6",
			msg: `From: a@[1.2.3.4], b@c .d
To: Foo Bar: a@b;, ;

x
`,
			want: `ENVELOPE (NIL NIL ((NIL NIL "a" "[1.2.3.4]")(NIL NIL "b" "c.d")) ((NIL NIL "a" "[1.2.3.4]")(NIL NIL "b" "c.d")) ((NIL NIL "a" "[1.2.3.4]")(NIL NIL "b" "c.d")) ((NIL NIL "Foo Bar" NIL)(NIL NIL "a" "b")(NIL NIL NIL NIL)(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")) NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "d1",
			msg: `Subject:   lead and trail   
Date: Mon, 1 Jan 2020 00:00:00 +0000  
Message-ID:  <a@b>  

x
`,
			want: "ENVELOPE (\"Mon, 1 Jan 2020 00:00:00 +0000  \" {14}\r\nlead and trail NIL NIL NIL NIL NIL NIL NIL \"<a@b>  \") BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "d2",
			msg: `Content-Type: multipart/mixed; boundary=----=_Part_1

------=_Part_1
Content-Type: text/plain

x
------=_Part_1--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "----") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
		},
		{
			name: "d3",
			msg: `Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

body
--x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
		},
		{
			name: "d4",
			msg: `From: "Joe  	 Doe" <a@b>
Subject: tab	here

x
`,
			want: "ENVELOPE (NIL {8}\r\ntab here (({7}\r\nJoe Doe NIL \"a\" \"b\")) (({7}\r\nJoe Doe NIL \"a\" \"b\")) (({7}\r\nJoe Doe NIL \"a\" \"b\")) NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "d5",
			msg: `Subject: café
From: Jörg <j@x>

x
`,
			want: "ENVELOPE (NIL {5}\r\ncafé (({5}\r\nJörg NIL \"j\" \"x\")) (({5}\r\nJörg NIL \"j\" \"x\")) (({5}\r\nJörg NIL \"j\" \"x\")) NIL NIL NIL NIL NIL) BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 1)",
		},
		{
			name: "d6",
			msg: `Content-Type: text/plain; name="a\"b"

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("name" "a\"b" "charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("name" "a\"b" "charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "d7",
			msg: `Content-Type: multipart/mixed; boundary=x

--x
Content-Type: text/plain

body
--x--`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0) "mixed")`,
		},
		{
			name: "d8",
			msg: `Content-Type: text/plain; charset=us-ascii; format=flowed
Content-Transfer-Encoding: 8BIT

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii" "format" "flowed") NIL NIL "8BIT" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii" "format" "flowed") NIL NIL "8BIT" 3 1)`,
		},
		{
			name: "d9",
			msg: `Content-Type: TEXT/plain; charset=US-ASCII
Content-Transfer-Encoding: 8BIT

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("TEXT" "plain" ("charset" "US-ASCII") NIL NIL "8BIT" 3 1 NIL NIL NIL NIL) BODY ("TEXT" "plain" ("charset" "US-ASCII") NIL NIL "8BIT" 3 1)`,
		},
		{
			name: "e1",
			msg: `Content-Type: text/plain
Content-Disposition: attachment; filename="a b" ; size=3

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL ("attachment" ("filename" "a b" "size" "3")) NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "e2",
			msg: `Content-Type: text/plain
Content-Language: 

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "e3",
			msg: `Content-Type: 

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("" "" NIL NIL NIL "7bit" 3 NIL NIL NIL NIL) BODY ("" "" NIL NIL NIL "7bit" 3)`,
		},
		{
			name: "w01",
			msg: `From: x@y
Content-Type: multipart/mixed; boundary="outer"

This is a preamble
--outerjunk
--outer
Content-Type: multipart/digest; boundary=dig

--dig

Subject: d1
From: "A B" <a@b>

d1 body
line2
--dig
Content-Type: message/rfc822

Subject: d2
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=utf-8; format=flowed

plain
--alt
Content-Type: text/html; charset=utf-8

<p>html</p>
--alt--
--dig--
--outer
Content-Type: application/pdf; name="=?utf-8?b?w6kucGRm?="
Content-Disposition: inline
Content-Transfer-Encoding: base64
--outer
Content-Type: text/plain (comment here); charset="us-ascii" (another)

commented
--outer--
`,
			want: `ENVELOPE (NIL NIL ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) ((NIL NIL "x" "y")) NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)(("message" "rfc822" NIL NIL NIL "7bit" 48 (NIL "d1" (("A B" NIL "a" "b")) (("A B" NIL "a" "b")) (("A B" NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 209 (NIL "d2" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 11 0 NIL NIL NIL NIL) "alternative" ("boundary" "alt") NIL NIL NIL) 12 NIL NIL NIL NIL) "digest" ("boundary" "dig") NIL NIL NIL)("application" "pdf" ("name" "=?utf-8?b?w6kucGRm?=") NIL NIL "base64" 0 NIL ("inline" NIL) NIL NIL)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) "mixed" ("boundary" "outer") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)(("message" "rfc822" NIL NIL NIL "7bit" 48 (NIL "d1" (("A B" NIL "a" "b")) (("A B" NIL "a" "b")) (("A B" NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1) 4)("message" "rfc822" NIL NIL NIL "7bit" 209 (NIL "d2" NIL NIL NIL NIL NIL NIL NIL NIL) (("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "7bit" 5 0)("text" "html" ("charset" "utf-8") NIL NIL "7bit" 11 0) "alternative") 12) "digest")("application" "pdf" ("name" "=?utf-8?b?w6kucGRm?=") NIL NIL "base64" 0)("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0) "mixed")`,
		},
		{
			name: "w02",
			msg: `Subject: =?utf-8?q?=C3=A9?= and more
From: Group One: "Alice (x)" <alice@x.test> (Work), bob@y.test (Bob Smith);, carol@z.test
Reply-To: 
Sender: sender@s.test
Cc: "" <empty@name.test>
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

body
`,
			want: `ENVELOPE (NIL "=?utf-8?q?=C3=A9?= and more" ((NIL NIL "Group One" NIL)("Alice (x)" NIL "alice" "x.test")("Bob Smith" NIL "bob" "y.test")(NIL NIL NIL NIL)(NIL NIL "carol" "z.test")) ((NIL NIL "sender" "s.test")) ((NIL NIL "Group One" NIL)("Alice (x)" NIL "alice" "x.test")("Bob Smith" NIL "bob" "y.test")(NIL NIL NIL NIL)(NIL NIL "carol" "z.test")) NIL ((NIL NIL "empty" "name.test")) NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "UTF-8") NIL NIL "8bit" 6 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "UTF-8") NIL NIL "8bit" 6 1)`,
		},
		{
			name: "w03",
			msg: `Content-Type: multipart/mixed; boundary=b
Content-Type: text/plain

--b
Content-Type: text/plain

x
--b--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0) "mixed")`,
		},
		{
			name: "w04",
			msg: `Content-Type: multipart/mixed; boundary=b

--b
Content-Type: message/rfc822

--b
Content-Type: message/rfc822

From: a@b

--b--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("message" "rfc822" NIL NIL NIL "7bit" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 13 (NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY (("message" "rfc822" NIL NIL NIL "7bit" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 0)("message" "rfc822" NIL NIL NIL "7bit" 13 (NIL NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) 2) "mixed")`,
		},
		{
			name: "w05",
			msg: `Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain
--b--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")`,
		},
		{
			name: "w06",
			msg: `Content-type: Multipart/Mixed; Boundary=B

--B
Content-type: Text/Plain; Charset=ISO-8859-1
Content-Transfer-Encoding: Quoted-Printable
Content-Disposition: Attachment; Filename="x"; Filename="y"

x
--B--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("Text" "Plain" ("Charset" "ISO-8859-1") NIL NIL "Quoted-Printable" 1 0 NIL ("Attachment" ("Filename" "x" "Filename" "y")) NIL NIL) "Mixed" ("Boundary" "B") NIL NIL NIL) BODY (("Text" "Plain" ("Charset" "ISO-8859-1") NIL NIL "Quoted-Printable" 1 0) "Mixed")`,
		},
		{
			name: "w07",
			msg: `Date: Tue, 1 Jan 2019 00:00:00 +0000
Date: Wed, 2 Jan 2019 00:00:00 +0000
Message-ID: <a@b> <c@d>
In-Reply-To: <x@y>
 <z@w>
From: <a@b>, 
To: ,a@b,,c@d,
Bcc: Mary <mary@x>; 

x
`,
			want: `ENVELOPE ("Wed, 2 Jan 2019 00:00:00 +0000" NIL ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "a" "b")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")(NIL NIL "c" "d")) NIL (("Mary" NIL "mary" "x")) "<x@y> <z@w>" "<a@b> <c@d>") BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			name: "w08",
			msg: `Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7BIT

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1)`,
		},
		{
			// Dovecot 2.3 (IMAP4rev1) describes message/global as a basic part;
			// RFC 9051 §9 media-message includes GLOBAL, so Petrel parses it.
			name: "w09",
			msg: `Content-Type: message/global

Subject: g

x
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE ("message" "global" NIL NIL NIL "7bit" 17 (NIL "g" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) BODY ("message" "global" NIL NIL NIL "7bit" 17 (NIL "g" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 1) 3)`,
		},
		{
			name: "w10",
			msg: `Content-Type: multipart/mixed; boundary="--==x"

----==x
Content-Type: text/plain

a
----==x--
`,
			want: `ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL) "mixed" ("boundary" "--==x") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0) "mixed")`,
		},
		{
			name: "x1",
			msg: `Return-Path: <bounce@list.example>
Received: from mx (mx [1.2.3.4])
	by host with ESMTPS id abc
	for <me@example.com>; Tue, 5 Mar 2024 10:00:00 +0000
From: "Example Shop" <no-reply@shop.example>
To: me@example.com
Subject: =?UTF-8?B?WW91ciBvcmRlciDinJM=?=
Date: Tue, 5 Mar 2024 10:00:00 +0000
Message-ID: <CAF=abc+123@mail.example>
MIME-Version: 1.0
Content-Type: multipart/alternative;
	boundary="000000000000abcdef0123456789"

--000000000000abcdef0123456789
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Thanks for your order =E2=9C=93
See https://shop.example/order?id=3D42

--000000000000abcdef0123456789
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Thanks for your order =E2=9C=93</div>

--000000000000abcdef0123456789--
`,
			want: `ENVELOPE ("Tue, 5 Mar 2024 10:00:00 +0000" "=?UTF-8?B?WW91ciBvcmRlciDinJM=?=" (("Example Shop" NIL "no-reply" "shop.example")) (("Example Shop" NIL "no-reply" "shop.example")) (("Example Shop" NIL "no-reply" "shop.example")) ((NIL NIL "me" "example.com")) NIL NIL NIL "<CAF=abc+123@mail.example>") BODYSTRUCTURE (("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 73 2 NIL NIL NIL NIL)("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" 56 1 NIL NIL NIL NIL) "alternative" ("boundary" "000000000000abcdef0123456789") NIL NIL NIL) BODY (("text" "plain" ("charset" "UTF-8") NIL NIL "quoted-printable" 73 2)("text" "html" ("charset" "UTF-8") NIL NIL "quoted-printable" 56 1) "alternative")`,
		},
		{
			name: "x2",
			msg: `From: Outlook User <user@corp.example>
To: "Other, Person" <other@corp.example>; third@corp.example
Subject: RE: report
Thread-Topic: report
Content-Type: multipart/related;
	boundary="_004_DB6PR_";
	type="multipart/alternative"
MIME-Version: 1.0

--_004_DB6PR_
Content-Type: multipart/alternative;
	boundary="_000_DB6PR_"

--_000_DB6PR_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe

--_000_DB6PR_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

<html><body>Gr=FC=DFe<img src=3D"cid:image001.png@01"></body></html>

--_000_DB6PR_--

--_004_DB6PR_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=68;
	creation-date="Tue, 05 Mar 2024 10:00:00 GMT";
	modification-date="Tue, 05 Mar 2024 10:00:00 GMT"
Content-ID: <image001.png@01>
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA
60e6kgAAAABJRU5ErkJggg==

--_004_DB6PR_--
`,
			want: `ENVELOPE (NIL "RE: report" (("Outlook User" NIL "user" "corp.example")) (("Outlook User" NIL "user" "corp.example")) (("Outlook User" NIL "user" "corp.example")) (("Other, Person" NIL "other" "corp.example")) NIL NIL NIL NIL) BODYSTRUCTURE ((("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 11 1 NIL NIL NIL NIL)("text" "html" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 70 1 NIL NIL NIL NIL) "alternative" ("boundary" "_000_DB6PR_") NIL NIL NIL)("image" "png" ("name" "image001.png") "<image001.png@01>" "image001.png" "base64" 100 NIL ("inline" ("filename" "image001.png" "size" "68" "creation-date" "Tue, 05 Mar 2024 10:00:00 GMT" "modification-date" "Tue, 05 Mar 2024 10:00:00 GMT")) NIL NIL) "related" ("boundary" "_004_DB6PR_" "type" "multipart/alternative") NIL NIL NIL) BODY ((("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 11 1)("text" "html" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 70 1) "alternative")("image" "png" ("name" "image001.png") "<image001.png@01>" "image001.png" "base64" 100) "related")`,
		},
		{
			name: "x3",
			msg: `From: a@b
Subject: attach
Content-Type: multipart/mixed; boundary="Apple-Mail=_1"

--Apple-Mail=_1
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

see attached

--Apple-Mail=_1
Content-Disposition: attachment;
	filename*=utf-8''%E2%82%AC%20report.pdf
Content-Type: application/pdf;
	x-unix-mode=0644;
	name="=?utf-8?Q?=E2=82=AC_report=2Epdf?="
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--Apple-Mail=_1--
`,
			want: `ENVELOPE (NIL "attach" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1 NIL NIL NIL NIL)("application" "pdf" ("x-unix-mode" "0644" "name" "=?utf-8?Q?=E2=82=AC_report=2Epdf?=") NIL NIL "base64" 12 NIL ("attachment" ("filename*" "utf-8''%E2%82%AC%20report.pdf")) NIL NIL) "mixed" ("boundary" "Apple-Mail=_1") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 14 1)("application" "pdf" ("x-unix-mode" "0644" "name" "=?utf-8?Q?=E2=82=AC_report=2Epdf?=") NIL NIL "base64" 12) "mixed")`,
		},
		{
			name: "x4",
			msg: `From: a@b
Subject: fwd
Content-Type: multipart/mixed; boundary=b1

--b1
Content-Type: text/plain

fwd below
--b1
Content-Type: message/rfc822
Content-Disposition: attachment; filename="orig.eml"

Received: x
From: Orig <orig@x.test>
To: a@b
Subject: original
Date: Mon, 4 Mar 2024 09:00:00 +0100
Content-Type: multipart/mixed; boundary=b2

--b2
Content-Type: text/plain

orig text

--b2
Content-Type: text/csv; name=data.csv

a,b
1,2
--b2--

--b1--
`,
			want: `ENVELOPE (NIL "fwd" ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL) BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0 NIL NIL NIL NIL)("message" "rfc822" NIL NIL NIL "7bit" 263 ("Mon, 4 Mar 2024 09:00:00 +0100" "original" (("Orig" NIL "orig" "x.test")) (("Orig" NIL "orig" "x.test")) (("Orig" NIL "orig" "x.test")) ((NIL NIL "a" "b")) NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1 NIL NIL NIL NIL)("text" "csv" ("name" "data.csv" "charset" "us-ascii") NIL NIL "7bit" 8 1 NIL NIL NIL NIL) "mixed" ("boundary" "b2") NIL NIL NIL) 18 NIL ("attachment" ("filename" "orig.eml")) NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL) BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 0)("message" "rfc822" NIL NIL NIL "7bit" 263 ("Mon, 4 Mar 2024 09:00:00 +0100" "original" (("Orig" NIL "orig" "x.test")) (("Orig" NIL "orig" "x.test")) (("Orig" NIL "orig" "x.test")) ((NIL NIL "a" "b")) NIL NIL NIL NIL) (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 11 1)("text" "csv" ("name" "data.csv" "charset" "us-ascii") NIL NIL "7bit" 8 1) "mixed") 18) "mixed")`,
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
