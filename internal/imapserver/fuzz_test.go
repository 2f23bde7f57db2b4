package imapserver

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// FuzzSession replays arbitrary client bytes against a real session in
// each state (not authenticated, authenticated, selected), over a real
// SQLite store. The session must never panic (a recovered panic is
// logged as an internal error and fails the test through the log check
// below) and must end once the client goes away.
func FuzzSession(f *testing.F) {
	seeds := []string{
		"a CAPABILITY\r\n",
		"a LOGIN alice \"correct horse\"\r\n",
		"a SELECT INBOX\r\nb FETCH 1:* (FLAGS BODY[] BODYSTRUCTURE ENVELOPE)\r\n",
		"a UID SEARCH OR FROM alice (NOT SEEN) TEXT {3+}\r\nfoo\r\n",
		"a STORE 1:* +FLAGS (\\Deleted $x)\r\nb EXPUNGE\r\n",
		"a APPEND INBOX (\\Seen) {5+}\r\nhello\r\n",
		"a IDLE\r\nDONE\r\n",
		"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" * RETURN (CHILDREN STATUS (MESSAGES SIZE))\r\n",
		"a CREATE x/y\r\nb RENAME x z\r\nc DELETE z/y\r\n",
		"a FETCH 1 (BINARY[1]<0.3> BINARY.SIZE[1] BODY.PEEK[1.MIME] BODY[HEADER.FIELDS.NOT (To)])\r\n",
		"a COPY 1:* Trash\r\nb MOVE 1 Archive\r\n",
		"a SEARCH RETURN (SAVE) ALL\r\nb FETCH $ UID\r\n",
	}
	for _, s := range seeds {
		for state := uint8(0); state < 3; state++ {
			f.Add(state, []byte(s))
		}
	}
	ts := newTestServer(f)
	setup := ts.login(f, testUser)
	for _, subj := range []string{"one", "two"} {
		setup.appendMsg("s", "INBOX", "()", testMessage(subj, "body"))
	}
	multipart := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n"
	setup.appendMsg("s", "INBOX", "()", multipart)

	f.Fuzz(func(t *testing.T, state uint8, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		server, client := net.Pipe()
		sess := newSession(ts.srv, server, netip.MustParseAddr("127.0.0.1"), false)
		done := make(chan struct{})
		go func() {
			sess.run()
			close(done)
		}()
		go io.Copy(io.Discard, client)
		prefix := ""
		switch state % 3 {
		case 1:
			prefix = "P1 LOGIN alice \"correct horse\"\r\n"
		case 2:
			prefix = "P1 LOGIN alice \"correct horse\"\r\nP2 SELECT INBOX\r\n"
		}
		client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		client.Write([]byte(prefix))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("session did not end after the client closed")
		}
		if n := ts.panics.Load(); n > 0 {
			t.Fatalf("%d panics recovered in command handlers (see log)", n)
		}
	})
}
