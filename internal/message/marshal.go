package message

import (
	"encoding/binary"
	"errors"
)

// Storage encoding of a Message: a version byte, then varints and
// length-prefixed strings in a fixed order (see encPart). Nil pointers
// and empty slices are distinguished by a presence byte / a count; empty
// slices decode as nil (Parse never produces empty non-nil slices).
//
// Version 2 puts the IMAP forms of ENVELOPE, BODY and BODYSTRUCTURE first
// (three length-prefixed strings), so that FETCH of those items reads them
// with Forms and decodes nothing; the rest is version 1's encoding.
// Version 1 data (stored before) still decodes.

const (
	marshalVersion1 = 1
	marshalVersion  = 2
)

// ErrCorrupt is returned by Unmarshal for data Marshal did not produce.
var ErrCorrupt = errors.New("message: corrupt encoded message")

// Marshal encodes m compactly for storage; Unmarshal reverses it. The
// search text is not included.
func (m *Message) Marshal() []byte {
	e := &encoder{b: make([]byte, 0, 1024)}
	e.b = append(e.b, marshalVersion)
	var env []byte
	if m.Root != nil {
		env = AppendEnvelope(nil, m.Root.Envelope)
	}
	e.str(string(env))
	e.str(string(AppendBodyStructure(nil, m.Root, false)))
	e.str(string(AppendBodyStructure(nil, m.Root, true)))
	e.varint(m.Size)
	e.str(m.Preview)
	e.part(m.Root)
	return e.b
}

type encoder struct{ b []byte }

func (e *encoder) varint(v int64) { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) uvarint(v int)  { e.b = binary.AppendUvarint(e.b, uint64(v)) }

func (e *encoder) str(s string) {
	e.uvarint(len(s))
	e.b = append(e.b, s...)
}

func (e *encoder) nstr(s *string) {
	if s == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.str(*s)
}

func (e *encoder) params(ps []Param) {
	e.uvarint(len(ps))
	for _, p := range ps {
		e.str(p.Name)
		e.str(p.Value)
	}
}

func (e *encoder) addrs(as []Address) {
	e.uvarint(len(as))
	for _, a := range as {
		e.nstr(a.Name)
		e.nstr(a.Route)
		e.nstr(a.Mailbox)
		e.nstr(a.Host)
	}
}

const (
	flagMultipart = 1 << iota
	flagMessage
	flagEnvelope
)

func (e *encoder) part(p *Part) {
	if p == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(p.HeaderOffset)
	e.varint(p.BodyOffset - p.HeaderOffset)
	e.varint(p.BodyEnd - p.BodyOffset)
	e.varint(p.Lines)
	e.varint(p.DecodedSize)
	e.str(p.Type)
	e.str(p.Subtype)
	e.params(p.Params)
	e.nstr(p.ID)
	e.nstr(p.Description)
	e.str(p.Encoding)
	e.nstr(p.MD5)
	e.nstr(p.Disposition)
	e.params(p.DispParams)
	e.uvarint(len(p.Language))
	for _, l := range p.Language {
		e.str(l)
	}
	e.nstr(p.Location)
	var flags byte
	if p.Multipart {
		flags |= flagMultipart
	}
	if p.Message != nil {
		flags |= flagMessage
	}
	if p.Envelope != nil {
		flags |= flagEnvelope
	}
	e.b = append(e.b, flags)
	e.uvarint(len(p.Parts))
	for _, c := range p.Parts {
		e.part(c)
	}
	if p.Message != nil {
		e.part(p.Message)
	}
	if env := p.Envelope; env != nil {
		e.nstr(env.Date)
		e.nstr(env.Subject)
		for _, l := range [][]Address{env.From, env.Sender, env.ReplyTo, env.To, env.Cc, env.Bcc} {
			e.addrs(l)
		}
		e.nstr(env.InReplyTo)
		e.nstr(env.MessageID)
	}
}

// Unmarshal decodes what Marshal produced. Corrupt input gives ErrCorrupt
// (or an error wrapping it), never a panic.
func Unmarshal(b []byte) (*Message, error) {
	if len(b) == 0 || (b[0] != marshalVersion && b[0] != marshalVersion1) {
		return nil, ErrCorrupt
	}
	d := &decoder{b: b[1:]}
	if b[0] == marshalVersion {
		d.bytes() // the IMAP forms, see Forms
		d.bytes()
		d.bytes()
	}
	m := &Message{}
	m.Size = d.varint()
	m.Preview = d.str()
	m.Root = d.part(0)
	if d.err != nil || len(d.b) != 0 {
		return nil, ErrCorrupt
	}
	return m, nil
}

// Forms returns the IMAP forms of the ENVELOPE, BODY and BODYSTRUCTURE
// (RFC 9051 §7.5.2) of a message that Marshal encoded, without decoding
// the rest. ok is false for version 1 data, for which callers use
// Unmarshal and AppendEnvelope/AppendBodyStructure.
func Forms(b []byte) (envelope, body, bodyStructure []byte, ok bool) {
	if len(b) == 0 || b[0] != marshalVersion {
		return nil, nil, nil, false
	}
	d := &decoder{b: b[1:]}
	envelope, body, bodyStructure = d.bytes(), d.bytes(), d.bytes()
	return envelope, body, bodyStructure, d.err == nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() { d.err = ErrCorrupt; d.b = nil }

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in the remaining bytes (each
// element takes at least one byte).
func (d *decoder) count() int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 || v > uint64(len(d.b)-n) {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) str() string {
	n := d.count()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// bytes is str without a copy: the result aliases the input.
func (d *decoder) bytes() []byte {
	n := d.count()
	if d.err != nil {
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) nstr() *string {
	switch d.byte() {
	case 0:
		return nil
	case 1:
		s := d.str()
		return &s
	}
	d.fail()
	return nil
}

func (d *decoder) params() []Param {
	n := d.count()
	if n == 0 {
		return nil
	}
	ps := make([]Param, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ps = append(ps, Param{Name: d.str(), Value: d.str()})
	}
	return ps
}

func (d *decoder) addrs() []Address {
	n := d.count()
	if n == 0 {
		return nil
	}
	as := make([]Address, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		as = append(as, Address{Name: d.nstr(), Route: d.nstr(), Mailbox: d.nstr(), Host: d.nstr()})
	}
	return as
}

func (d *decoder) part(depth int) *Part {
	if d.byte() == 0 || d.err != nil {
		return nil
	}
	if depth > 2*maxDepth+2 {
		d.fail()
		return nil
	}
	p := &Part{}
	p.HeaderOffset = d.varint()
	p.BodyOffset = p.HeaderOffset + d.varint()
	p.BodyEnd = p.BodyOffset + d.varint()
	p.Lines = d.varint()
	p.DecodedSize = d.varint()
	p.Type = d.str()
	p.Subtype = d.str()
	p.Params = d.params()
	p.ID = d.nstr()
	p.Description = d.nstr()
	p.Encoding = d.str()
	p.MD5 = d.nstr()
	p.Disposition = d.nstr()
	p.DispParams = d.params()
	if n := d.count(); n > 0 {
		p.Language = make([]string, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			p.Language = append(p.Language, d.str())
		}
	}
	p.Location = d.nstr()
	flags := d.byte()
	p.Multipart = flags&flagMultipart != 0
	if n := d.count(); n > 0 {
		p.Parts = make([]*Part, 0, n)
		for i := 0; i < n && d.err == nil; i++ {
			c := d.part(depth + 1)
			if c == nil {
				d.fail()
				break
			}
			p.Parts = append(p.Parts, c)
		}
	}
	if flags&flagMessage != 0 {
		if p.Message = d.part(depth + 1); p.Message == nil {
			d.fail()
		}
	}
	if flags&flagEnvelope != 0 {
		env := &Envelope{Date: d.nstr(), Subject: d.nstr()}
		for _, l := range []*[]Address{&env.From, &env.Sender, &env.ReplyTo, &env.To, &env.Cc, &env.Bcc} {
			*l = d.addrs()
		}
		env.InReplyTo = d.nstr()
		env.MessageID = d.nstr()
		p.Envelope = env
	}
	if d.err != nil {
		return nil
	}
	return p
}

// FormsOf is Forms for data of any version Marshal ever produced: for
// version 1 data, stored before the forms were, it decodes the model and
// formats them (RFC 9051 §7.5.2). Corrupt data gives ErrCorrupt.
func FormsOf(b []byte) (envelope, body, bodyStructure []byte, err error) {
	if envelope, body, bodyStructure, ok := Forms(b); ok {
		return envelope, body, bodyStructure, nil
	}
	m, err := Unmarshal(b)
	if err != nil {
		return nil, nil, nil, err
	}
	if m.Root != nil {
		envelope = AppendEnvelope(nil, m.Root.Envelope)
	} else {
		envelope = AppendEnvelope(nil, nil)
	}
	return envelope, AppendBodyStructure(nil, m.Root, false), AppendBodyStructure(nil, m.Root, true), nil
}
