package message

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"sync"
)

// Implementation notes for the streaming parser.
//
// The input is read once, line by line, through a 64 KiB bufio.Reader;
// longer lines arrive as fragments, and only a fragment that starts a line
// can be a header line start, a blank line or a boundary. Memory is
// bounded: a header block is kept up to maxHeaderBytes (fields beyond are
// truncated, offsets stay exact), search text up to maxSearchBytes, and
// the tree to maxParts parts of at most maxDepth levels; beyond these
// limits the rest of an entity is an opaque body (Dovecot 2.3 has the same
// limits: max_nested_mime_parts=100, max_total_mime_parts=10000).
//
// Boundaries (RFC 2046 §5.1.1): a boundary line starts with "--" and a
// boundary of an enclosing multipart. Like Dovecot, the rest of the line
// is not checked (trailing white space and even garbage are allowed), and
// when several active boundaries match — nested boundaries that are
// prefixes of each other — the longest wins. The line break before a
// boundary line belongs to the boundary, so a body ends before it — but
// only a line break of body text (or preamble, epilogue): the line break
// ending a header or a boundary line stays where it is (so an enclosed
// message "From: a@b CRLF CRLF" before a boundary keeps its blank line,
// and one ending in "--inner-- CRLF" keeps that CRLF), as in Dovecot. A
// boundary line of an outer multipart ends every inner entity (missing
// closing boundaries). After a closing boundary "--b--" the boundary is no
// longer active and the rest up to an outer boundary is the epilogue.
//
// Lines (RFC 9051 §7.5.2 body-fld-lines): the number of LF characters in
// the body as delimited above — a body "a\r\nb" followed by a boundary has
// 1 line, a body "a\r\nb\r\n" at the end of the input has 2. This is what
// Dovecot reports (it counts LFs of the body; a final line without a line
// break is not counted).
//
// Duplicate header fields: for the MIME fields the first one wins, for the
// ENVELOPE string fields the last one, and repeated address fields (two
// Cc: lines) give all their addresses in order (all checked against
// Dovecot 2.3).
//
// MIME-Version (RFC 2045 §4): a message (or enclosed message) header with
// neither MIME-Version nor Content-Type is not MIME: its Content-* fields
// are ignored and it is text/plain in 7bit, as in Dovecot.

const (
	maxHeaderBytes = 256 << 10
	maxSearchBytes = 2 << 20
	maxDepth       = 100
	maxParts       = 10000
	readBufSize    = 64 << 10
	maxBoundaryLen = 1024
)

type parser struct {
	br *bufio.Reader

	off     int64 // offset of the next unconsumed byte
	lfCount int64 // LFs consumed so far

	// The current (peeked, not yet consumed) line or fragment.
	line        []byte
	have        bool
	atStart     bool // the current fragment starts a line
	nextAtStart bool // the next fragment starts a line
	prevCR      bool // the last consumed fragment ended in CR
	lastEOL     int  // length of the line break of the last consumed line
	eof         bool
	err         error

	boundaries []string // active boundaries, outermost first
	nparts     int

	hdr    []byte          // header scratch
	search strings.Builder // collected search text
	msg    *Message
}

// readers recycles Parse's read buffers: a 64 KiB buffer per message was
// most of the parser's allocation.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}

// Parse reads r to EOF and returns the message model. It never fails on
// malformed input (only on a read error): broken MIME is described as the
// reference implementation would.
func Parse(r io.Reader) (*Message, error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil)
		readers.Put(br)
	}()
	p := &parser{
		br:          br,
		nextAtStart: true,
		msg:         &Message{},
	}
	root := &Part{}
	p.parsePart(root, 0, false, true, false)
	for p.peek() { // nothing should be left, but never lose bytes
		p.consume()
	}
	if p.err != nil {
		return nil, p.err
	}
	p.msg.Root = root
	p.msg.Size = p.off
	p.msg.searchBody = p.search.String()
	return p.msg, nil
}

// peek makes the next fragment current; false at EOF or on a read error.
func (p *parser) peek() bool {
	if p.have {
		return true
	}
	if p.eof {
		return false
	}
	line, err := p.br.ReadSlice('\n')
	if err != nil && err != bufio.ErrBufferFull {
		p.eof = true
		if err != io.EOF {
			p.err = err
		}
		if len(line) == 0 {
			return false
		}
	}
	p.line = line
	p.have = true
	p.atStart = p.nextAtStart
	p.nextAtStart = line[len(line)-1] == '\n'
	return true
}

// consume accepts the current fragment.
func (p *parser) consume() {
	l := p.line
	p.off += int64(len(l))
	p.have = false
	switch {
	case bytes.HasSuffix(l, []byte("\r\n")):
		p.lastEOL = 2
	case l[len(l)-1] == '\n':
		p.lastEOL = 1
		if len(l) == 1 && p.prevCR {
			p.lastEOL = 2
		}
	default:
		p.lastEOL = 0
	}
	if p.lastEOL > 0 {
		p.lfCount++
	}
	p.prevCR = l[len(l)-1] == '\r'
}

// skipLineRest consumes the fragments that continue the line just consumed.
func (p *parser) skipLineRest() {
	for p.peek() && !p.atStart {
		p.consume()
	}
}

// boundary reports whether the current fragment is a boundary line of one
// of the first limit active boundaries: the index of the longest match
// and whether it is a closing boundary.
func (p *parser) boundary(limit int) (idx int, closing bool) {
	idx = -1
	l := p.line
	if !p.atStart || len(l) < 3 || l[0] != '-' || l[1] != '-' || limit == 0 {
		return -1, false
	}
	best := -1
	for i := 0; i < limit; i++ {
		b := p.boundaries[i]
		if len(b) > best && bytes.HasPrefix(l[2:], []byte(b)) {
			idx, best = i, len(b)
		}
	}
	if idx >= 0 {
		closing = bytes.HasPrefix(l[2+best:], []byte("--"))
	}
	return idx, closing
}

// atBoundary reports whether the current fragment is any active boundary.
func (p *parser) atBoundary() bool {
	i, _ := p.boundary(len(p.boundaries))
	return i >= 0
}

// readHeader consumes a header block up to and including its blank line
// (or up to a boundary line or EOF) and returns it, truncated to
// maxHeaderBytes.
func (p *parser) readHeader() []byte {
	h := p.hdr[:0]
	for p.peek() {
		if p.atBoundary() {
			break
		}
		l := p.line
		if room := maxHeaderBytes - len(h); room > 0 {
			h = append(h, l[:min(room, len(l))]...)
		}
		blank := p.atStart && (len(l) == 1 && l[0] == '\n' || len(l) == 2 && l[0] == '\r' && l[1] == '\n')
		p.consume()
		p.lastEOL = 0 // a header line break never belongs to a boundary
		if blank {
			break
		}
	}
	p.hdr = h
	return h
}

// endPos returns where the current entity's body ends (before the line
// break preceding a boundary line, or at EOF) and its LF count.
func (p *parser) endPos(bodyStart, lfStart int64) (end, lines int64) {
	end, lf := p.off, p.lfCount
	if p.have && p.lastEOL > 0 {
		end -= int64(p.lastEOL)
		lf--
	}
	if end <= bodyStart {
		return bodyStart, 0
	}
	return end, lf - lfStart
}

// parsePart parses one entity (header and body) at the current position.
// isMessage marks a message root (which gets an Envelope); inMessage marks
// entities inside an enclosed message/rfc822 (no preview from there).
func (p *parser) parsePart(part *Part, depth int, digestChild, isMessage, inMessage bool) {
	p.nparts++
	part.HeaderOffset = p.off
	fields := splitFields(p.readHeader())
	allFields := fields
	part.BodyOffset = p.off
	lfStart := p.lfCount
	if isMessage && !hasMIMEHeader(fields) {
		// RFC 2045 §4: without MIME-Version a message is not MIME; like
		// Dovecot, its Content-* fields are then honoured only when it
		// has a Content-Type.
		fields = nil
	}
	applyMIME(part, fields, digestChild)
	if isMessage {
		part.Envelope = buildEnvelope(allFields)
		if depth > 0 {
			// An enclosed message's header is body text of the outer one.
			p.addSearchText(searchFields(allFields))
		}
	}
	attachment := part.Disposition != nil && strings.EqualFold(*part.Disposition, "attachment")
	canNest := depth < maxDepth && p.nparts < maxParts
	switch {
	case strings.EqualFold(part.Type, "multipart"):
		// Like Dovecot, a multipart without a usable boundary (or beyond
		// the limits) is a multipart without parts.
		part.Multipart = true
		if b := boundaryOf(part); b != "" && canNest {
			p.parseMultipart(part, b, depth, strings.EqualFold(part.Subtype, "digest"), inMessage)
		} else {
			p.skipToBoundary()
		}
	case canNest && isMessageType(part):
		// Dovecot parses the enclosed message whatever the (forbidden,
		// RFC 2046 §5.2.1) transfer encoding says; so do we.
		child := &Part{}
		p.parsePart(child, depth+1, false, true, true)
		part.Message = child
	default:
		p.parseLeaf(part, !inMessage && !attachment)
	}
	part.BodyEnd, part.Lines = p.endPos(part.BodyOffset, lfStart)
	// An empty entity ending at a boundary right after its header is
	// clamped to its body start, which may lie past the line break the
	// enclosing entity stops before: keep the enclosing end after it.
	if n := len(part.Parts); n > 0 && part.Parts[n-1].BodyEnd > part.BodyEnd {
		part.BodyEnd = part.Parts[n-1].BodyEnd
	}
	if part.Message != nil && part.Message.BodyEnd > part.BodyEnd {
		part.BodyEnd = part.Message.BodyEnd
	}
	if part.Multipart || part.Message != nil {
		part.DecodedSize = part.BodyEnd - part.BodyOffset
	}
}

// hasMIMEHeader reports whether a message header has MIME-Version or
// Content-Type.
func hasMIMEHeader(fields []field) bool {
	_, mv := firstValue(fields, "MIME-Version")
	_, ct := firstValue(fields, "Content-Type")
	return mv || ct
}

func isMessageType(part *Part) bool {
	return strings.EqualFold(part.Type, "message") &&
		(strings.EqualFold(part.Subtype, "rfc822") || strings.EqualFold(part.Subtype, "global"))
}

// boundaryOf returns the usable boundary parameter of a multipart.
func boundaryOf(part *Part) string {
	b, _ := ParamValue(part.Params, "boundary")
	if len(b) > maxBoundaryLen {
		return ""
	}
	return b
}

// parseMultipart parses the body of a multipart (RFC 2046 §5.1): the
// preamble, the body parts and the epilogue.
func (p *parser) parseMultipart(part *Part, boundary string, depth int, digest, inMessage bool) {
	my := len(p.boundaries)
	p.boundaries = append(p.boundaries, boundary)
	defer func() { p.boundaries = p.boundaries[:my] }()
	for p.peek() {
		idx, closing := p.boundary(my + 1)
		switch {
		case idx < 0:
			p.consume() // preamble, or junk
			continue
		case idx < my:
			return // an outer boundary: this multipart was not closed
		}
		p.consume()
		p.skipLineRest()
		hadEOL := p.lastEOL > 0
		p.lastEOL = 0 // nor does the line break of a boundary line
		if closing {
			break
		}
		if !hadEOL && !p.peek() {
			break // "--b" at EOF without a line break starts no part
		}
		if p.nparts >= maxParts {
			// Too many parts: the rest is an opaque body.
			p.boundaries = p.boundaries[:my]
			p.skipToBoundary()
			return
		}
		child := &Part{}
		p.parsePart(child, depth+1, digest, false, inMessage)
		part.Parts = append(part.Parts, child)
	}
	// Epilogue: up to an outer boundary or EOF.
	p.boundaries = p.boundaries[:my]
	p.skipToBoundary()
}

// skipToBoundary consumes lines up to an active boundary line or EOF.
func (p *parser) skipToBoundary() {
	for p.peek() && !p.atBoundary() {
		p.consume()
	}
}

// parseLeaf consumes a leaf body, computing its decoded size and
// collecting search text (and the preview) from text/* parts.
func (p *parser) parseLeaf(part *Part, previewOK bool) {
	s := leafSink{dec: newCTEDecoder(part.Encoding)}
	text := strings.EqualFold(part.Type, "text")
	if text && p.search.Len() < maxSearchBytes {
		s.collect = true
		s.limit = maxSearchBytes - p.search.Len()
	}
	var pending []byte // line break held back: it may belong to a boundary
	var pendBuf [2]byte
	for p.peek() && !p.atBoundary() {
		l := p.line
		content, eol := splitEOL(l)
		if len(content) == 0 && len(pending) == 1 && pending[0] == '\r' && len(eol) > 0 && eol[0] == '\n' {
			pending = append(pending, '\n')
		} else {
			s.feed(pending)
			s.feed(content)
			pending = append(pendBuf[:0], eol...)
		}
		p.consume()
	}
	if !p.have {
		s.feed(pending)
	}
	part.DecodedSize = s.finish()
	if s.collect {
		p.addText(part, s.text, previewOK)
	}
}

// splitEOL splits a fragment into content and its line break ("\r\n",
// "\n", or a trailing "\r" that may start one).
func splitEOL(l []byte) (content, eol []byte) {
	n := len(l)
	switch {
	case n >= 2 && l[n-2] == '\r' && l[n-1] == '\n':
		return l[:n-2], l[n-2:]
	case n >= 1 && (l[n-1] == '\n' || l[n-1] == '\r'):
		return l[:n-1], l[n-1:]
	}
	return l, nil
}

// leafSink decodes a leaf body as it streams by.
type leafSink struct {
	dec     cteDecoder // nil: unknown encoding
	size    int64
	scratch []byte
	collect bool
	limit   int
	text    []byte
}

func (s *leafSink) feed(b []byte) {
	if len(b) == 0 {
		return
	}
	out := b
	if s.dec != nil {
		out = s.dec.decode(s.scratch[:0], b)
		s.scratch = out[:0]
	}
	s.add(out)
}

func (s *leafSink) add(out []byte) {
	s.size += int64(len(out))
	if s.collect {
		if room := s.limit - len(s.text); room > 0 {
			s.text = append(s.text, out[:min(room, len(out))]...)
		}
	}
}

// finish flushes the decoder and returns the decoded size (-1 for an
// unknown encoding).
func (s *leafSink) finish() int64 {
	if s.dec == nil {
		return -1
	}
	s.add(s.dec.flush(s.scratch[:0]))
	return s.size
}

// applyMIME sets the MIME fields of part from its header, with the
// defaults of RFC 2045 §5.2 (text/plain; charset=us-ascii — the charset is
// added when formatting) and RFC 2046 §5.1.5 (message/rfc822 in a
// multipart/digest) and §6.1 (7bit).
func applyMIME(part *Part, fields []field, digestChild bool) {
	part.Type, part.Subtype = "text", "plain"
	if digestChild {
		part.Type, part.Subtype = "message", "rfc822"
	}
	if v, ok := firstValue(fields, "Content-Type"); ok {
		part.Type, part.Subtype, part.Params = parseContentType(v)
	}
	part.Encoding = "7bit"
	if v, ok := firstValue(fields, "Content-Transfer-Encoding"); ok {
		if t := parseToken(v); t != "" {
			part.Encoding = t
		}
	}
	part.ID = optValue(fields, "Content-ID")
	part.Description = optValue(fields, "Content-Description")
	part.MD5 = optValue(fields, "Content-MD5")
	part.Location = optValue(fields, "Content-Location")
	if v, ok := firstValue(fields, "Content-Disposition"); ok {
		if t, params, ok := parseDisposition(v); ok {
			part.Disposition, part.DispParams = &t, params
		}
	}
	if v, ok := firstValue(fields, "Content-Language"); ok {
		part.Language = parseLanguage(v)
	}
}

// optValue returns the first non-empty value of name, or nil.
func optValue(fields []field, name string) *string {
	if v, ok := firstValue(fields, name); ok && v != "" {
		return &v
	}
	return nil
}

// buildEnvelope collects the ENVELOPE fields (RFC 9051 §7.5.2) of a
// message header: strings raw (unfolded, not decoded; present but empty
// gives ""), addresses parsed (empty gives nil).
func buildEnvelope(fields []field) *Envelope {
	return &Envelope{
		Date:      lastValue(fields, "Date"),
		Subject:   lastValue(fields, "Subject"),
		From:      addrValue(fields, "From"),
		Sender:    addrValue(fields, "Sender"),
		ReplyTo:   addrValue(fields, "Reply-To"),
		To:        addrValue(fields, "To"),
		Cc:        addrValue(fields, "Cc"),
		Bcc:       addrValue(fields, "Bcc"),
		InReplyTo: lastValue(fields, "In-Reply-To"),
		MessageID: lastValue(fields, "Message-ID"),
	}
}

// lastValue returns the value of the last field called name, or nil.
func lastValue(fields []field, name string) *string {
	for i := len(fields) - 1; i >= 0; i-- {
		if strings.EqualFold(fields[i].name, name) {
			v := fields[i].value
			return &v
		}
	}
	return nil
}

// addrValue parses every field called name and joins the address lists:
// RFC 5322 §3.6 allows each address field once, but where a message has
// several, Dovecot reports all their addresses in order, and so do we.
func addrValue(fields []field, name string) []Address {
	var out []Address
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			out = append(out, parseAddressList(f.value)...)
		}
	}
	return out
}
