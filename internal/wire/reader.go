package wire

// Implementation notes (the lexical layer of the decoder).
//
// The decoder reads straight from the client's bufio.Reader, one byte at a
// time for the command line, so nothing is read ahead of the current
// command. Every non-literal byte of a command counts against
// Limits.MaxLine; literals count against MaxLiteral and MaxCommand and are
// read in chunks as they arrive (bytes.Buffer growth), never allocated from
// the client's announced size.
//
// After a protocol error the rest of the command is skipped (skipRest): the
// line is read up to LF without being stored; when it ends with a
// non-synchronizing literal header "{n+}" the literal is discarded and the
// next line is skipped too; when it ends with a synchronizing literal "{n}"
// the command is over, since the client waits for a continuation we will not
// send (RFC 9051 §7.5). Bare LF is accepted as a line end (RFC 2683 §3.2.2
// advises robustness).
//
// Quoted strings may carry 8-bit bytes (RFC 9051 §9 QUOTED-CHAR admits
// UTF-8; rev1 clients sometimes send other charsets in SEARCH): they are
// passed on as sent, and mailbox names are then checked as modified UTF-7
// or, in UTF8=ACCEPT mode, as UTF-8.

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// Character classes of RFC 9051 §9.

// isAtomChar: ATOM-CHAR = <any CHAR except atom-specials>;
// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
// quoted-specials / resp-specials.
func isAtomChar(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '{', '%', '*', '"', '\\', ']':
		return false
	}
	return true
}

// isAstringChar: ASTRING-CHAR = ATOM-CHAR / resp-specials.
func isAstringChar(c byte) bool { return isAtomChar(c) || c == ']' }

// isTagChar: tag = 1*<any ASTRING-CHAR except "+">.
func isTagChar(c byte) bool { return isAstringChar(c) && c != '+' }

// isListChar: list-char = ATOM-CHAR / list-wildcards / resp-specials.
func isListChar(c byte) bool { return isAstringChar(c) || c == '%' || c == '*' }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isSeqChar: the characters of a sequence-set (RFC 9051 §9) and "$".
func isSeqChar(c byte) bool { return isDigit(c) || c == ':' || c == ',' || c == '*' || c == '$' }

func isEOL(c byte) bool { return c == '\r' || c == '\n' }

// peek returns the next byte without consuming it.
func (d *Decoder) peek() (byte, error) {
	b, err := d.r.Peek(1)
	if err != nil {
		return 0, d.ioErr(err)
	}
	return b[0], nil
}

// ioErr turns an EOF in the middle of a command into io.ErrUnexpectedEOF.
func (d *Decoder) ioErr(err error) error {
	if err == io.EOF && d.lineLen > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}

// next consumes one byte of the command line, enforcing MaxLine.
func (d *Decoder) next() (byte, error) {
	if d.lineLen >= d.lim.MaxLine {
		return 0, tooBig("command line too long (limit %d bytes, not counting literals)", d.lim.MaxLine)
	}
	c, err := d.r.ReadByte()
	if err != nil {
		return 0, d.ioErr(err)
	}
	d.lineLen++
	return c, nil
}

// expect consumes c or fails with a BAD naming what was expected.
func (d *Decoder) expect(c byte, what string) error {
	got, err := d.peek()
	if err != nil {
		return err
	}
	if got != c {
		if isEOL(got) {
			return bad("missing %s", what)
		}
		return bad("expected %s, got %q", what, got)
	}
	_, err = d.next()
	return err
}

// sp consumes one space.
func (d *Decoder) sp() error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	if c != ' ' {
		if isEOL(c) {
			return bad("missing arguments")
		}
		return bad("expected a single space, got %q", c)
	}
	_, err = d.next()
	return err
}

// atEOL reports whether the command line ends here.
func (d *Decoder) atEOL() (bool, error) {
	c, err := d.peek()
	if err != nil {
		return false, err
	}
	return isEOL(c), nil
}

// crlf consumes the end of the command line; the command is then over.
func (d *Decoder) crlf() error {
	c, err := d.peek()
	if err != nil {
		return err
	}
	if c == '\r' {
		if _, err := d.next(); err != nil {
			return err
		}
		if c, err = d.peek(); err != nil {
			return err
		}
		if c != '\n' {
			return bad("CR not followed by LF")
		}
	}
	if c != '\n' {
		if c == ' ' {
			return bad("unexpected extra arguments")
		}
		return bad("expected end of line, got %q", c)
	}
	if _, err := d.r.ReadByte(); err != nil {
		return d.ioErr(err)
	}
	d.done = true
	return nil
}

// token reads 1 or more bytes accepted by ok. what names the token in errors.
func (d *Decoder) token(ok func(byte) bool, what string) (string, error) {
	var b []byte
	for {
		c, err := d.peek()
		if err != nil {
			return "", err
		}
		if !ok(c) {
			break
		}
		if _, err := d.next(); err != nil {
			return "", err
		}
		b = append(b, c)
	}
	if len(b) == 0 {
		c, _ := d.peek()
		if isEOL(c) {
			return "", bad("missing %s", what)
		}
		return "", bad("expected %s, got %q", what, c)
	}
	return string(b), nil
}

// atom reads an RFC 9051 atom.
func (d *Decoder) atom(what string) (string, error) { return d.token(isAtomChar, what) }

// quoted reads a quoted string; only \\ and \" are valid escapes.
func (d *Decoder) quoted() (string, error) {
	if err := d.expect('"', "quoted string"); err != nil {
		return "", err
	}
	var b []byte
	for {
		c, err := d.peek()
		if err != nil {
			return "", err
		}
		if isEOL(c) || c == 0 {
			return "", bad("unterminated quoted string (or CR, LF or NUL inside it)")
		}
		if _, err := d.next(); err != nil {
			return "", err
		}
		switch c {
		case '"':
			return string(b), nil
		case '\\':
			e, err := d.peek()
			if err != nil {
				return "", err
			}
			if e != '\\' && e != '"' {
				return "", bad(`invalid escape in quoted string: only \\ and \" are allowed`)
			}
			if _, err := d.next(); err != nil {
				return "", err
			}
			b = append(b, e)
		default:
			b = append(b, c)
		}
	}
}

// number64 reads 1*DIGIT as an unsigned number no larger than limit.
func (d *Decoder) number64(what string, limit uint64) (uint64, error) {
	s, err := d.token(isDigit, what)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > limit {
		return 0, bad("%s %.24s is too large (max %d)", what, s, limit)
	}
	return n, nil
}

// number reads an RFC 9051 number (32 bits).
func (d *Decoder) number(what string) (uint32, error) {
	n, err := d.number64(what, 1<<32-1)
	return uint32(n), err
}

// nzNumber reads an RFC 9051 nz-number.
func (d *Decoder) nzNumber(what string) (uint32, error) {
	n, err := d.number(what)
	if err == nil && n == 0 {
		return 0, bad("%s must not be 0", what)
	}
	return n, err
}

// maxNumber64 is the largest number64 (RFC 9051 §9: 0 <= n <= 9,223,372,036,854,775,807).
const maxNumber64 = 1<<63 - 1

// literalHeader reads "{n}" or "{n+}" and the line end after it; the
// leading "~" of a literal8 has been consumed by the caller.
func (d *Decoder) literalHeader() (n int64, sync bool, err error) {
	if err := d.expect('{', "literal"); err != nil {
		return 0, false, err
	}
	u, err := d.number64("literal size", maxNumber64)
	if err != nil {
		return 0, false, err
	}
	sync = true
	if c, err := d.peek(); err != nil {
		return 0, false, err
	} else if c == '+' {
		sync = false
		if err := d.consume(); err != nil {
			return 0, false, err
		}
	}
	if err := d.expect('}', `"}" after literal size`); err != nil {
		return 0, false, err
	}
	if err := d.crlf(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return 0, false, bad("a literal header must end the line")
		}
		return 0, false, err
	}
	d.done = false
	return int64(u), sync, nil
}

// literal reads a literal (header and data) within the non-APPEND limits.
func (d *Decoder) literal() ([]byte, error) {
	n, sync, err := d.literalHeader()
	if err != nil {
		return nil, err
	}
	if n > d.lim.MaxLiteral || d.litBytes+n > d.lim.MaxCommand {
		return nil, d.refuseLiteral(n, sync, tooBig("literal of %d bytes is too large (limit %d per literal, %d per command)",
			n, d.lim.MaxLiteral, d.lim.MaxCommand))
	}
	if sync {
		if err := d.cont("Ready for literal data"); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, d.r, n); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	d.litBytes += n
	return buf.Bytes(), nil
}

// refuseLiteral handles a literal the server will not accept. For a
// synchronizing literal the client sends nothing more: the command is over.
// A non-synchronizing one is read and discarded, unless it is absurdly
// large: then e becomes Fatal.
func (d *Decoder) refuseLiteral(n int64, sync bool, e *Error) *Error {
	if sync {
		d.done = true
		return e
	}
	if n > d.lim.discardCap() {
		e.Fatal = true
		d.done = true
		return e
	}
	if _, err := io.CopyN(io.Discard, d.r, n); err != nil {
		e.Fatal = true
		d.done = true
	}
	return e
}

// literal8Next reports whether the input continues with "~{" (a literal8
// header, RFC 3516) rather than an atom starting with "~".
func (d *Decoder) literal8Next() bool {
	b, err := d.r.Peek(2)
	return err == nil && b[0] == '~' && b[1] == '{'
}

// str reads an RFC 9051 string: quoted or literal.
func (d *Decoder) str(what string) (string, error) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	switch c {
	case '"':
		return d.quoted()
	case '{':
		b, err := d.literal()
		return string(b), err
	case '~':
		if d.literal8Next() {
			return "", bad("literal8 is only allowed in APPEND")
		}
	}
	if isEOL(c) {
		return "", bad("missing %s", what)
	}
	return "", bad("expected %s (a quoted string or a literal), got %q", what, c)
}

// astring reads an RFC 9051 astring: 1*ASTRING-CHAR / string.
func (d *Decoder) astring(what string) (string, error) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	if c == '"' || c == '{' || (c == '~' && d.literal8Next()) {
		return d.str(what)
	}
	return d.token(isAstringChar, what)
}

// nstring reads NIL or a string; nil means NIL.
func (d *Decoder) nstring(what string) (*string, error) {
	c, err := d.peek()
	if err != nil {
		return nil, err
	}
	if c == 'N' || c == 'n' {
		a, err := d.atom(what)
		if err != nil {
			return nil, err
		}
		if !eqFold(a, "NIL") {
			return nil, bad("expected %s (a string or NIL), got %q", what, a)
		}
		return nil, nil
	}
	s, err := d.str(what)
	return &s, err
}

// skipRest discards the rest of the current command, as described in the
// notes above. It returns a Fatal *Error when a non-synchronizing literal is
// too large to skip, or an I/O error.
func (d *Decoder) skipRest() error {
	if d.done {
		return nil
	}
	d.done = true
	var tail []byte
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return err
		}
		d.lineLen++
		if c != '\n' {
			if len(tail) == 32 {
				copy(tail, tail[16:])
				tail = tail[:16]
			}
			tail = append(tail, c)
			continue
		}
		n, sync, ok := trailingLiteral(tail)
		tail = tail[:0]
		if !ok || sync {
			return nil
		}
		if n > d.lim.discardCap() {
			return &Error{Kind: "BAD", Code: "TOOBIG", Text: "literal too large to skip; closing the connection", Fatal: true}
		}
		if _, err := io.CopyN(io.Discard, d.r, n); err != nil {
			return err
		}
	}
}

// trailingLiteral reports whether a line (without LF) ends with a literal
// header "{n}" or "{n+}" (optionally followed by CR).
func trailingLiteral(line []byte) (n int64, sync, ok bool) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) < 3 || line[len(line)-1] != '}' {
		return 0, false, false
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return 0, false, false
	}
	num := line[open+1 : len(line)-1]
	sync = true
	if len(num) > 0 && num[len(num)-1] == '+' {
		sync = false
		num = num[:len(num)-1]
	}
	if len(num) == 0 {
		return 0, false, false
	}
	for _, c := range num {
		if !isDigit(c) {
			return 0, false, false
		}
	}
	v, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return 1<<63 - 1, sync, true // absurd: makes the caller fail
	}
	return v, sync, true
}

// readRawLine reads one line without its line end, keeping at most max
// bytes; a longer line is read to its end and reported with tooLong.
func (d *Decoder) readRawLine(max int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := d.r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > max+2 {
				tooLong = true
				line = nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && (len(line) > 0 || len(chunk) > 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, false, err
		}
		break
	}
	if tooLong {
		return nil, true, nil
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > max {
		return nil, true, nil
	}
	return line, false, nil
}

// eqFold compares ASCII strings case-insensitively.
func eqFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if upper(a[i]) != upper(b[i]) {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// toUpper upper-cases ASCII letters only.
func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = upper(c)
	}
	return string(b)
}

// validUTF8 reports whether s is valid UTF-8 without NUL.
func validUTF8(s string) bool {
	return utf8.ValidString(s) && !bytes.Contains([]byte(s), []byte{0})
}
