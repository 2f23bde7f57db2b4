package wire

// Modified UTF-7 mailbox names, RFC 3501 §5.1.3 (kept by RFC 9051 §5.1.3
// for clients that have not enabled UTF8=ACCEPT).
//
// Printable US-ASCII (0x20-0x7E) stands for itself, except "&", which is
// written "&-". Any other character is written as UTF-16BE in modified
// BASE64 (RFC 2152 with "," for "/" and no padding) between "&" and "-".
// The decoder is strict: it accepts only the one canonical encoding of a
// name, so a name has a single spelling on the wire. It rejects raw 8-bit
// and control bytes, unterminated shifts, encoded printable ASCII, two
// adjacent encoded runs (they must be merged), non-zero padding bits,
// odd-length UTF-16 and unpaired surrogates.

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

var mutf7Base64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").
	WithPadding(base64.NoPadding).Strict()

// EncodeMUTF7 encodes a UTF-8 mailbox name in modified UTF-7. Invalid
// UTF-8 sequences are encoded as U+FFFD.
func EncodeMUTF7(s string) string {
	var b strings.Builder
	var units []uint16
	flush := func() {
		if len(units) == 0 {
			return
		}
		raw := make([]byte, 0, 2*len(units))
		for _, u := range units {
			raw = append(raw, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(mutf7Base64.EncodeToString(raw))
		b.WriteByte('-')
		units = units[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		units = utf16.AppendRune(units, r)
	}
	flush()
	return b.String()
}

// DecodeMUTF7 decodes a modified UTF-7 mailbox name to UTF-8, strictly:
// anything but the canonical encoding is an error.
func DecodeMUTF7(s string) (string, error) {
	var b strings.Builder
	lastEncoded := false // the previous run was an encoded one ending right here
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", errors.New("raw 8-bit or control characters are not allowed")
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			lastEncoded = false
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errors.New(`"&" shift not terminated by "-"`)
		}
		enc := s[i+1 : i+1+end]
		i += end + 2
		if enc == "" {
			b.WriteByte('&')
			lastEncoded = false
			continue
		}
		if lastEncoded {
			return "", errors.New("adjacent encoded runs must be merged into one")
		}
		raw, err := mutf7Base64.DecodeString(enc)
		if err != nil {
			return "", errors.New("invalid modified base64 in encoded run")
		}
		if len(raw) == 0 || len(raw)%2 != 0 {
			return "", errors.New("encoded run is not whole UTF-16 characters")
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for k := 0; k < len(units); k++ {
			u := rune(units[k])
			var r rune
			switch {
			case utf16.IsSurrogate(u):
				if u >= 0xdc00 || k+1 == len(units) {
					return "", errors.New("unpaired UTF-16 surrogate")
				}
				r = utf16.DecodeRune(u, rune(units[k+1]))
				if r == utf8.RuneError {
					return "", errors.New("unpaired UTF-16 surrogate")
				}
				k++
			case u >= 0x20 && u <= 0x7e:
				return "", errors.New("printable US-ASCII must not be encoded")
			default:
				r = u
			}
			b.WriteRune(r)
		}
		lastEncoded = true
	}
	return b.String(), nil
}
