package lmtp

import (
	"strconv"
	"strings"
	"testing"
)

// TestLMTPBareRecipient sends recipients without a domain (RFC 5321
// §4.1.1.3), with message content and a BDAT chunk (RFC 3030) that look
// like such commands: only the commands are taken as recipients, and the
// content is stored unchanged.
func TestLMTPBareRecipient(t *testing.T) {
	addr, st := testServer(t, Options{DetailDelimiter: "+"})
	c := dial(t, addr)
	c.expect("220 ")
	body := "Subject: bare\r\n\r\nRCPT TO:<bob>\r\n.\r\n..\r\nrcpt to:<alice>\r\n"
	stuffed := strings.ReplaceAll(body, "\r\n.", "\r\n..")
	c.send("LHLO mta.example.org\r\nMAIL FROM:<sender@example.com>\r\n" +
		"RCPT TO:<alice>\r\nRCPT TO:<nobody>\r\nrcpt to: <alice+lists>\r\nDATA\r\n")
	c.expect("250 ") // LHLO
	c.expect("250 ") // MAIL
	if got := c.expect("250 "); strings.Contains(got, bareDomain) || !strings.Contains(got, "<alice>") {
		t.Errorf("RCPT reply %q", got)
	}
	c.expect("550 5.1.1")
	c.expect("250 ")
	c.expect("354 ")
	c.send(stuffed + ".\r\n")
	for _, want := range []string{"<alice>", "<alice+lists>"} {
		if got := c.expect("250 2.0.0"); !strings.Contains(got, want) {
			t.Errorf("DATA reply %q does not name %s", got, want)
		}
	}
	// BDAT: the chunk holds a line that looks like a command; the
	// command after it is a command again.
	chunk := "Subject: chunk\r\n\r\nRCPT TO:<bob>\r\n"
	c.send("MAIL FROM:<sender@example.com>\r\nRCPT TO:<bob>\r\n" +
		"BDAT " + strconv.Itoa(len(chunk)) + " LAST\r\n" + chunk + "NOOP\r\n")
	c.expect("250 ") // MAIL
	c.expect("250 ") // bob
	if got := c.expect("250 "); !strings.Contains(got, "<bob>") {
		t.Errorf("BDAT reply %q", got)
	}
	c.expect("250 ") // NOOP
	// A DATA refused (no recipient) leaves the connection in command
	// mode: what follows is read as commands.
	c.send("MAIL FROM:<sender@example.com>\r\nRCPT TO:<nobody>\r\nDATA\r\nRSET\r\n")
	c.expect("250 ")
	c.expect("550 ")
	c.expect("5")    // DATA refused
	c.expect("250 ") // RSET
	c.send("QUIT\r\n")
	c.expect("221 ")

	want := func(rcpt, text string) string {
		return "Return-Path: <sender@example.com>\r\nDelivered-To: " + rcpt + "\r\n" + text
	}
	if got := messages(t, st, "alice", "INBOX"); len(got) != 1 || got[0] != want("alice", body) {
		t.Errorf("alice/INBOX = %q", got)
	}
	if got := messages(t, st, "alice", "lists"); len(got) != 1 || got[0] != want("alice+lists", body) {
		t.Errorf("alice/lists = %q", got)
	}
	if got := messages(t, st, "bob", "INBOX"); len(got) != 1 || got[0] != want("bob", chunk) {
		t.Errorf("bob/INBOX = %q", got)
	}
}

func TestUnbare(t *testing.T) {
	for in, want := range map[string]string{
		"alice@" + bareDomain:       "alice",
		"alice@example.org":         "alice@example.org",
		"x@" + bareDomain + ".evil": "x@" + bareDomain + ".evil",
	} {
		if got := unbare(in); got != want {
			t.Errorf("unbare(%q) = %q, want %q", in, got, want)
		}
	}
}
