package message

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// Charset conversion (RFC 2046 §4.1.2 charset parameter) and RFC 2047
// encoded-word decoding.

// lookupCharset returns the decoder for a charset name, or nil when the
// bytes are to be kept as they are (UTF-8, US-ASCII or unknown).
func lookupCharset(name string) *encoding.Decoder {
	name = strings.ToLower(strings.TrimSpace(name))
	switch name {
	case "", "us-ascii", "ascii", "utf-8", "utf8", "unknown-8bit", "x-unknown":
		return nil
	}
	e, err := htmlindex.Get(name)
	if err != nil || e == nil {
		e, err = ianaindex.MIME.Encoding(name)
		if err != nil || e == nil {
			return nil
		}
	}
	return e.NewDecoder()
}

// toUTF8 converts b from charset to UTF-8; unknown charsets and
// conversion errors keep the bytes as they are.
func toUTF8(charset string, b []byte) string {
	d := lookupCharset(charset)
	if d == nil {
		return string(b)
	}
	out, err := d.Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// maxEncodedWord bounds the encoded text of one encoded-word.
const maxEncodedWord = 4096

// DecodeWords decodes the RFC 2047 encoded-words in a header value to
// UTF-8 (§2: "=?charset?B|Q?text?="; the charset may carry an RFC 2231
// "*language" suffix). Like mail readers, encoded-words are recognised
// anywhere in the value, and white space between two adjacent
// encoded-words is dropped (RFC 2047 §6.2). Malformed words are kept.
func DecodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	pendingWS := ""
	lastWasWord := false
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			b.WriteString(pendingWS)
			b.WriteString(s)
			break
		}
		text, ok, n := decodeWord(s[i:])
		if !ok {
			b.WriteString(pendingWS)
			pendingWS = ""
			b.WriteString(s[:i+2])
			s = s[i+2:]
			lastWasWord = false
			continue
		}
		before := s[:i]
		if !(lastWasWord && strings.Trim(before, " \t\r\n") == "") {
			b.WriteString(pendingWS)
			b.WriteString(before)
		}
		pendingWS = ""
		b.WriteString(text)
		s = s[i+n:]
		lastWasWord = true
		// Hold white space that follows: dropped if another word follows.
		j := 0
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n') {
			j++
		}
		pendingWS, s = s[:j], s[j:]
	}
	return b.String()
}

// decodeWord decodes one encoded-word at the start of s, returning the
// text, whether it was well formed and the bytes it used.
func decodeWord(s string) (string, bool, int) {
	// =?charset?enc?text?=
	rest := s[2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 > 64 {
		return "", false, 0 // no charset name is that long
	}
	if q1 <= 0 || q1+2 >= len(rest) || rest[q1+2] != '?' {
		return "", false, 0
	}
	charset := rest[:q1]
	enc := rest[q1+1]
	body := rest[q1+3:]
	// Encoded-words are short (RFC 2047 §2: 75 characters; mailers
	// exceed that, so allow more): a bounded window keeps the scan of a
	// value full of "=?" linear.
	if len(body) > maxEncodedWord {
		body = body[:maxEncodedWord]
	}
	end := strings.Index(body, "?=")
	if end < 0 {
		return "", false, 0
	}
	text := body[:end]
	// No white space inside an encoded-word (RFC 2047 §5).
	if strings.ContainsAny(text, " \t\r\n") || strings.ContainsAny(charset, " \t\r\n") {
		return "", false, 0
	}
	if k := strings.IndexByte(charset, '*'); k >= 0 {
		charset = charset[:k] // RFC 2231 §5 language
	}
	var raw []byte
	switch enc {
	case 'B', 'b':
		t := strings.TrimRight(text, "=")
		var err error
		raw, err = base64.RawStdEncoding.DecodeString(t)
		if err != nil {
			return "", false, 0
		}
	case 'Q', 'q':
		raw = make([]byte, 0, len(text))
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case c == '_':
				raw = append(raw, ' ')
			case c == '=' && i+2 < len(text)+0 && isHex(text[i+1]) && isHex(text[i+2]):
				raw = append(raw, unhex(text[i+1])<<4|unhex(text[i+2]))
				i += 2
			default:
				raw = append(raw, c)
			}
		}
	default:
		return "", false, 0
	}
	out := toUTF8(charset, raw)
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, "\uFFFD")
	}
	return out, true, 2 + q1 + 3 + end + 2
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
