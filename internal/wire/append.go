package wire

import (
	"errors"
	"io"
	"time"

	"petrel.dev/petrel/internal/imap"
)

// APPEND (RFC 9051 §6.3.12), MULTIAPPEND (RFC 3502) and literal8 (RFC 3516).
//
//	append = "APPEND" SP mailbox 1*append-message    ; RFC 3502 §6
//	append-message = [SP flag-list] [SP date-time] SP (literal / literal8)
//
// ReadCommand stops after the mailbox name. The session then loops:
// ReadAppendMessage reads a message's flags, date and literal header;
// AppendBody (or RejectAppend) consumes its literal; ReadAppendMessage
// returns (nil, nil) when the line ends. Messages stream to storage: the
// decoder never holds a message body.

func parseAppend(d *Decoder, c *imap.Command) error {
	if err := d.sp(); err != nil {
		return err
	}
	mbox, err := d.mailbox()
	if err != nil {
		return err
	}
	c.Args = &imap.AppendArgs{Mailbox: mbox}
	d.appending, d.msgs, d.msg, d.body = true, 0, nil, nil
	return nil
}

// errAppendState reports a session calling the APPEND methods out of order.
var errAppendState = errors.New("wire: APPEND methods called out of order")

// ReadAppendMessage reads "[SP flag-list] [SP date-time] SP literal-header"
// of the next message of the current APPEND and returns its description;
// it returns (nil, nil) when the command line ends after at least one
// message. A message larger than MaxAppend gives *Error NO [TOOBIG] (for a
// synchronizing literal before any continuation is sent).
func (d *Decoder) ReadAppendMessage() (*imap.AppendMessage, error) {
	if !d.appending || d.msg != nil {
		return nil, errAppendState
	}
	if d.body != nil {
		if err := d.drainBody(); err != nil {
			return nil, d.fail(err)
		}
	}
	msg, err := d.appendMessage()
	if err != nil {
		return nil, d.fail(err)
	}
	if msg == nil {
		d.appending = false
	}
	return msg, nil
}

func (d *Decoder) appendMessage() (*imap.AppendMessage, error) {
	if eol, err := d.atEOL(); err != nil {
		return nil, err
	} else if eol {
		if d.msgs == 0 {
			return nil, bad("APPEND needs a message literal after the mailbox name")
		}
		return nil, d.crlf()
	}
	if err := d.sp(); err != nil {
		return nil, err
	}
	msg := &imap.AppendMessage{}
	ch, err := d.peek()
	if err != nil {
		return nil, err
	}
	if ch == '(' {
		if msg.Flags, err = d.flagList(false); err != nil {
			return nil, err
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		if ch, err = d.peek(); err != nil {
			return nil, err
		}
	}
	if ch == '"' {
		if msg.Date, err = d.dateTime(); err != nil {
			return nil, err
		}
		if err := d.sp(); err != nil {
			return nil, err
		}
		if ch, err = d.peek(); err != nil {
			return nil, err
		}
	}
	if ch == '~' {
		msg.Binary = true
		if err := d.consume(); err != nil {
			return nil, err
		}
	} else if ch != '{' {
		return nil, bad("expected the message literal in APPEND, got %q", ch)
	}
	n, sync, err := d.literalHeader()
	if err != nil {
		return nil, err
	}
	msg.Size = n
	if n > d.lim.MaxAppend {
		e := d.refuseLiteral(n, sync, &Error{Kind: "NO", Code: "TOOBIG",
			Text: "message of " + itoa64(n) + " bytes exceeds the APPENDLIMIT of " + itoa64(d.lim.MaxAppend) + " bytes"})
		return nil, e
	}
	d.msg, d.msgSync = msg, sync
	return msg, nil
}

// AppendBody returns a reader of exactly msg.Size bytes of the current
// message's literal; for a synchronizing literal it first sends the
// continuation. The session reads it to EOF; an early end of the
// connection gives io.ErrUnexpectedEOF.
func (d *Decoder) AppendBody() (io.Reader, error) {
	if d.msg == nil {
		return nil, errAppendState
	}
	if d.msgSync {
		if err := d.cont("Ready for literal data"); err != nil {
			return nil, err
		}
	}
	d.body = &bodyReader{r: d.r, n: d.msg.Size}
	d.msg = nil
	d.msgs++
	return d.body, nil
}

// AppendSync reports whether the current message's literal is
// synchronizing: the client sends it only after AppendBody's continuation
// request, so refusing it first saves the transfer.
func (d *Decoder) AppendSync() bool { return d.msg != nil && d.msgSync }

// RejectAppend is called instead of AppendBody when the session refuses the
// current message. For a synchronizing literal the client has sent nothing
// and the command is over; a non-synchronizing literal and the rest of the
// command are read and discarded, unless the literal is too large to skip,
// which gives a Fatal *Error.
func (d *Decoder) RejectAppend() error {
	if d.msg == nil {
		return errAppendState
	}
	msg, sync := d.msg, d.msgSync
	d.msg, d.appending = nil, false
	if sync {
		d.done = true
		return nil
	}
	if e := d.refuseLiteral(msg.Size, false, &Error{Kind: "NO", Code: "TOOBIG",
		Text: "message too large to skip; closing the connection", Tag: d.tag}); e.Fatal {
		return e
	}
	return d.skipRest()
}

// SkipCommand discards the rest of the current command: the unread part of
// an APPEND body, then non-synchronizing literals up to the end of the
// command; at a synchronizing literal header the command ends.
func (d *Decoder) SkipCommand() error {
	if d.body != nil {
		if err := d.drainBody(); err != nil {
			return err
		}
	}
	if d.msg != nil {
		return d.RejectAppend()
	}
	d.appending = false
	return d.skipRest()
}

// drainBody discards what the session left unread of a message body.
func (d *Decoder) drainBody() error {
	b := d.body
	d.body = nil
	_, err := io.Copy(io.Discard, b)
	return err
}

// bodyReader reads exactly n bytes of a literal.
type bodyReader struct {
	r io.Reader
	n int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	if err == io.EOF {
		if b.n > 0 {
			return n, io.ErrUnexpectedEOF
		}
		err = nil
	}
	return n, err
}

// dateTime reads RFC 9051 date-time = DQUOTE date-day-fixed "-" date-month
// "-" date-year SP time SP zone DQUOTE.
func (d *Decoder) dateTime() (time.Time, error) {
	if err := d.expect('"', "date-time"); err != nil {
		return time.Time{}, err
	}
	day, err := d.dateText(true)
	if err != nil {
		return time.Time{}, err
	}
	if err := d.expect(' ', "space before time"); err != nil {
		return time.Time{}, err
	}
	var hms [3]int
	for i := range hms {
		if i > 0 {
			if err := d.expect(':', `":" in time`); err != nil {
				return time.Time{}, err
			}
		}
		s, err := d.token(isDigit, "time")
		if err != nil {
			return time.Time{}, err
		}
		if len(s) != 2 {
			return time.Time{}, bad("invalid time: expected hh:mm:ss")
		}
		hms[i] = int(s[0]-'0')*10 + int(s[1]-'0')
	}
	if hms[0] > 23 || hms[1] > 59 || hms[2] > 60 {
		return time.Time{}, bad("invalid time of day")
	}
	if err := d.expect(' ', "space before time zone"); err != nil {
		return time.Time{}, err
	}
	sign, err := d.peek()
	if err != nil {
		return time.Time{}, err
	}
	if sign != '+' && sign != '-' {
		return time.Time{}, bad(`invalid time zone: expected "+hhmm" or "-hhmm"`)
	}
	if err := d.consume(); err != nil {
		return time.Time{}, err
	}
	z, err := d.token(isDigit, "time zone")
	if err != nil {
		return time.Time{}, err
	}
	if len(z) != 4 {
		return time.Time{}, bad(`invalid time zone: expected "+hhmm" or "-hhmm"`)
	}
	zh, zm := int(z[0]-'0')*10+int(z[1]-'0'), int(z[2]-'0')*10+int(z[3]-'0')
	if zm > 59 {
		return time.Time{}, bad("invalid time zone minutes")
	}
	off := (zh*60 + zm) * 60
	if sign == '-' {
		off = -off
	}
	if err := d.expect('"', "closing quote of date-time"); err != nil {
		return time.Time{}, err
	}
	loc := time.FixedZone("", off)
	if off == 0 {
		loc = time.UTC
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hms[0], hms[1], min(hms[2], 59), 0, loc), nil
}
