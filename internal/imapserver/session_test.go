package imapserver

import (
	"strconv"
	"strings"
	"testing"
)

func TestGreetingAndCapability(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	c.send("a1 CAPABILITY")
	caps := c.expectRe(`^\* CAPABILITY `)
	for _, want := range []string{"IMAP4rev1", "IMAP4rev2", "STARTTLS", "AUTH=PLAIN", "SASL-IR", "LITERAL+", "APPENDLIMIT=1048576"} {
		if !strings.Contains(caps+" ", " "+want+" ") {
			t.Errorf("capability %s missing from %q", want, caps)
		}
	}
	c.expect("a1 OK CAPABILITY completed")
	c.send("a2 NOOP")
	c.expect("a2 OK NOOP completed")
	c.send("a3 SELECT INBOX")
	c.expect("a3 BAD SELECT not allowed in the not authenticated state")
	c.send("a4 LOGOUT")
	c.expect("* BYE Logging out", "a4 OK LOGOUT completed")
}

func TestLoginFailures(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	c.send(`a1 LOGIN alice "wrong"`)
	c.expect("a1 NO [AUTHENTICATIONFAILED] Invalid credentials")
	c.send(`a2 LOGIN nobody "wrong"`)
	c.expect("a2 NO [AUTHENTICATIONFAILED] Invalid credentials")
	// AUTHENTICATE PLAIN with SASL-IR: "\x00alice\x00correct horse".
	c.send("a3 AUTHENTICATE PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=")
	c.expectRe(`^a3 OK \[CAPABILITY [^\]]*\] Logged in$`)
}

func TestAuthenticateContinuation(t *testing.T) {
	ts := newTestServer(t)
	c := ts.dial(t)
	c.send("a1 AUTHENTICATE PLAIN")
	c.expect("+ ")
	c.send("*")
	c.expect("a1 BAD Authentication canceled")
	c.send("a2 AUTHENTICATE PLAIN")
	c.expect("+ ")
	c.send("AGFsaWNlAGNvcnJlY3QgaG9yc2U=")
	c.expectRe(`^a2 OK \[CAPABILITY`)
}

func TestSelectRev1AndRev2(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.appendMsg("a1", "INBOX", "(\\Seen)", testMessage("one", "hello"))
	c.appendMsg("a2", "INBOX", "()", testMessage("two", "world"))
	c.send("a3 SELECT INBOX")
	c.expect(
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted`,
		"* 2 EXISTS",
		"* 0 RECENT",
		"* OK [UNSEEN 2] First unseen message",
	)
	c.expectRe(`^\* OK \[UIDVALIDITY \d+\] UIDs valid$`)
	c.expect("* OK [UIDNEXT 3] Predicted next UID")
	c.expectRe(`^\* OK \[MAILBOXID \(M1-\d+\)\] Ok$`)
	c.expect("a3 OK [READ-WRITE] SELECT completed")

	c.send("a4 ENABLE IMAP4rev2")
	c.expect("* ENABLED IMAP4rev2", "a4 OK ENABLE completed")
	c.send("a5 EXAMINE INBOX")
	c.expect(
		"* OK [CLOSED] Previous mailbox is now closed",
		`* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)`,
		`* OK [PERMANENTFLAGS ()] Read-only mailbox`,
		"* 2 EXISTS",
	)
	c.expectRe(`^\* OK \[UIDVALIDITY \d+\] UIDs valid$`)
	c.expect("* OK [UIDNEXT 3] Predicted next UID")
	c.expectRe(`^\* OK \[MAILBOXID \(M1-\d+\)\] Ok$`)
	c.expect(`* LIST (\HasNoChildren) "/" INBOX`,
		"a5 OK [READ-ONLY] EXAMINE completed")
	// rev2: SEARCH answers with ESEARCH.
	c.send("a6 SEARCH UNSEEN")
	c.expect(`* ESEARCH (TAG "a6") ALL 2`, "a6 OK SEARCH completed")
	c.send("a7 STORE 1 +FLAGS (\\Flagged)")
	c.expect("a7 NO [READ-ONLY] Mailbox is read-only")
}

func TestSearchRev1AndESearch(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	for i, subj := range []string{"apple", "banana", "cherry", "apple pie"} {
		flags := "()"
		if i%2 == 0 {
			flags = `(\Flagged)`
		}
		c.appendMsg("a", "INBOX", flags, testMessage(subj, "body of "+subj))
	}
	c.mustOK("s", "SELECT INBOX")
	c.send("b1 SEARCH SUBJECT apple")
	c.expect("* SEARCH 1 4", "b1 OK SEARCH completed")
	c.send("b2 UID SEARCH RETURN (MIN MAX COUNT) FLAGGED")
	c.expect(`* ESEARCH (TAG "b2") UID MIN 1 MAX 3 COUNT 2`, "b2 OK UID SEARCH completed")
	c.send(`b3 SEARCH CHARSET UTF-8 BODY "of cherry"`)
	c.expect("* SEARCH 3", "b3 OK SEARCH completed")
	c.send("b4 SEARCH CHARSET KOI8-R ALL")
	c.expect("b4 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset KOI8-R")
	// SEARCHRES: save, then use $.
	c.send("b5 SEARCH RETURN (SAVE) OR SUBJECT banana SUBJECT cherry")
	c.expect("b5 OK SEARCH completed")
	c.send("b6 FETCH $ (UID)")
	c.expect("* 2 FETCH (UID 2)", "* 3 FETCH (UID 3)", "b6 OK FETCH completed")
	c.send("b7 SEARCH NOT 1:3")
	c.expect("* SEARCH 4", "b7 OK SEARCH completed")
	c.send("b8 SEARCH RETURN () 2:*")
	c.expect(`* ESEARCH (TAG "b8") ALL 2:4`, "b8 OK SEARCH completed")
}

func TestFetchItems(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	msg := testMessage("hello", "Body text")
	c.appendMsg("a1", "INBOX", `(\Draft)`, msg)
	c.mustOK("s", "SELECT INBOX")
	c.send("f1 FETCH 1 (FLAGS RFC822.SIZE BODY.PEEK[TEXT] BODY.PEEK[]<0.4>)")
	c.expect(
		`* 1 FETCH (FLAGS (\Draft) RFC822.SIZE `+strconv.Itoa(len(msg))+` BODY[TEXT] {11}`,
		"Body text",
		` BODY[]<0> {4}`,
		`From)`,
		"f1 OK FETCH completed",
	)
	// A non-peek fetch sets \Seen and reports the new flags.
	c.send("f2 FETCH 1 BODY[HEADER.FIELDS (Subject)]")
	c.expect(
		"* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {18}",
		"Subject: hello",
		"",
		` FLAGS (\Draft \Seen))`,
		"f2 OK FETCH completed",
	)
	c.send("f3 UID FETCH 1:* (FLAGS)")
	c.expect(`* 1 FETCH (UID 1 FLAGS (\Draft \Seen))`, "f3 OK UID FETCH completed")
	c.send("f4 FETCH 2 FLAGS")
	c.expect("f4 BAD Invalid message sequence number (mailbox has 1 messages)")
}
