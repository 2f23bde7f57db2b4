// Package message is Petrel's message model: it parses an RFC 5322 / MIME
// message once, streaming, and keeps everything FETCH and SEARCH need —
// the MIME tree with byte offsets of every part's header and body, the
// ENVELOPE and BODYSTRUCTURE data (RFC 9051 §7.5.2), decoded sizes for
// BINARY.SIZE (RFC 3516), a PREVIEW (RFC 8970) and the decoded text that
// SEARCH BODY/TEXT match against. It does no I/O beyond the reader it is
// given and knows nothing of sessions or storage.
package message

import (
	"errors"
)

// ErrNoPart is returned by FindPart for a part path that does not exist.
var ErrNoPart = errors.New("message: no such part")

// Message is a parsed message.
type Message struct {
	Size int64 // total bytes read
	Root *Part
	// Preview is the RFC 8970 preview text (at most 200 characters).
	Preview string

	// searchBody is the decoded text for SEARCH; kept from Parse only.
	searchBody string
}

// Part is one MIME entity. Offsets are absolute byte offsets from the
// start of the message; HeaderOffset..BodyOffset is the part's header
// including the blank line that ends it, BodyOffset..BodyEnd its body.
type Part struct {
	HeaderOffset, BodyOffset, BodyEnd int64
	Lines                             int64 // LFs in the body (see parse.go); sent for text/*, message/rfc822
	DecodedSize                       int64 // body size after Content-Transfer-Encoding decoding; -1 unknown CTE
	// Fields from the MIME headers (the first of duplicates), as written.
	// Without Content-Type the type is text/plain (RFC 2045 §5.2; the
	// charset=us-ascii default is added when formatting), message/rfc822
	// in a multipart/digest (RFC 2046 §5.1.5); without
	// Content-Transfer-Encoding, Encoding is "7bit" (RFC 2045 §6.1). A
	// broken Content-Type gives what Dovecot reports ("foo" → "foo"/"").
	Type, Subtype string
	Params        []Param
	ID            *string
	Description   *string
	Encoding      string
	MD5           *string
	Disposition   *string
	DispParams    []Param
	Language      []string
	Location      *string
	// Multipart is true for type multipart; Parts then holds its
	// children — none when the boundary is missing or empty or the
	// nesting (100) or part (10000) limit is reached, as in Dovecot.
	Multipart bool
	// Parts are the children of a multipart.
	Parts []*Part
	// Message is the enclosed message of message/rfc822 (or
	// message/global, RFC 9051 §9 media-message): its header starts at
	// this part's BodyOffset and it ends at this part's BodyEnd. It is nil
	// beyond the nesting limit.
	Message *Part
	// Envelope is set on the root part and on each enclosed message root.
	Envelope *Envelope
}

// Param is a MIME parameter (RFC 2045 §5.1) as BODYSTRUCTURE sends it:
// name as written, RFC 2231 §3 continuations joined (RFC 2231 §6), and an
// RFC 2231 §4 extended value kept encoded under the name with a trailing
// "*" (e.g. "filename*" = "utf-8”%C3%A9.txt"), as Dovecot does. Use
// ParamValue for the decoded UTF-8 value.
type Param struct{ Name, Value string }

// Envelope is the ENVELOPE of RFC 9051 §7.5.2. Nil pointers are NIL.
type Envelope struct {
	Date, Subject                      *string
	From, Sender, ReplyTo, To, Cc, Bcc []Address
	InReplyTo, MessageID               *string
}

// Address is one element of an address list: a mailbox, or a group start
// (Host nil, Mailbox = group name) or group end (all nil), RFC 9051 §7.5.2.
type Address struct {
	Name, Route, Mailbox, Host *string
}

// SearchBody returns the decoded text of the message's text/* leaf parts
// (transfer encoding removed, converted to UTF-8, HTML tags stripped) and
// the headers of enclosed messages (as SearchHeader formats them), in
// order, one part per line, capped at 2 MiB, for SEARCH BODY and TEXT
// (RFC 9051 §6.4.4). It is kept only by Parse: an unmarshalled Message
// returns "".
func (m *Message) SearchBody() string { return m.searchBody }

// FindPart resolves a section part path (RFC 9051 §6.4.5) to a part: the
// empty path is the whole message; part 1 of a non-multipart message is
// its body (the root part itself); for a message/rfc822 part, further
// numbers address the parts of the enclosed message. It returns ErrNoPart
// when the path does not exist.
func (m *Message) FindPart(path []int) (*Part, error) {
	if m == nil || m.Root == nil {
		return nil, ErrNoPart
	}
	cur := m.Root
	inMessage := true // cur is the root of a message
	for i, n := range path {
		if i > 0 && !cur.Multipart {
			if cur.Message == nil {
				return nil, ErrNoPart
			}
			cur, inMessage = cur.Message, true
		}
		switch {
		case cur.Multipart && len(cur.Parts) == 0 && n == 1:
			// A multipart without parts is described as one empty
			// text/plain part (as Dovecot does); its section 1 is empty.
			cur = &Part{HeaderOffset: cur.BodyEnd, BodyOffset: cur.BodyEnd, BodyEnd: cur.BodyEnd,
				Type: "text", Subtype: "plain", Encoding: "7bit"}
		case cur.Multipart:
			if n < 1 || n > len(cur.Parts) {
				return nil, ErrNoPart
			}
			cur = cur.Parts[n-1]
		case inMessage && n == 1:
			// RFC 9051 §6.4.5: part 1 of a non-multipart message is its body.
		default:
			return nil, ErrNoPart
		}
		inMessage = false
	}
	return cur, nil
}
