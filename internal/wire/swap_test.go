package wire

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

// A decoder keeps its state (UTF-8 mode, limits) across SetReader, reads
// the next command from the new reader, and reports 0 buffered bytes
// while it has none.
func TestDecoderSetReader(t *testing.T) {
	lim := DefaultLimits()
	d := NewDecoder(bufio.NewReader(strings.NewReader("a SELECT INBOX\r\n")), nil, lim)
	d.SetUTF8(true)
	if _, err := d.ReadCommand(); err != nil {
		t.Fatal(err)
	}
	d.SetReader(nil)
	if n := d.Buffered(); n != 0 {
		t.Errorf("Buffered() without a reader = %d, want 0", n)
	}
	d.SetReader(bufio.NewReader(strings.NewReader("b SELECT \"Caf\u00e9\"\r\nc NOOP\r\n")))
	cmd, err := d.ReadCommand()
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Tag != "b" || cmd.Name != "SELECT" {
		t.Fatalf("command after SetReader = %+v", cmd)
	}
	// A UTF-8 name is only accepted in UTF-8 mode: the mode survived.
	if d.Buffered() == 0 {
		t.Error("Buffered() = 0 with a pipelined command in the new reader")
	}
	if cmd, err := d.ReadCommand(); err != nil || cmd.Tag != "c" {
		t.Fatalf("second command = %+v, %v", cmd, err)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken") }

// An encoder writes to the writer given last, keeps its sticky error
// across SetWriter, and keeps its UTF-8 mode.
func TestEncoderSetWriter(t *testing.T) {
	var a, b bytes.Buffer
	e := NewEncoder(bufio.NewWriter(&a))
	e.SetUTF8(true)
	e.Raw("* 1 EXISTS").CRLF()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	e.SetWriter(bufio.NewWriter(&b))
	e.Mailbox("Caf\u00e9").CRLF()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if a.String() != "* 1 EXISTS\r\n" || b.String() != "\"Caf\u00e9\"\r\n" {
		t.Errorf("first writer got %q, second %q", a.String(), b.String())
	}

	e.SetWriter(bufio.NewWriterSize(brokenWriter{}, 16))
	e.Raw("x").CRLF()
	if e.Flush() == nil {
		t.Fatal("Flush to a broken writer succeeded")
	}
	b.Reset()
	e.SetWriter(bufio.NewWriter(&b))
	e.Raw("y").CRLF()
	if e.Flush() == nil || b.Len() != 0 {
		t.Errorf("sticky error lost across SetWriter: wrote %q", b.String())
	}
}
