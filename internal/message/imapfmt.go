package message

import (
	"strconv"
	"strings"
)

// The IMAP forms of ENVELOPE, BODY and BODYSTRUCTURE (RFC 9051 §7.5.2 and
// the §9 grammar "envelope" and "body"), written as Dovecot 2.3 writes
// them: type, subtype and parameter names as they appear in the header;
// text parts without a charset parameter get ("charset" "us-ascii")
// appended; a multipart without parts is described as one empty
// text/plain part; sender and reply-to default to from.

// appendString appends s as an IMAP string (RFC 9051 §4.3): a quoted
// string with \ and " escaped, or a literal when s contains CR, LF, NUL or
// 8-bit bytes, more than four characters to escape, or is long.
func appendString(b []byte, s string) []byte {
	lit := len(s) > 4096
	escapes := 0
	for i := 0; i < len(s) && !lit; i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			// Dovecot's imap_append_nstring: more than four characters
			// to escape make a literal.
			escapes++
		}
		lit = c == '\r' || c == '\n' || c == 0 || c >= 0x80 || escapes > 4
	}
	if lit {
		return appendLiteral(b, s)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendHuman appends a subject or display name as Dovecot does for text
// meant for humans: runs of white space (including line breaks) become
// one space, leading and trailing white space goes; the result is a
// literal when that changed anything or when it holds '"', '\\' or 8-bit
// bytes, else a quoted string.
func appendHuman(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "NIL"...)
	}
	h := strings.Join(strings.FieldsFunc(*s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}), " ")
	if h == "" {
		return append(b, `""`...) // only white space: Dovecot writes ""
	}
	lit := h != *s || strings.ContainsAny(h, `"\`)
	for i := 0; i < len(h) && !lit; i++ {
		lit = h[i] >= 0x80 || h[i] == 0
	}
	if !lit {
		return appendString(b, h)
	}
	return appendLiteral(b, h)
}

// appendLiteral appends s as a literal. NUL is not allowed in a literal
// (RFC 9051 §4.3: CHAR8 excludes it), so NULs become 0x80, as Dovecot's
// header parser does.
func appendLiteral(b []byte, s string) []byte {
	b = append(b, '{')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "}\r\n"...)
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			b = append(b, 0x80)
		} else {
			b = append(b, s[i])
		}
	}
	return b
}

// appendNString appends NIL for nil, else the string.
func appendNString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "NIL"...)
	}
	return appendString(b, *s)
}

// AppendEnvelope appends the ENVELOPE of RFC 9051 §7.5.2 — date, subject,
// from, sender, reply-to, to, cc, bcc, in-reply-to, message-id — as the
// session writes it after "ENVELOPE ". A nil env is a message without
// any of these fields.
func AppendEnvelope(b []byte, env *Envelope) []byte {
	if env == nil {
		env = &Envelope{}
	}
	b = append(b, '(')
	b = appendNString(b, env.Date)
	b = append(b, ' ')
	b = appendHuman(b, env.Subject)
	sender, replyTo := env.Sender, env.ReplyTo
	// RFC 9051 §7.5.2: "If the Sender or Reply-To lines are absent in the
	// [RFC-5322] header, or are present but empty, the server sets the
	// corresponding member of the envelope to be the same value as the
	// from member".
	if len(sender) == 0 {
		sender = env.From
	}
	if len(replyTo) == 0 {
		replyTo = env.From
	}
	for _, l := range [][]Address{env.From, sender, replyTo, env.To, env.Cc, env.Bcc} {
		b = append(b, ' ')
		b = appendAddressList(b, l)
	}
	b = append(b, ' ')
	b = appendNString(b, env.InReplyTo)
	b = append(b, ' ')
	b = appendNString(b, env.MessageID)
	return append(b, ')')
}

func appendAddressList(b []byte, l []Address) []byte {
	if len(l) == 0 {
		return append(b, "NIL"...)
	}
	b = append(b, '(')
	for _, a := range l {
		b = append(b, '(')
		b = appendHuman(b, a.Name)
		b = append(b, ' ')
		b = appendNString(b, a.Route)
		b = append(b, ' ')
		b = appendNString(b, a.Mailbox)
		b = append(b, ' ')
		b = appendNString(b, a.Host)
		b = append(b, ')')
	}
	return append(b, ')')
}

// Dovecot's description of a multipart without parts.
const (
	emptyBody          = `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0)`
	emptyBodyStructure = `("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL)`
)

// AppendBodyStructure appends the body structure of p (RFC 9051 §7.5.2,
// §9 "body"): with extension data for BODYSTRUCTURE (extended=true), without
// for BODY.
func AppendBodyStructure(b []byte, p *Part, extended bool) []byte {
	return appendBody(b, p, extended, 0)
}

func appendBody(b []byte, p *Part, extended bool, depth int) []byte {
	if p == nil || depth > 2*maxDepth+2 {
		if extended {
			return append(b, emptyBodyStructure...)
		}
		return append(b, emptyBody...)
	}
	b = append(b, '(')
	if p.Multipart {
		if len(p.Parts) == 0 {
			if extended {
				b = append(b, emptyBodyStructure...)
			} else {
				b = append(b, emptyBody...)
			}
		}
		for _, c := range p.Parts {
			b = appendBody(b, c, extended, depth+1)
		}
		b = append(b, ' ')
		b = appendString(b, p.Subtype)
		if extended {
			// body-ext-mpart: params, disposition, language, location.
			b = append(b, ' ')
			b = appendParams(b, p.Params, false)
			b = appendExt(b, p)
		}
		return append(b, ')')
	}
	// body-type-1part: body-fields = params, id, description, encoding, size.
	text := strings.EqualFold(p.Type, "text")
	plain := depth == 0 && plainASCII7bit(p)
	if plain {
		// Dovecot writes the RFC 2045 §5.2 default in its own spelling,
		// for a single-part message only.
		b = append(b, `"text" "plain" ("charset" "us-ascii")`...)
	} else {
		b = appendString(b, p.Type)
		b = append(b, ' ')
		b = appendString(b, p.Subtype)
		b = append(b, ' ')
		b = appendParams(b, p.Params, text)
	}
	b = append(b, ' ')
	b = appendNString(b, p.ID)
	b = append(b, ' ')
	b = appendNString(b, p.Description)
	b = append(b, ' ')
	if plain {
		b = append(b, `"7bit"`...)
	} else {
		// As written, like the type and the parameters.
		b = appendString(b, p.Encoding)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, p.BodyEnd-p.BodyOffset, 10)
	switch {
	case p.Message != nil:
		// body-type-msg: envelope, body, lines.
		b = append(b, ' ')
		b = AppendEnvelope(b, p.Message.Envelope)
		b = append(b, ' ')
		b = appendBody(b, p.Message, extended, depth+1)
		b = append(b, ' ')
		b = strconv.AppendInt(b, p.Lines, 10)
	case text:
		// body-type-text: lines.
		b = append(b, ' ')
		b = strconv.AppendInt(b, p.Lines, 10)
	}
	if extended {
		// body-ext-1part: md5, disposition, language, location.
		b = append(b, ' ')
		b = appendNString(b, p.MD5)
		b = appendExt(b, p)
	}
	return append(b, ')')
}

// plainASCII7bit reports a text/plain; charset=us-ascii part in 7bit
// with no other MIME field: what Dovecot describes in the canonical
// spelling (its message_part_data_is_plain_7bit) when it is a whole
// single-part message.
func plainASCII7bit(p *Part) bool {
	if !strings.EqualFold(p.Type, "text") || !strings.EqualFold(p.Subtype, "plain") ||
		!strings.EqualFold(p.Encoding, "7bit") || len(p.Params) > 1 ||
		p.ID != nil || p.Description != nil || p.MD5 != nil || p.Disposition != nil ||
		len(p.Language) > 0 || p.Location != nil {
		return false
	}
	return len(p.Params) == 0 ||
		strings.EqualFold(p.Params[0].Name, "charset") && strings.EqualFold(p.Params[0].Value, "us-ascii")
}

// appendExt appends " disposition language location".
func appendExt(b []byte, p *Part) []byte {
	b = append(b, ' ')
	if p.Disposition == nil {
		b = append(b, "NIL"...)
	} else {
		b = append(b, '(')
		b = appendString(b, *p.Disposition)
		b = append(b, ' ')
		b = appendParams(b, p.DispParams, false)
		b = append(b, ')')
	}
	b = append(b, ' ')
	if len(p.Language) == 0 {
		b = append(b, "NIL"...)
	} else {
		b = append(b, '(')
		for i, l := range p.Language {
			if i > 0 {
				b = append(b, ' ')
			}
			b = appendString(b, l)
		}
		b = append(b, ')')
	}
	b = append(b, ' ')
	return appendNString(b, p.Location)
}

// appendParams appends a body-fld-param: NIL or ("name" "value" ...);
// defaultCharset adds ("charset" "us-ascii") when no charset is given
// (RFC 2045 §5.2, as Dovecot does for text parts).
func appendParams(b []byte, params []Param, defaultCharset bool) []byte {
	if len(params) == 0 && !defaultCharset {
		return append(b, "NIL"...)
	}
	b = append(b, '(')
	seen := false
	for i, prm := range params {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendString(b, prm.Name)
		b = append(b, ' ')
		b = appendString(b, prm.Value)
		if strings.EqualFold(prm.Name, "charset") {
			seen = true
		}
	}
	if defaultCharset && !seen {
		if len(params) > 0 {
			b = append(b, ' ')
		}
		b = append(b, `"charset" "us-ascii"`...)
	}
	return append(b, ')')
}
