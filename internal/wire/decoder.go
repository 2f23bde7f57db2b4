package wire

import (
	"bufio"
	"errors"
	"fmt"
	"golang.org/x/text/unicode/norm"

	"petrel.dev/petrel/internal/imap"
)

// Decoder reads client commands from a connection (RFC 9051 §2.2.1, §9).
// It is not safe for concurrent use; a session owns one.
type Decoder struct {
	r    *bufio.Reader
	cont func(text string) error
	lim  Limits
	utf8 bool

	tag      string // tag of the current (or last) command
	lineLen  int    // non-literal bytes read of the current command
	litBytes int64  // literal bytes read of the current command
	done     bool   // the current command has been read to its end

	// APPEND state (see append.go).
	appending bool
	msgs      int                 // messages handed to the session so far
	msg       *imap.AppendMessage // header read, literal not yet consumed
	msgSync   bool                // msg's literal is synchronizing
	body      *bodyReader         // the current message's literal, given to the session
}

// NewDecoder returns a decoder reading from r. cont writes a continuation
// request "+ <text>\r\n" and flushes; it is called before reading a
// synchronizing literal.
func NewDecoder(r *bufio.Reader, cont func(text string) error, lim Limits) *Decoder {
	return &Decoder{r: r, cont: cont, lim: lim, done: true}
}

// SetLimits replaces the limits from the next read on.
func (d *Decoder) SetLimits(lim Limits) { d.lim = lim }

// SetUTF8 turns UTF-8 mailbox names on or off (IMAP4rev2, RFC 9051 §5.1;
// UTF8=ACCEPT, RFC 6855 §3): mailbox names are
// then UTF-8 rather than modified UTF-7.
func (d *Decoder) SetUTF8(on bool) { d.utf8 = on }

// ReadCommand reads and parses one whole command (including its literals).
// Errors are *Error for protocol errors, after which the rest of the
// offending command has been consumed (unless Fatal), or the underlying I/O
// error. For APPEND it returns after the mailbox name; the session then
// calls ReadAppendMessage until it returns (nil, nil), or SkipCommand to
// give up (ReadCommand skips an abandoned APPEND by itself).
func (d *Decoder) ReadCommand() (*imap.Command, error) {
	if d.appending || !d.done {
		// The session abandoned an APPEND (or a command) half way.
		if err := d.SkipCommand(); err != nil {
			return nil, err
		}
	}
	d.tag, d.lineLen, d.litBytes, d.done = "", 0, 0, false
	cmd, err := d.readCommand()
	if err == nil {
		return cmd, nil
	}
	return nil, d.fail(err)
}

// fail completes a protocol error: it stamps the tag and skips the rest of
// the command. I/O errors are returned as they are.
func (d *Decoder) fail(err error) error {
	d.appending = false
	d.msg = nil
	var e *Error
	if !errors.As(err, &e) {
		d.done = true
		return err
	}
	if e.Tag == "" {
		e.Tag = d.tag
	}
	if e.Kind == "" {
		e.Kind = "BAD"
	}
	if e.Fatal {
		d.done = true
		return e
	}
	if serr := d.skipRest(); serr != nil {
		var se *Error
		if errors.As(serr, &se) {
			e.Fatal = true
			e.Text += "; " + se.Text
		}
		// On an I/O error the response is still worth sending; the next
		// read reports the error.
	}
	if d.lineLen > d.lim.MaxLine && e.Code != "TOOBIG" && !e.Fatal {
		// The issue with an over-long line is its length, whatever else
		// was wrong in its first bytes.
		e.Code = "TOOBIG"
		e.Text = fmt.Sprintf("command line too long (limit %d bytes, not counting literals)", d.lim.MaxLine)
	}
	return e
}

func (d *Decoder) readCommand() (*imap.Command, error) {
	if _, err := d.peek(); err != nil {
		return nil, err
	}
	tag, err := d.token(isTagChar, "tag")
	if err != nil {
		return nil, bad("invalid or missing command tag")
	}
	d.tag = tag
	if err := d.sp(); err != nil {
		return nil, bad("invalid command tag or missing command name")
	}
	name, err := d.atom("command name")
	if err != nil {
		return nil, err
	}
	cmd := &imap.Command{Tag: tag, Name: toUpper(name)}
	if cmd.Name == "UID" {
		if err := d.sp(); err != nil {
			return nil, err
		}
		sub, err := d.atom("command name after UID")
		if err != nil {
			return nil, err
		}
		cmd.Name, cmd.UID = toUpper(sub), true
		if !uidCommands[cmd.Name] {
			return nil, bad("UID %s is not a command; UID takes COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE", cmd.Name)
		}
	}
	parse, ok := commands[cmd.Name]
	if !ok {
		return nil, bad("unknown command %.40s", cmd.Name)
	}
	if parse == nil {
		if cmd.Name == "EXPUNGE" && cmd.UID {
			parse = parseUIDExpunge
		} else {
			return cmd, d.crlf()
		}
	}
	if err := parse(d, cmd); err != nil {
		return nil, err
	}
	if cmd.Name == "APPEND" {
		return cmd, nil
	}
	return cmd, d.crlf()
}

// uidCommands are the commands that take the UID prefix (RFC 9051 §6.4.9,
// RFC 6851, RFC 4315).
var uidCommands = map[string]bool{
	"COPY": true, "MOVE": true, "FETCH": true, "SEARCH": true, "STORE": true, "EXPUNGE": true,
}

// commands maps a command name to its argument parser; nil means the command
// takes no arguments. The parser reads from the SP after the name up to, not
// including, the line end.
var commands map[string]func(d *Decoder, c *imap.Command) error

func init() {
	commands = map[string]func(d *Decoder, c *imap.Command) error{
		"CAPABILITY": nil, "NOOP": nil, "LOGOUT": nil, "STARTTLS": nil,
		"NAMESPACE": nil, "IDLE": nil, "CHECK": nil, "CLOSE": nil,
		"UNSELECT": nil, "EXPUNGE": nil,
		"AUTHENTICATE": parseAuthenticate,
		"LOGIN":        parseLogin,
		"ENABLE":       parseEnable,
		"SELECT":       parseSelect,
		"EXAMINE":      parseSelect,
		"CREATE":       parseCreate,
		"DELETE":       parseMailboxOnly,
		"SUBSCRIBE":    parseMailboxOnly,
		"UNSUBSCRIBE":  parseMailboxOnly,
		"RENAME":       parseRename,
		"LIST":         parseList,
		"LSUB":         parseLsub,
		"STATUS":       parseStatus,
		"APPEND":       parseAppend,
		"SEARCH":       parseSearch,
		"FETCH":        parseFetch,
		"STORE":        parseStore,
		"COPY":         parseCopy,
		"MOVE":         parseCopy,
		"ID":           parseID,
		"GETQUOTA":     parseGetQuota,
		"GETQUOTAROOT": parseMailboxOnly,
		"SETQUOTA":     parseSetQuota,
	}
}

// Buffered returns how many bytes the client has sent beyond what was
// read. After STARTTLS it must be 0: plaintext sent after the command and
// before the TLS handshake must not be executed (the STARTTLS command
// injection of CVE-2011-0411); the session closes the connection otherwise.
func (d *Decoder) Buffered() int {
	if d.r == nil {
		return 0
	}
	return d.r.Buffered()
}

// SetReader makes the decoder read from r from now on, keeping its state
// (limits, UTF-8 mode). It must only be called between commands, when
// the old reader holds no unread bytes (Buffered is 0): a server uses it
// to hand an idle connection's read buffer back to a pool and take one
// again when input arrives. With a nil r the decoder must not be read
// from until the next SetReader.
func (d *Decoder) SetReader(r *bufio.Reader) { d.r = r }

// ReadLine reads one raw line without its line end (AUTHENTICATE
// responses, IDLE's DONE), bounded by MaxLine: a longer line is discarded
// and reported as *Error with Code TOOBIG.
func (d *Decoder) ReadLine() (string, error) {
	line, tooLong, err := d.readRawLine(d.lim.MaxLine)
	if err != nil {
		return "", err
	}
	if tooLong {
		e := tooBig("line too long (limit %d bytes)", d.lim.MaxLine)
		e.Tag = d.tag
		return "", e
	}
	return string(line), nil
}

// seqSet reads a sequence-set or "$" (RFC 9051 §9, RFC 5182).
func (d *Decoder) seqSet() (imap.SeqSet, error) {
	s, err := d.token(isSeqChar, "sequence set")
	if err != nil {
		return imap.SeqSet{}, err
	}
	set, err := imap.ParseSeqSet(s)
	if err != nil {
		return imap.SeqSet{}, bad("invalid sequence set: %v", err)
	}
	if len(set.Ranges) > d.lim.MaxRanges {
		return imap.SeqSet{}, &Error{Kind: "BAD", Code: "TOOBIG",
			Text: "sequence set has too many ranges (limit " + itoa(d.lim.MaxRanges) + ")"}
	}
	return set, nil
}

// mailbox reads a mailbox name (RFC 9051 §9 mailbox = "INBOX" / astring):
// modified UTF-7 is decoded unless UTF8=ACCEPT is on, and INBOX in any case
// becomes "INBOX" (RFC 9051 §5.1).
func (d *Decoder) mailbox() (string, error) {
	name, err := d.mailboxText(isAstringChar, "mailbox name")
	if err != nil {
		return "", err
	}
	if eqFold(name, "INBOX") {
		return "INBOX", nil
	}
	return name, nil
}

// mailboxText reads an astring (or list-mailbox with isListChar) and
// decodes it as a mailbox name or pattern.
func (d *Decoder) mailboxText(ok func(byte) bool, what string) (string, error) {
	c, err := d.peek()
	if err != nil {
		return "", err
	}
	var raw string
	if c == '"' || c == '{' || (c == '~' && d.literal8Next()) {
		raw, err = d.str(what)
	} else {
		raw, err = d.token(ok, what)
	}
	if err != nil {
		return "", err
	}
	if len(raw) > d.lim.MaxMailboxName {
		return "", &Error{Kind: "BAD", Code: "TOOBIG",
			Text: what + " too long (limit " + itoa(d.lim.MaxMailboxName) + " bytes)"}
	}
	if d.utf8 {
		if !validUTF8(raw) {
			return "", bad("%s is not valid UTF-8", what)
		}
		// RFC 9051 §5.1: names are Net-Unicode; a denormalised name is
		// converted to NFC here, so every command sees the same name.
		return norm.NFC.String(raw), nil
	}
	name, err := DecodeMUTF7(raw)
	if err != nil {
		return "", bad("%s is not valid modified UTF-7 (RFC 3501 §5.1.3): %v", what, err)
	}
	return name, nil
}
