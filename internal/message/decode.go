package message

import (
	"errors"
	"io"
	"strings"
)

// Content-Transfer-Encoding decoding (RFC 2045 §6). The decoders are
// push-style state machines so that the parser can count decoded sizes
// (RFC 3516 BINARY.SIZE) and collect search text in its single pass; the
// io.Reader of NewDecoder drives the same machines.

// ErrUnknownCTE is returned by NewDecoder for a Content-Transfer-Encoding
// it does not know (RFC 3516 §4.3: the server answers [UNKNOWN-CTE]).
var ErrUnknownCTE = errors.New("message: unknown content-transfer-encoding")

// cteDecoder decodes a stream pushed to it in arbitrary chunks.
type cteDecoder interface {
	// decode appends the decoding of src to dst.
	decode(dst, src []byte) []byte
	// flush appends whatever is held back at the end of input.
	flush(dst []byte) []byte
}

// newCTEDecoder returns the decoder for encoding (case-insensitive), or
// nil for an unknown encoding.
func newCTEDecoder(encoding string) cteDecoder {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "7bit", "8bit", "binary":
		return identityDecoder{}
	case "base64":
		return &base64Decoder{}
	case "quoted-printable":
		return &qpDecoder{}
	}
	return nil
}

type identityDecoder struct{}

func (identityDecoder) decode(dst, src []byte) []byte { return append(dst, src...) }
func (identityDecoder) flush(dst []byte) []byte       { return dst }

// base64Decoder is lenient like Dovecot's: bytes outside the base64
// alphabet (line breaks, white space, garbage) are skipped, "=" padding
// ends a quantum and decoding resumes at the next alphabet character
// (concatenated base64 bodies), and a trailing partial quantum yields the
// bytes it fully encodes.
type base64Decoder struct {
	acc uint32
	n   int // sextets in acc
}

var b64val = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alpha); i++ {
		t[alpha[i]] = int8(i)
	}
	return t
}()

func (d *base64Decoder) decode(dst, src []byte) []byte {
	for _, c := range src {
		if c == '=' {
			dst = d.flush(dst)
			continue
		}
		v := b64val[c]
		if v < 0 {
			continue
		}
		d.acc = d.acc<<6 | uint32(v)
		d.n++
		if d.n == 4 {
			dst = append(dst, byte(d.acc>>16), byte(d.acc>>8), byte(d.acc))
			d.acc, d.n = 0, 0
		}
	}
	return dst
}

func (d *base64Decoder) flush(dst []byte) []byte {
	switch d.n {
	case 2:
		dst = append(dst, byte(d.acc>>4))
	case 3:
		dst = append(dst, byte(d.acc>>10), byte(d.acc>>2))
	}
	d.acc, d.n = 0, 0
	return dst
}

// qpDecoder decodes quoted-printable (RFC 2045 §6.7): "=XX" escapes,
// soft line breaks ("=" at the end of a line, transport padding allowed
// after it) and removal of trailing white space on each line. Malformed
// escapes are kept literally. Hard line breaks keep their form (CRLF or LF).
type qpDecoder struct {
	state int    // qpNormal, ...
	hi    byte   // first hex digit in qpEq2
	ws    []byte // pending white space (dropped at end of line)
	cr    bool   // a CR is pending
}

const (
	qpNormal = iota
	qpEq1    // after "="
	qpEq2    // after "=X"
	qpSoftWS // after "=" and white space
)

// maxQPWhitespace bounds the white space held back; longer runs are not
// trailing padding in any practical sense and are written out.
const maxQPWhitespace = 4096

func (d *qpDecoder) decode(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if d.cr && c != '\n' {
			// Bare CR: keep it as data.
			d.cr = false
			dst = d.emitData(dst, '\r')
		}
		switch d.state {
		case qpNormal:
			switch c {
			case '=':
				// White space before "=" is data, not trailing white
				// space, also before a soft line break ("PV: =").
				dst = append(dst, d.ws...)
				d.ws = d.ws[:0]
				d.state = qpEq1
			case ' ', '\t':
				if len(d.ws) >= maxQPWhitespace {
					dst = append(dst, d.ws...)
					d.ws = d.ws[:0]
				}
				d.ws = append(d.ws, c)
			case '\r':
				d.cr = true
			case '\n':
				d.ws = d.ws[:0]
				if d.cr {
					dst = append(dst, '\r')
				}
				d.cr = false
				dst = append(dst, '\n')
			default:
				dst = d.emitData(dst, c)
			}
		case qpEq1:
			switch {
			case isHex(c):
				d.hi, d.state = c, qpEq2
			case c == '\r':
				d.state = qpSoftWS
				d.cr = true
			case c == '\n':
				d.state = qpNormal // soft line break
			case c == ' ' || c == '\t':
				d.state = qpSoftWS
			default:
				d.state = qpNormal
				dst = d.emitData(dst, '=')
				i-- // reprocess c
			}
		case qpEq2:
			d.state = qpNormal
			if isHex(c) {
				dst = d.emitData(dst, unhex(d.hi)<<4|unhex(c))
			} else {
				dst = d.emitData(dst, '=')
				dst = d.emitData(dst, d.hi)
				i--
			}
		case qpSoftWS:
			switch c {
			case ' ', '\t':
			case '\r':
				d.cr = true
			case '\n':
				d.cr = false
				d.state = qpNormal // soft line break
			default:
				d.state = qpNormal
				d.cr = false
				dst = d.emitData(dst, '=')
				i--
			}
		}
	}
	return dst
}

// emitData writes a data byte, preceded by the pending white space.
func (d *qpDecoder) emitData(dst []byte, c byte) []byte {
	dst = append(dst, d.ws...)
	d.ws = d.ws[:0]
	return append(dst, c)
}

func (d *qpDecoder) flush(dst []byte) []byte {
	switch d.state {
	case qpEq1:
		dst = d.emitData(dst, '=')
	case qpEq2:
		dst = d.emitData(dst, '=')
		dst = d.emitData(dst, d.hi)
	}
	if d.cr && d.state == qpNormal {
		dst = d.emitData(dst, '\r')
	}
	d.state, d.cr, d.ws = qpNormal, false, d.ws[:0]
	return dst
}

// NewDecoder returns a reader of the body r decoded by its
// Content-Transfer-Encoding: 7bit, 8bit and binary (and no encoding) are
// the identity, base64 is decoded leniently (white space and garbage
// skipped, like Dovecot), quoted-printable per RFC 2045 §6.7. Any other
// encoding gives ErrUnknownCTE.
func NewDecoder(encoding string, r io.Reader) (io.Reader, error) {
	d := newCTEDecoder(encoding)
	if d == nil {
		return nil, ErrUnknownCTE
	}
	if _, ok := d.(identityDecoder); ok {
		return r, nil
	}
	return &decodeReader{r: r, d: d, in: make([]byte, 32*1024)}, nil
}

type decodeReader struct {
	r   io.Reader
	d   cteDecoder
	in  []byte
	out []byte // decoded, not yet read
	err error
}

// Read implements io.Reader.
func (dr *decodeReader) Read(p []byte) (int, error) {
	for len(dr.out) == 0 {
		if dr.err != nil {
			return 0, dr.err
		}
		n, err := dr.r.Read(dr.in)
		dr.out = dr.d.decode(dr.out[:0], dr.in[:n])
		if err != nil {
			if err == io.EOF {
				dr.out = dr.d.flush(dr.out)
			}
			dr.err = err
		}
	}
	n := copy(p, dr.out)
	dr.out = dr.out[n:]
	return n, nil
}
