package message

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParse: Parse never fails or panics on any input, offsets are within
// the input and ordered, the IMAP forms can be written, every part is
// reachable through FindPart, and Marshal/Unmarshal round-trips.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"Subject: x\r\n\r\nbody",
		crlf("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/alternative; boundary=ab\n\n--ab\n\nx\n--ab--\n--a\nContent-Type: message/rfc822\n\nSubject: in\n\ny\n--a--\n"),
		crlf("Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x@y\n\nb\n--d--"),
		crlf("From: \"a\" <@r:b@c>, g: d@e;\nContent-Type: text/plain; t*0*=utf-8''%C3; t*1*=%A9\nContent-Transfer-Encoding: quoted-printable\n\n=C3=A9 =\n"),
		"Content-Transfer-Encoding: base64\n\naGVsbG8=\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("%d bytes took %v", len(s), d)
			}
		}()
		m := mustParse(t, s)
		_ = AppendBodyStructure(nil, m.Root, true)
		_ = AppendBodyStructure(nil, m.Root, false)
		_ = AppendEnvelope(nil, m.Root.Envelope)
		walk(t, m, m.Root, nil)
		roundTrip(t, m)
		_, _ = Unmarshal([]byte(s))
		_ = SearchHeader([]byte(s))
		_ = HeaderFields([]byte(s), []string{"subject"}, true)
		_, _ = ParseDate(s)
		if !utf8.ValidString(m.Preview) {
			t.Fatalf("preview %q is not UTF-8", m.Preview)
		}
	})
}

// walk checks that FindPart finds every part of a multipart by its path.
func walk(t *testing.T, m *Message, p *Part, path []int) {
	if len(path) > 8 {
		return
	}
	for i, c := range p.Parts {
		sub := append(append([]int(nil), path...), i+1)
		got, err := m.FindPart(sub)
		if err != nil || got != c {
			t.Fatalf("FindPart(%v) = %p %v, want %p", sub, got, err, c)
		}
		walk(t, m, c, sub)
	}
}
