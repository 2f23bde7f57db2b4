package message

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// headerSeeds are header blocks for the header fuzz targets: folding,
// bare LF and CR, missing colons, continuation lines before any field,
// 8-bit and NUL bytes, encoded-words, a missing blank line.
var headerSeeds = []string{
	"",
	"\r\n",
	"Subject: x\r\n\r\n",
	"Subject: x\r\nTo: a@b\r\n\r\nbody",
	"Subject: a\r\n b\r\n\tc\r\nFrom: x@y\r\n\r\n",
	" leading continuation\r\nSubject: s\r\n\r\n",
	"no colon here\r\n continued\r\nSubject: s\r\n\r\n",
	"Subject: bare lf\nTo: t\n\n",
	"Subject: bare cr\rTo: t\r\n\r\n",
	"Subject: no end",
	"Subject: no blank line\r\n",
	":empty name\r\n\r\n",
	"Subject \t: spaced name\r\n\r\n",
	"Subject: =?utf-8?q?caf=C3=A9?= =?iso-8859-1?b?6Q==?=\r\n\r\n",
	"Subject: =?x?q?" + strings.Repeat("=", 40) + "?=\r\n\r\n",
	"Subject: \xff\xfe\x00nul\r\n\r\n",
	"Subject: caf\xc3\xa9 (RFC 6532)\r\n\r\n",
	"Subject: a\r\n\r\nSubject: after the blank line\r\n",
	"SUBJECT: upper\r\nsubject: lower\r\n\r\n",
	"Subject:\r\n\r\n",
	"Subject: " + strings.Repeat("=?", 200) + "\r\n\r\n",
}

// FuzzHeaderFields: HEADER.FIELDS and HEADER.FIELDS.NOT (RFC 9051
// §6.4.5) never panic, never output more than the input plus two CRLFs,
// and output a subsequence of the header's lines — whole lines, in order,
// only before the blank line — each run starting with a field whose name
// is (or, for NOT, is not) in the list, followed by a final blank CRLF
// line.
func FuzzHeaderFields(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s, "subject to", false)
		f.Add(s, "Subject", true)
	}
	f.Add("A: 1\r\nB: 2\r\n c\r\nA: 3\r\n\r\n", "a b", false)
	f.Add("A: 1\r\nB: 2\r\n c\r\nA: 3\r\n\r\n", "a", true)
	f.Fuzz(func(t *testing.T, header, names string, not bool) {
		list := strings.Fields(names)
		out := HeaderFields([]byte(header), list, not)
		if len(out) > len(header)+4 {
			t.Fatalf("%d bytes out of %d", len(out), len(header))
		}
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("output %q does not end with CRLF", out)
		}
		body := out[:len(out)-2]
		in := headerLines(header)
		j := 0 // next input line to match
		prevKept := -2
		for len(body) > 0 {
			i := bytes.IndexByte(body, '\n')
			if i < 0 {
				t.Fatalf("output line %q does not end with a line end", body)
			}
			line := string(body[:i+1])
			body = body[i+1:]
			for j < len(in) && in[j] != line && in[j]+"\r\n" != line {
				j++
			}
			if j == len(in) {
				t.Fatalf("output line %q is not a later input line; output %q", line, out)
			}
			if in[j] != line && (j != len(in)-1 || strings.HasSuffix(in[j], "\n")) {
				t.Fatalf("CRLF added to %q, which is not a last line without line end", in[j])
			}
			if j != prevKept+1 || (line[0] != ' ' && line[0] != '\t') {
				// A run of output lines starts with a field line.
				name, _, ok := strings.Cut(line, ":")
				if !ok || name == "" || line[0] == ' ' || line[0] == '\t' {
					t.Fatalf("output run starts with %q, not a field", line)
				}
				if inList(list, strings.TrimRight(name, " \t")) == not {
					t.Fatalf("field %q kept with names %q not=%v", line, list, not)
				}
			}
			prevKept = j
			j++
		}
	})
}

// headerLines splits a header block into its lines up to, not including,
// the blank line ending it; every line keeps its LF, the last one may
// have none.
func headerLines(header string) []string {
	var lines []string
	for len(header) > 0 {
		line := header
		if i := strings.IndexByte(header, '\n'); i >= 0 {
			line, header = header[:i+1], header[i+1:]
		} else {
			header = ""
		}
		if strings.TrimRight(line, "\r\n") == "" {
			break
		}
		lines = append(lines, line)
	}
	return lines
}

// inList reports whether name is in list, case-insensitively.
func inList(list []string, name string) bool {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// FuzzHeaderValues: HeaderValues and SearchHeader never panic, take time
// linear in the input, and return at most one value per header line
// (one per field), each bounded by the input: charset conversion to UTF-8
// at most triples a byte (a single byte, or an invalid one replaced by
// U+FFFD).
func FuzzHeaderValues(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s, "subject")
	}
	f.Add("To: a\r\nto: b\r\n c\r\n\r\n", "TO")
	f.Fuzz(func(t *testing.T, header, name string) {
		start := time.Now()
		vals := HeaderValues([]byte(header), name)
		search := SearchHeader([]byte(header))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%d bytes took %v", len(header), d)
		}
		if n := strings.Count(header, "\n") + 1; len(vals) > n {
			t.Fatalf("%d values from %d lines", len(vals), n)
		}
		total := 0
		for _, v := range vals {
			total += len(v)
		}
		if limit := 3 * len(header); total > limit {
			t.Fatalf("values of %d bytes from %d bytes", total, len(header))
		}
		// SearchHeader adds ": " and "\n" to each field.
		if limit := 3*len(header) + 3*(strings.Count(header, "\n")+1); len(search) > limit {
			t.Fatalf("search header of %d bytes from %d bytes", len(search), len(header))
		}
	})
}
