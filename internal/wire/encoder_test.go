package wire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"petrel.dev/petrel/internal/imap"
)

func encode(utf8 bool, fn func(e *Encoder)) (string, error) {
	var buf bytes.Buffer
	e := NewEncoder(bufio.NewWriter(&buf))
	e.SetUTF8(utf8)
	fn(e)
	err := e.Flush()
	return buf.String(), err
}

func TestEncoder(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name string
		utf8 bool
		fn   func(e *Encoder)
		want string
	}{
		{"line", false, func(e *Encoder) {
			e.Raw("*").SP().Number(3).SP().Atom("EXISTS").CRLF()
		}, "* 3 EXISTS\r\n"},
		{"number64", false, func(e *Encoder) { e.Number64(1<<63 - 1) }, "9223372036854775807"},
		{"quoted", false, func(e *Encoder) { e.String(`a "b" \c`) }, `"a \"b\" \\c"`},
		{"empty string", false, func(e *Encoder) { e.String("") }, `""`},
		{"CR forces literal", false, func(e *Encoder) { e.String("a\r\nb") }, "{4}\r\na\r\nb"},
		{"NUL forces literal", false, func(e *Encoder) { e.String("a\x00") }, "{2}\r\na\x00"},
		{"8-bit forces literal", false, func(e *Encoder) { e.String("é") }, "{2}\r\né"},
		{"UTF-8 quoted in UTF8 mode", true, func(e *Encoder) { e.String("é") }, `"é"`},
		{"invalid UTF-8 literal in UTF8 mode", true, func(e *Encoder) { e.String("\xff") }, "{1}\r\n\xff"},
		{"nstring nil", false, func(e *Encoder) { e.NString(nil) }, "NIL"},
		{"nstring", false, func(e *Encoder) { e.NString(s("x")) }, `"x"`},
		{"literal", false, func(e *Encoder) { e.Literal([]byte("hello")) }, "{5}\r\nhello"},
		{"literal8", false, func(e *Encoder) { e.Literal8([]byte{0, 1}) }, "~{2}\r\n\x00\x01"},
		{"literal from", false, func(e *Encoder) { e.LiteralFrom(3, strings.NewReader("abcdef"), false) }, "{3}\r\nabc"},
		{"literal8 from", false, func(e *Encoder) { e.LiteralFrom(2, strings.NewReader("ab"), true) }, "~{2}\r\nab"},
		{"mailbox INBOX", false, func(e *Encoder) { e.Mailbox("inbox") }, "INBOX"},
		{"mailbox atom", false, func(e *Encoder) { e.Mailbox("Sent/2024") }, "Sent/2024"},
		{"mailbox mUTF-7", false, func(e *Encoder) { e.Mailbox("Entwürfe") }, "Entw&APw-rfe"},
		{"mailbox UTF-8", true, func(e *Encoder) { e.Mailbox("Entwürfe") }, `"Entwürfe"`},
		{"mailbox with space", false, func(e *Encoder) { e.Mailbox("My Mail") }, `"My Mail"`},
		{"mailbox with wildcard", false, func(e *Encoder) { e.Mailbox("a*b") }, `"a*b"`},
		{"mailbox NIL", false, func(e *Encoder) { e.Mailbox("NIL") }, `"NIL"`},
		{"mailbox empty", false, func(e *Encoder) { e.Mailbox("") }, `""`},
		{"mailbox quote", false, func(e *Encoder) { e.Mailbox(`a"b`) }, `"a\"b"`},
		{"flags", false, func(e *Encoder) { e.Flags([]string{`\Seen`, "foo"}) }, `(\Seen foo)`},
		{"no flags", false, func(e *Encoder) { e.Flags(nil) }, `()`},
		{"open close", false, func(e *Encoder) { e.Open().Atom("A").Close() }, `(A)`},
		{"date-time", false, func(e *Encoder) {
			e.DateTime(time.Date(2024, 3, 5, 7, 8, 9, 0, time.FixedZone("", -(4*3600+30*60))))
		}, `" 5-Mar-2024 07:08:09 -0430"`},
		{"date-time two-digit day", false, func(e *Encoder) {
			e.DateTime(time.Date(2024, 12, 25, 23, 0, 0, 0, time.UTC))
		}, `"25-Dec-2024 23:00:00 +0000"`},
	}
	for _, tt := range tests {
		got, err := encode(tt.utf8, tt.fn)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestEncoderLiteralFromShort(t *testing.T) {
	_, err := encode(false, func(e *Encoder) { e.LiteralFrom(10, strings.NewReader("abc"), false).CRLF() })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short LiteralFrom: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestEncoderStickyError(t *testing.T) {
	e := NewEncoder(bufio.NewWriterSize(failWriter{}, 16))
	e.Raw(strings.Repeat("x", 100)).CRLF()
	if e.Err() == nil {
		t.Fatal("no error after a failed write")
	}
	first := e.Err()
	e.Atom("more").Literal([]byte("data"))
	if e.Flush() != first {
		t.Errorf("error not sticky: %v then %v", first, e.Flush())
	}
}

// The decoder reads back what the encoder writes.
func TestEncoderDecoderAgree(t *testing.T) {
	names := []string{"INBOX", "Entwürfe", "a b", `q"uote`, "back\\slash", "日本語/x", "&", "NIL", "]x"}
	for _, utf8 := range []bool{false, true} {
		for _, name := range names {
			out, err := encode(utf8, func(e *Encoder) { e.Raw("a SELECT ").Mailbox(name).CRLF() })
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(bufio.NewReader(strings.NewReader(out)), func(string) error { return nil }, DefaultLimits())
			d.SetUTF8(utf8)
			cmd, err := d.ReadCommand()
			if err != nil {
				t.Errorf("utf8=%v %q: decoding %q: %v", utf8, name, out, err)
				continue
			}
			if got := cmd.Args.(*imap.SelectArgs).Mailbox; got != name {
				t.Errorf("utf8=%v: %q encoded as %q decodes to %q", utf8, name, out, got)
			}
		}
	}
}

// Batch holds output back until end (or Flush), then passes it on in
// order; Int64 and Number64 format without a string.
func TestEncoderBatch(t *testing.T) {
	var buf bytes.Buffer
	under := bufio.NewWriterSize(&buf, 16)
	e := NewEncoder(under)
	e.Raw("a ")
	end := e.Batch(1 << 10)
	batched := e.w
	e.Batch(1 << 12)() // nested: a no-op, the outer batch stays
	if e.w != batched || e.under != under {
		t.Fatal("a nested Batch replaced the outer one")
	}
	for i := range 20 {
		e.Number(uint32(i)).SP()
	}
	e.Int64(-5).SP().Int64(1 << 40)
	if buf.Len() != 0 {
		t.Fatalf("batched output reached the writer early: %q", buf.String())
	}
	end()
	if e.w != under {
		t.Fatal("end did not restore the writer")
	}
	e.CRLF()
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "a 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 0 1099511627776\r\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	// Flush inside a batch reaches the underlying writer's destination.
	buf.Reset()
	end = e.Batch(1 << 10)
	e.Raw("x")
	if err := e.Flush(); err != nil || buf.String() != "x" {
		t.Fatalf("Flush in a batch: %q, %v", buf.String(), err)
	}
	end()
	// A writer already as large as asked is used as it is.
	end = NewEncoder(bufio.NewWriterSize(&buf, 1<<12)).Batch(1 << 10)
	end()
}

func BenchmarkEncoderNumber(b *testing.B) {
	e := NewEncoder(bufio.NewWriter(io.Discard))
	b.ReportAllocs()
	for i := range b.N {
		e.Number(uint32(i)).SP()
	}
}
