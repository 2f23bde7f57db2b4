package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"petrel.dev/petrel/internal/message"
	"petrel.dev/petrel/internal/store"
)

// formsCorpus is a varied set of messages for the forms tests: plain,
// multipart with an enclosed message, no header at all, 8-bit and
// encoded words, a group, and a header long enough to need more than
// one buffer of a backend.
func formsCorpus() []string {
	return []string{
		testMessage("plain", "Hello."),
		"From: a@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nTo: c@example.org\r\n\r\ny\r\n--b--\r\n",
		"",
		"no header, bare LF\n\x00\xff\r\r\n",
		"To: undisclosed-recipients:;\r\nSubject: caf\xc3\xa9 \"quoted\" \\\\\\\\\r\n\r\nbody\r\n",
		"Subject: " + strings.Repeat("long subject ", 3000) + "\r\nFrom: Long <l@example.org>\r\n\r\nbody\r\n",
	}
}

// testForms checks Want's preformatted forms against message.FormsOf of
// the stored model, for every combination a FETCH asks for, and that
// unwanted data stays nil.
func testForms(t *testing.T, open Opener) {
	e := openEnv(t, open, store.Options{})
	a := e.account("u")
	ctx := e.ctx
	corpus := formsCorpus()
	for _, msg := range corpus {
		appendMsg(t, a, "INBOX", msg, `\Flagged`)
	}
	// A copy shares the stored file and must have the same forms.
	if _, err := mailbox(t, a, "INBOX").Copy(ctx, []uint32{2}, "Archive"); err != nil {
		t.Fatal(err)
	}
	type forms struct{ env, body, bs []byte }
	want := map[string]map[uint32]forms{}
	for _, name := range []string{"INBOX", "Archive"} {
		want[name] = map[uint32]forms{}
		err := mailbox(t, a, name).Messages(ctx, []uint32{1, 2, 3, 4, 5, 6}, store.WantStructure, func(d *store.MessageData) error {
			env, body, bs, err := message.FormsOf(d.Structure)
			if err != nil {
				return fmt.Errorf("UID %d: %w", d.UID, err)
			}
			want[name][d.UID] = forms{env, body, bs}
			return nil
		})
		must(t, "Messages(WantStructure)", err)
	}
	if len(want["INBOX"]) != len(corpus) || len(want["Archive"]) != 1 {
		t.Fatalf("Messages returned %d and %d messages", len(want["INBOX"]), len(want["Archive"]))
	}
	if !bytes.Equal(want["Archive"][1].bs, want["INBOX"][2].bs) {
		t.Fatal("the copy's model differs from the original's")
	}
	if env := want["INBOX"][1].env; !bytes.Contains(env, []byte(`"plain"`)) {
		t.Fatalf("ENVELOPE form %s lacks the subject", env)
	}
	for _, w := range []store.Want{
		store.WantEnvelope,
		store.WantBodyStructure,
		store.WantEnvelope | store.WantUIDOnly,
		store.WantEnvelope | store.WantBodyStructure | store.WantStructure,
		store.WantEnvelope | store.WantBodyStructure | store.WantHeader | store.WantUIDOnly,
	} {
		for _, name := range []string{"INBOX", "Archive"} {
			n := 0
			err := mailbox(t, a, name).Messages(ctx, []uint32{6, 5, 4, 3, 2, 1, 99}, w, func(d *store.MessageData) error {
				n++
				f, ok := want[name][d.UID]
				if !ok {
					return fmt.Errorf("unexpected UID %d", d.UID)
				}
				check := func(item string, bit store.Want, got, want []byte) {
					if w&bit == 0 {
						if got != nil {
							t.Errorf("want %b, %s UID %d: unwanted %s %q", w, name, d.UID, item, got)
						}
					} else if !bytes.Equal(got, want) {
						t.Errorf("want %b, %s UID %d: %s\n%s\nwant\n%s", w, name, d.UID, item, got, want)
					}
				}
				check("ENVELOPE", store.WantEnvelope, d.Envelope, f.env)
				check("BODY", store.WantBodyStructure, d.Body, f.body)
				check("BODYSTRUCTURE", store.WantBodyStructure, d.BodyStructure, f.bs)
				if (d.Structure != nil) != (w&store.WantStructure != 0) || (d.Header != nil) != (w&store.WantHeader != 0) {
					t.Errorf("want %b: header %v, structure %v", w, d.Header != nil, d.Structure != nil)
				}
				if w&store.WantUIDOnly != 0 {
					if d.Flags != nil || d.ModSeq != 0 || d.Size != 0 || !d.InternalDate.IsZero() {
						t.Errorf("want %b: metadata %+v beyond the UID", w, d.MessageMeta)
					}
				} else if !sameFlags(d.Flags, []string{`\Flagged`}) || d.ModSeq == 0 {
					t.Errorf("want %b: metadata %+v", w, d.MessageMeta)
				}
				return nil
			})
			must(t, "Messages", err)
			if n != len(want[name]) {
				t.Errorf("want %b, %s: %d messages, want %d", w, name, n, len(want[name]))
			}
		}
	}
}
