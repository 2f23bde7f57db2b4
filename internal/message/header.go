package message

import (
	"bytes"
	"strings"
)

// Header block handling: RFC 5322 §2.2 header fields ("name: value",
// folded over lines that start with white space, §2.2.3), lines ending in
// CRLF or a bare LF, 8-bit values (RFC 6532) kept as bytes.

// field is one header field: its name as written and its unfolded value.
type field struct {
	name  string
	value string
}

// splitFields returns the fields of a header block in order. Lines
// without a colon that are not continuations are skipped; a continuation
// before any field is ignored. Values are unfolded (RFC 5322 §2.2.3: the
// CRLF before the folding white space is removed); white space after the
// colon on the first line is removed, the rest kept (as Dovecot does, e.g.
// in Content-ID and In-Reply-To).
func splitFields(header []byte) []field {
	var fields []field
	var cur *field
	var val []byte
	flush := func() {
		if cur != nil {
			cur.value = string(val)
			fields = append(fields, *cur)
			cur = nil
		}
	}
	for len(header) > 0 {
		line := header
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i], header[i+1:]
		} else {
			header = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the blank line ending the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				val = append(val, line...)
			}
			continue
		}
		flush()
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			continue
		}
		name := bytes.TrimRight(line[:i], " \t")
		cur = &field{name: string(name)}
		// Like Dovecot, only the white space after the colon on the
		// first line goes: "In-Reply-To:\r\n\t<a@b>" is "\t<a@b>".
		val = append(val[:0], bytes.TrimLeft(line[i+1:], " \t")...)
	}
	flush()
	return fields
}

// firstValue returns the value of the first field called name.
func firstValue(fields []field, name string) (string, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f.value, true
		}
	}
	return "", false
}

// HeaderFields filters a header block (including its final blank line) to
// the fields whose names are in names (not=false) or not in names
// (not=true), compared case-insensitively, keeping folded continuation
// lines as they are, and ends the result with a blank CRLF line — RFC 9051
// §6.4.5 HEADER.FIELDS and HEADER.FIELDS.NOT. Lines are copied byte for
// byte; lines that are not fields (no colon) count as not matching.
func HeaderFields(header []byte, names []string, not bool) []byte {
	out := make([]byte, 0, 256)
	keep := false
	for len(header) > 0 {
		line := header
		if i := bytes.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i+1], header[i+1:]
		} else {
			header = nil
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		if line[0] != ' ' && line[0] != '\t' {
			in := false
			if i := bytes.IndexByte(line, ':'); i > 0 {
				name := bytes.TrimRight(line[:i], " \t")
				for _, n := range names {
					if strings.EqualFold(n, string(name)) {
						in = true
						break
					}
				}
				keep = in != not
			} else {
				keep = false
			}
		}
		if keep {
			out = append(out, line...)
			if line[len(line)-1] != '\n' {
				out = append(out, '\r', '\n')
			}
		}
	}
	return append(out, '\r', '\n')
}

// maxSearchHeader bounds the header bytes SEARCH looks at, like the
// parser's limit on what it keeps of a header block.
const maxSearchHeader = maxHeaderBytes

// HeaderValues returns the unfolded, RFC 2047-decoded values of every
// field named name (case-insensitively) in header, in order. Only the
// first 256 KiB of the header are examined.
func HeaderValues(header []byte, name string) []string {
	header = header[:min(len(header), maxSearchHeader)]
	var vals []string
	for _, f := range splitFields(header) {
		if strings.EqualFold(f.name, name) {
			vals = append(vals, DecodeWords(strings.TrimSpace(f.value)))
		}
	}
	return vals
}

// SearchHeader returns every field of a header block unfolded and with
// RFC 2047 encoded-words decoded to UTF-8, one "Name: value\n" per field,
// for SEARCH HEADER/TEXT (RFC 9051 §6.4.4). Only the first 256 KiB of the
// header are examined.
func SearchHeader(header []byte) string {
	header = header[:min(len(header), maxSearchHeader)]
	return searchFields(splitFields(header))
}

// searchFields formats fields as SearchHeader does.
func searchFields(fields []field) string {
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(f.name)
		b.WriteString(": ")
		b.WriteString(DecodeWords(f.value))
		b.WriteByte('\n')
	}
	return b.String()
}
