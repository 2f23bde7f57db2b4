package lmtp

import (
	"context"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

// An over-quota recipient gets 552 5.2.2, or 452 4.2.2 with QuotaTempFail
// (issue: "configurable to 452 4.2.2"), while the others are delivered.
func TestLMTPOverQuota(t *testing.T) {
	for _, tc := range []struct {
		temp bool
		want string
	}{{false, "552 5.2.2"}, {true, "452 4.2.2"}} {
		addr, st := testServer(t, Options{QuotaTempFail: tc.temp})
		if err := st.SetQuota(context.Background(), "bob", &store.Quota{Messages: 1}); err != nil {
			t.Fatal(err)
		}
		c := dial(t, addr)
		c.expect("220 ")
		for i := range 2 {
			c.send("LHLO mta\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n")
			for range 4 {
				c.expect("250 ")
			}
			c.expect("354 ")
			c.send("Subject: q\r\n\r\nbody\r\n.\r\n")
			c.expect("250 2.0.0") // alice
			if i == 0 {
				c.expect("250 2.0.0") // bob's first fits
			} else {
				c.expect(tc.want)
			}
			c.send("RSET\r\n")
			c.expect("250 ")
		}
		if n := len(messages(t, st, "bob", "INBOX")); n != 1 {
			t.Errorf("bob has %d messages, want 1", n)
		}
		if n := len(messages(t, st, "alice", "INBOX")); n != 2 {
			t.Errorf("alice has %d messages, want 2", n)
		}
	}
}

// A message with a line much longer than RFC 5321's limit is delivered,
// as real mail needs (the SpamAssassin corpus has a 14,299-byte line).
func TestLMTPLongLine(t *testing.T) {
	addr, st := testServer(t, Options{})
	c := dial(t, addr)
	c.expect("220 ")
	c.send("LHLO mta\r\nMAIL FROM:<s@example.com>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
	for range 3 {
		c.expect("250 ")
	}
	c.expect("354 ")
	long := strings.Repeat("x", 20000)
	c.send("Subject: long\r\n\r\n" + long + "\r\n.\r\n")
	c.expect("250 2.0.0")
	if got := messages(t, st, "alice", "INBOX"); len(got) != 1 || !strings.Contains(got[0], long) {
		t.Fatalf("long line not stored intact")
	}
}
