// Package message is Petrel's message model: it parses an RFC 5322 / MIME
// message once, streaming, and keeps everything FETCH and SEARCH need —
// the MIME tree with byte offsets of every part's header and body, the
// ENVELOPE and BODYSTRUCTURE data (RFC 9051 §7.5.2), decoded sizes for
// BINARY.SIZE (RFC 3516), a PREVIEW (RFC 8970) and the decoded text that
// SEARCH BODY/TEXT match against. It does no I/O beyond the reader it is
// given and knows nothing of sessions or storage.
package message

import (
	"io"
)

// Message is a parsed message.
type Message struct {
	Size int64 // total bytes read
	Root *Part
	// Preview is the RFC 8970 preview text (at most 200 characters).
	Preview string
}

// Part is one MIME entity. Offsets are absolute byte offsets from the
// start of the message; HeaderOffset..BodyOffset is the part's header
// including the blank line that ends it, BodyOffset..BodyEnd its body.
type Part struct {
	HeaderOffset, BodyOffset, BodyEnd int64
	Lines                             int64 // body line count (text/*, message/rfc822)
	DecodedSize                       int64 // body size after Content-Transfer-Encoding decoding; -1 unknown CTE
	// Fields from the MIME headers; defaults applied per RFC 2045 §5.2.
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
	// Parts are the children of a multipart.
	Parts []*Part
	// Message is the enclosed message of message/rfc822 (or
	// message/global): its header starts at this part's BodyOffset.
	Message *Part
	// Envelope is set on the root part and on each enclosed message root.
	Envelope *Envelope
}

// Param is a MIME parameter (RFC 2045, with RFC 2231 decoded).
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

// Parse reads r to EOF and returns the message model. It never fails on
// malformed input (only on a read error): broken MIME is described as the
// reference implementation would.
func Parse(r io.Reader) (*Message, error) {
	panic("message.Parse: being written")
}

// Marshal encodes m compactly for storage; Unmarshal reverses it.
func (m *Message) Marshal() []byte { panic("being written") }

// Unmarshal decodes what Marshal produced.
func Unmarshal(b []byte) (*Message, error) { panic("being written") }
