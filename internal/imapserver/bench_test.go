package imapserver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/store"
)

// benchMailbox fills INBOX with n messages through the store (on tmpfs
// when available, so fsync does not dominate the setup) and returns a
// logged-in connection with INBOX selected. For profiling the server's
// FETCH and SEARCH paths: go test -run X -bench . -cpuprofile.
func benchMailbox(b *testing.B, n int) *tconn {
	b.Helper()
	if _, err := os.Stat("/dev/shm"); err == nil {
		b.Setenv("TMPDIR", "/dev/shm")
	}
	ts := newTestServer(b)
	ctx := context.Background()
	a, err := ts.store.OpenAccount(ctx, testUser)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		msg := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\nSubject: message %d about topic%d\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <%d@example.org>\r\nContent-Type: text/plain\r\n\r\n%s\r\n",
			i%50, i%50, i, i%20, i, strings.Repeat("body text line\r\n", 40))
		if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))}); err != nil {
			b.Fatal(err)
		}
	}
	c := ts.login(b, testUser)
	c.mustOK("s", "SELECT INBOX")
	return c
}

func BenchmarkFetchEnvelopes(b *testing.B) {
	const n = 5000
	c := benchMailbox(b, n)
	b.ResetTimer()
	for range b.N {
		lines := c.mustOK("f", "UID FETCH 1:* (UID FLAGS ENVELOPE)")
		if len(lines) != n {
			b.Fatalf("%d lines", len(lines))
		}
	}
}

func BenchmarkSearchFrom(b *testing.B) {
	const n = 5000
	c := benchMailbox(b, n)
	b.ResetTimer()
	for range b.N {
		lines := c.mustOK("q", "UID SEARCH FROM s7@example.org")
		if len(lines) != 1 || len(strings.Fields(lines[0])) != 2+n/50 {
			b.Fatalf("%q", lines)
		}
	}
}
