package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// fuzzSeeds cover every command form and the literal kinds.
var fuzzSeeds = []string{
	"a CAPABILITY\r\nb NOOP\r\nc LOGOUT\r\n",
	"a STARTTLS\r\na NAMESPACE\r\na IDLE\r\nDONE\r\na CHECK\r\na CLOSE\r\na UNSELECT\r\na EXPUNGE\r\n",
	"a AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=\r\na AUTHENTICATE EXTERNAL =\r\n",
	"a LOGIN {3}\r\njoe \"se\\\"cret\"\r\n",
	"a ENABLE CONDSTORE UTF8=ACCEPT\r\n",
	"a ID (\"name\" \"x\" \"version\" NIL)\r\na ID NIL\r\n",
	"a SELECT INBOX (CONDSTORE)\r\na EXAMINE \"Entw&APw-rfe\"\r\n",
	"a SELECT x (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
	"a CREATE Drafts (USE (\\Drafts))\r\na DELETE x\r\na RENAME a b\r\n",
	"a SUBSCRIBE x\r\na UNSUBSCRIBE {1+}\r\nx\r\n",
	"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (% INBOX/*) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
	"a LSUB \"\" *\r\na STATUS INBOX (MESSAGES UIDNEXT SIZE)\r\n",
	"a APPEND INBOX (\\Seen) \" 5-Mar-2024 07:08:09 -0430\" {5}\r\nhello ~{2+}\r\n\x00\x01\r\n",
	"a APPEND x {3+}\r\nabc\r\n",
	"a SEARCH RETURN (MIN MAX COUNT SAVE) CHARSET UTF-8 OR FROM x (NOT SEEN UID 1:5) SINCE 1-Feb-2020 $\r\n",
	"a UID SEARCH HEADER Subject {3+}\r\nabc LARGER 10 MODSEQ \"/flags/\\\\seen\" all 5 KEYWORD $x\r\n",
	"a FETCH 1:*,5 (FLAGS BODY.PEEK[1.HEADER.FIELDS (From To)]<0.100> BINARY[1] BINARY.SIZE[2] PREVIEW (LAZY)) (CHANGEDSINCE 5)\r\n",
	"a UID FETCH 1 FULL\r\na FETCH 2 BODY[2.MIME]\r\n",
	"a STORE 1 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Deleted $Junk)\r\na UID STORE 2 FLAGS \\Seen\r\n",
	"a COPY 1:3 Trash\r\na UID MOVE $ Trash\r\na UID EXPUNGE 1:5\r\n",
	"a LOGIN joe {99999999999+}\r\n",
	"a LOGIN " + string(bytes.Repeat([]byte("x"), 300)) + " {4+}\r\nabcd\r\nb NOOP\r\n",
	"* BAD\r\n\r\n+\r\n",
}

func FuzzReadCommand(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("hang on %q", data)) })
		defer tm.Stop()
		lim := DefaultLimits()
		lim.MaxLine = 256
		lim.MaxLiteral = 64
		lim.MaxCommand = 128
		lim.MaxAppend = 64
		lim.MaxDepth = 8
		lim.MaxRanges = 16
		lim.MaxMailboxName = 32
		r := bufio.NewReader(bytes.NewReader(data))
		d := NewDecoder(r, func(string) error { return nil }, lim)
		d.SetUTF8(len(data)%2 == 0)
		// Every round consumes input, so the loop ends within len(data)
		// rounds; more means the decoder stopped making progress.
		for rounds := 0; ; rounds++ {
			if rounds > len(data)+1 {
				t.Fatalf("no progress after %d rounds", rounds)
			}
			cmd, err := d.ReadCommand()
			var e *Error
			if errors.As(err, &e) {
				if e.Fatal {
					return
				}
				if e.Kind != "BAD" && e.Kind != "NO" {
					t.Fatalf("error kind %q", e.Kind)
				}
				continue
			}
			if err != nil {
				return
			}
			if cmd.Name == "APPEND" {
				if fuzzAppend(t, d, rounds) {
					return
				}
			}
		}
	})
}

// fuzzAppend plays the session's part of an APPEND; it alternates between
// accepting and rejecting messages. It reports whether the stream ended.
func fuzzAppend(t *testing.T, d *Decoder, round int) bool {
	for i := 0; ; i++ {
		m, err := d.ReadAppendMessage()
		var e *Error
		if errors.As(err, &e) {
			return e.Fatal
		}
		if err != nil {
			return true
		}
		if m == nil {
			return false
		}
		if m.Size < 0 || m.Size > d.lim.MaxAppend {
			t.Fatalf("message size %d accepted", m.Size)
		}
		if (round+i)%3 == 2 {
			if err := d.RejectAppend(); err != nil {
				return errors.As(err, &e) && e.Fatal || !errors.As(err, &e)
			}
			return false
		}
		body, err := d.AppendBody()
		if err != nil {
			return true
		}
		n, err := io.Copy(io.Discard, body)
		if err != nil {
			return true
		}
		if n != m.Size {
			t.Fatalf("body of %d bytes, want %d", n, m.Size)
		}
	}
}
