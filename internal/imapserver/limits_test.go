package imapserver

import (
	"bufio"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

func TestLineTooLong(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.send("t1 NOOP " + strings.Repeat("x", 70*1024))
	c.expectRe(`^(\*|t1) BAD \[TOOBIG\] `)
	c.send("t2 NOOP")
	c.expect("t2 OK NOOP completed")
}

func TestAppendLimit(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	// Synchronising: refused before the client sends the literal.
	c.send("t1 APPEND INBOX {2000000}")
	c.expectRe(`^t1 NO \[TOOBIG\] `)
	// Non-synchronising: the literal is read and discarded.
	c.sendRaw("t2 APPEND INBOX {2000000+}\r\n" + strings.Repeat("x", 2000000) + "\r\n")
	c.expectRe(`^t2 (BAD|NO) \[TOOBIG\] `)
	c.send("t3 NOOP")
	c.expect("t3 OK NOOP completed")
	c.send("t4 APPEND Nowhere {5}")
	c.expect("t4 NO [TRYCREATE] Mailbox does not exist")
}

func TestLiteralPlusAppend(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	msg := testMessage("plus", "x")
	c.sendRaw("t1 APPEND INBOX (\\Seen) {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + " {" + strconv.Itoa(len(msg)) + "+}\r\n" + msg + "\r\n")
	c.expectRe(`^t1 OK \[APPENDUID \d+ 1:2\] APPEND completed$`)
	c.send("t2 STATUS INBOX (MESSAGES UNSEEN UIDNEXT SIZE)")
	c.expect("* STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3 SIZE "+strconv.Itoa(2*len(msg))+")", "t2 OK STATUS completed")
}

func TestPipelinedCommands(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, testUser)
	c.sendRaw("p1 NOOP\r\np2 CREATE Work\r\np3 SELECT Work\r\np4 CLOSE\r\n")
	c.expect("p1 OK NOOP completed")
	c.expectRe(`^p2 OK \[MAILBOXID \(M\d+-\d+\)\] CREATE completed$`)
	c.until("p3")
	c.expect("p4 OK CLOSE completed")
}

// A cleartext connection from a non-loopback address gets LOGINDISABLED
// and NO [PRIVACYREQUIRED] (RFC 9051 §6.2.3, §11.1). The session runs
// over an in-memory pipe so that it can be given such an address.
func TestPrivacyRequiredOffLoopback(t *testing.T) {
	ts := newTestServer(t)
	server, client := net.Pipe()
	sess := newSession(ts.srv, server, netip.MustParseAddr("192.0.2.7"), false)
	go sess.run()
	t.Cleanup(func() { client.Close() })
	c := &tconn{t: t, c: client, r: bufio.NewReader(client)}
	greeting := c.expectRe(`^\* OK \[CAPABILITY .*\] Petrel ready$`)
	if !strings.Contains(greeting, "LOGINDISABLED") || strings.Contains(greeting, "AUTH=PLAIN") {
		t.Fatalf("greeting off loopback: %s", greeting)
	}
	c.send(`a1 LOGIN alice "correct horse"`)
	c.expectRe(`^a1 NO \[PRIVACYREQUIRED\] `)
	c.send("a2 AUTHENTICATE PLAIN AGFsaWNlAGNvcnJlY3QgaG9yc2U=")
	c.expectRe(`^a2 NO \[PRIVACYREQUIRED\] `)
}

func TestConnectionLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"per-ip", func(o *Options) { o.MaxConnsPerIP = 2 }},
		{"total", func(o *Options) { o.MaxConns = 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, tc.mod)
			ts.dial(t)
			ts.dial(t)
			c, err := net.Dial("tcp", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tc := &tconn{t: t, c: c, r: bufio.NewReader(c)}
			tc.expectRe(`^\* BYE \[UNAVAILABLE\] Too many connections`)
		})
	}
}
