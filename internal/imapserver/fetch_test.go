package imapserver

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

// fetchCorpus is a varied set of messages: plain, multipart with an
// enclosed message, no header, 8-bit and encoded words, a group, a
// subject that must be sent as a literal, and a header spanning many
// buffers.
var fetchCorpus = []string{
	"From: Sender <s@example.org>\r\nTo: alice@example.org\r\nSubject: hello\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.org>\r\n\r\nbody\r\n",
	"From: a@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nTo: c@example.org\r\n\r\ny\r\n--b--\r\n",
	"",
	"To: undisclosed-recipients:;\r\nSubject: caf\xc3\xa9\r\n\r\nbody\r\n",
	"Subject: a \"b\" \\c\\ \\d\\ \\e\\\r\nCc: \"Q, R\" <q@example.org>, s@example.org\r\n\r\nbody\r\n",
	"Subject: " + strings.Repeat("long subject ", 3000) + "\r\nFrom: Long <l@example.org>\r\n\r\nbody\r\n",
}

// wantFetch is the untagged FETCH responses (joined by CRLF, as the
// harness splits literals into lines) that formatting each parsed message
// gives for (UID ENVELOPE BODY BODYSTRUCTURE).
func wantFetch(t *testing.T, msgs []string) string {
	t.Helper()
	var b strings.Builder
	for i, msg := range msgs {
		m, err := message.Parse(strings.NewReader(msg))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "* %d FETCH (UID %d ENVELOPE %s BODY %s BODYSTRUCTURE %s)", i+1, i+1,
			message.AppendEnvelope(nil, m.Root.Envelope), message.AppendBodyStructure(nil, m.Root, false),
			message.AppendBodyStructure(nil, m.Root, true))
	}
	return b.String()
}

// FETCH ENVELOPE, BODY and BODYSTRUCTURE send exactly what formatting the
// parsed message gives, whether the store has the forms or, for messages
// stored by older builds, computes them from a version 1 model.
func TestFetchForms(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	a, err := ts.store.OpenAccount(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range fetchCorpus {
		if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))}); err != nil {
			t.Fatal(err)
		}
	}
	want := wantFetch(t, fetchCorpus)
	c := ts.login(t, testUser)
	c.mustOK("s", "SELECT INBOX")
	const cmd = "UID FETCH 1:* (UID ENVELOPE BODY BODYSTRUCTURE)"
	if got := strings.Join(c.mustOK("f1", cmd), "\r\n"); got != want {
		t.Fatalf("FETCH:\n%s\nwant\n%s", got, want)
	}

	// Make every other message look as an older build stored it: a
	// version 1 model (without the forms) and no forms rows.
	db, err := sql.Open("sqlite", filepath.Join(ts.dir, "accounts", testUser, "mail.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT f.id, f.structure FROM files f JOIN messages m ON m.file_id = f.id WHERE m.uid % 2 = 1`)
	if err != nil {
		t.Fatal(err)
	}
	old := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var v2 []byte
		if err := rows.Scan(&id, &v2); err != nil {
			t.Fatal(err)
		}
		rest := v2[1:]
		for range 3 {
			n, k := binary.Uvarint(rest)
			rest = rest[k+int(n):]
		}
		old[id] = append([]byte{1}, rest...)
	}
	if err := rows.Err(); err != nil || len(old) != 3 {
		t.Fatalf("%d old rows, %v", len(old), err)
	}
	rows.Close()
	for id, v1 := range old {
		for _, q := range []string{`UPDATE files SET structure = ? WHERE id = ?`, `DELETE FROM envelopes WHERE file_id = ?`, `DELETE FROM bodies WHERE file_id = ?`} {
			args := []any{id}
			if strings.HasPrefix(q, "UPDATE") {
				args = []any{v1, id}
			}
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := strings.Join(c.mustOK("f2", cmd), "\r\n"); got != want {
		t.Fatalf("FETCH of old rows:\n%s\nwant\n%s", got, want)
	}
	// A sparse set, by sequence number, with FLAGS from the mailbox state.
	var wantSparse []string
	for _, seq := range []int{2, 5} {
		m, err := message.Parse(strings.NewReader(fetchCorpus[seq-1]))
		if err != nil {
			t.Fatal(err)
		}
		wantSparse = append(wantSparse, fmt.Sprintf("* %d FETCH (FLAGS () ENVELOPE %s)", seq, message.AppendEnvelope(nil, m.Root.Envelope)))
	}
	if got := strings.Join(c.mustOK("f3", "FETCH 2,5 (FLAGS ENVELOPE)"), "\r\n"); got != strings.Join(wantSparse, "\r\n") {
		t.Fatalf("FETCH 2,5:\n%s\nwant\n%s", got, strings.Join(wantSparse, "\r\n"))
	}
}

// A FETCH larger than the batch buffer arrives whole and in order.
func TestFetchManyMessages(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	a, err := ts.store.OpenAccount(ctx, testUser)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for i := range 300 {
		msg := fmt.Sprintf("From: s%d@example.org\r\nSubject: message %d %s\r\n\r\nbody\r\n", i, i, strings.Repeat("x", i*2))
		msgs = append(msgs, msg)
		if _, err := a.Append(ctx, "INBOX", store.AppendMessage{Body: strings.NewReader(msg), Size: int64(len(msg))}); err != nil {
			t.Fatal(err)
		}
	}
	c := ts.login(t, testUser)
	c.mustOK("s", "SELECT INBOX")
	got := strings.Join(c.mustOK("f", "UID FETCH 1:* (UID ENVELOPE BODY BODYSTRUCTURE)"), "\r\n")
	if want := wantFetch(t, msgs); got != want {
		t.Fatalf("FETCH of %d messages differs (got %d bytes, want %d)", len(msgs), len(got), len(want))
	}
	// The connection is still in step.
	c.mustOK("n", "NOOP")
}
