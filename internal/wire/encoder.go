package wire

import (
	"bufio"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// Encoder writes server responses (RFC 9051 §7, §9). Its writers chain and
// keep the first error (sticky, like go-imap's encoder); Flush or Err
// reports it. It is not safe for concurrent use.
type Encoder struct {
	w    *bufio.Writer
	err  error
	utf8 bool
	num  [20]byte // scratch for formatting numbers without allocating
	// under is the writer w passes on to during a Batch, else nil.
	under *bufio.Writer
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w *bufio.Writer) *Encoder { return &Encoder{w: w} }

// SetUTF8 turns UTF-8 mailbox names on or off (IMAP4rev2, RFC 9051 §5.1;
// UTF8=ACCEPT, RFC 6855 §3): mailbox names are
// then written as UTF-8 and strings may carry UTF-8 in quoted form.
func (e *Encoder) SetUTF8(on bool) { e.utf8 = on }

func (e *Encoder) write(s string) *Encoder {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
	return e
}

// Raw writes s as is.
func (e *Encoder) Raw(s string) *Encoder { return e.write(s) }

// RawBytes writes b as it is, like Raw, without converting it to a string.
func (e *Encoder) RawBytes(b []byte) *Encoder {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
	return e
}

// SP writes a space.
func (e *Encoder) SP() *Encoder { return e.write(" ") }

// CRLF ends a response line.
func (e *Encoder) CRLF() *Encoder { return e.write("\r\n") }

// Atom writes s as an atom; the caller guarantees it is one.
func (e *Encoder) Atom(s string) *Encoder { return e.write(s) }

// Number writes a number.
func (e *Encoder) Number(n uint32) *Encoder { return e.Number64(uint64(n)) }

// Number64 writes a number64 or mod-sequence value.
func (e *Encoder) Number64(n uint64) *Encoder {
	return e.RawBytes(strconv.AppendUint(e.num[:0], n, 10))
}

// Int64 writes a non-negative number such as an RFC822.SIZE; a negative
// n, which no caller should pass, is written as 0.
func (e *Encoder) Int64(n int64) *Encoder { return e.Number64(uint64(max(n, 0))) }

// Batch makes the encoder collect up to size bytes before handing them to
// its writer, so that a long response (a FETCH of many messages) reaches
// the connection in few large writes rather than many small ones. end
// passes on what is left and returns the encoder to its writer; it does
// not flush that writer (Flush meanwhile flushes both). A nested Batch
// does nothing. Nothing may write to the encoder's writer directly
// until end.
func (e *Encoder) Batch(size int) (end func()) {
	orig := e.w
	if orig == nil || orig.Size() >= size || e.under != nil {
		return func() {}
	}
	e.w, e.under = bufio.NewWriterSize(orig, size), orig
	return func() {
		if e.err == nil {
			e.err = e.w.Flush()
		}
		e.w, e.under = orig, nil
	}
}

// Open writes "(".
func (e *Encoder) Open() *Encoder { return e.write("(") }

// Close writes ")".
func (e *Encoder) Close() *Encoder { return e.write(")") }

// quotable reports whether s can be sent as a quoted string: no CR, LF or
// NUL, and 7-bit unless UTF-8 mode is on and s is valid UTF-8 (RFC 9051 §9
// QUOTED-CHAR admits UTF-8; rev1 clients expect 7-bit).
func (e *Encoder) quotable(s string) bool {
	eight := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' || c == '\n' || c == 0:
			return false
		case c >= 0x80:
			eight = true
		}
	}
	return !eight || (e.utf8 && utf8.ValidString(s))
}

// String writes s as a quoted string when it is safe (escaping \ and "),
// else as a literal.
func (e *Encoder) String(s string) *Encoder {
	if !e.quotable(s) {
		return e.Literal([]byte(s))
	}
	e.write(`"`)
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			e.write(s[start:i]).write(`\`)
			start = i
		}
	}
	return e.write(s[start:]).write(`"`)
}

// NString writes NIL for nil, else String(*s).
func (e *Encoder) NString(s *string) *Encoder {
	if s == nil {
		return e.write("NIL")
	}
	return e.String(*s)
}

// Literal writes a literal "{n}\r\n" followed by b.
func (e *Encoder) Literal(b []byte) *Encoder {
	e.write("{" + strconv.Itoa(len(b)) + "}\r\n")
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
	return e
}

// Literal8 writes a literal8 "~{n}\r\n" followed by b (RFC 3516).
func (e *Encoder) Literal8(b []byte) *Encoder {
	e.write("~")
	return e.Literal(b)
}

// LiteralFrom writes a literal of exactly n bytes read from r ("~{n}" when
// binary), streaming. If r ends early the encoder's error becomes
// io.ErrUnexpectedEOF: the response is then broken and the connection must
// be closed.
func (e *Encoder) LiteralFrom(n int64, r io.Reader, binary bool) *Encoder {
	if binary {
		e.write("~")
	}
	e.write("{" + strconv.FormatInt(n, 10) + "}\r\n")
	if e.err != nil {
		return e
	}
	w, err := io.CopyN(e.w, r, n)
	if err != nil {
		if err == io.EOF && w < n {
			err = io.ErrUnexpectedEOF
		}
		e.err = err
	}
	return e
}

// Mailbox writes a mailbox name: INBOX as an atom, others encoded in
// modified UTF-7 (or kept as UTF-8 in UTF-8 mode) as an atom when possible,
// else a quoted string or a literal.
func (e *Encoder) Mailbox(name string) *Encoder {
	if eqFold(name, "INBOX") {
		return e.write("INBOX")
	}
	if !e.utf8 {
		name = EncodeMUTF7(name)
	}
	if isAtomString(name) {
		return e.write(name)
	}
	return e.String(name)
}

// isAtomString reports whether s can be sent as an astring atom without
// being mistaken for NIL.
func isAtomString(s string) bool {
	if s == "" || eqFold(s, "NIL") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAstringChar(s[i]) {
			return false
		}
	}
	return true
}

// Flags writes a parenthesised flag list: "(\Seen foo)".
func (e *Encoder) Flags(flags []string) *Encoder {
	e.Open()
	for i, f := range flags {
		if i > 0 {
			e.SP()
		}
		e.write(f)
	}
	return e.Close()
}

// DateTime writes an RFC 9051 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz",
// quoted, with the day padded with a space.
func (e *Encoder) DateTime(t time.Time) *Encoder {
	return e.write(`"` + t.Format("_2-Jan-2006 15:04:05 -0700") + `"`)
}

// Flush flushes buffered output and returns the sticky error.
func (e *Encoder) Flush() error {
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err == nil && e.under != nil {
		e.err = e.under.Flush()
	}
	return e.err
}

// Err returns the sticky error.
func (e *Encoder) Err() error { return e.err }

// SetWriter makes the encoder write to w from now on, keeping its sticky
// error and settings. A server uses it to lend an idle connection's
// buffer to others: it must only be called after Flush and outside a
// Batch. With a nil w the encoder must not be written to until the next
// SetWriter.
func (e *Encoder) SetWriter(w *bufio.Writer) { e.w = w }
