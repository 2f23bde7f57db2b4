package message

import (
	"bytes"
	"strings"
	"testing"
)

// crlf turns the LF line ends of a test message into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// fetchForm is what the session writes for ENVELOPE, BODYSTRUCTURE, BODY.
func fetchForm(m *Message) string {
	b := []byte("ENVELOPE ")
	b = AppendEnvelope(b, m.Root.Envelope)
	b = append(b, " BODYSTRUCTURE "...)
	b = AppendBodyStructure(b, m.Root, true)
	b = append(b, " BODY "...)
	b = AppendBodyStructure(b, m.Root, false)
	return string(b)
}

// mustParse parses s and checks the structural invariants of the result.
func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if m.Size != int64(len(s)) {
		t.Fatalf("Size = %d, want %d", m.Size, len(s))
	}
	checkPart(t, m.Root, 0, m.Size)
	return m
}

// checkPart verifies that offsets are ordered and nested within [lo,hi].
func checkPart(t testing.TB, p *Part, lo, hi int64) {
	t.Helper()
	if p == nil {
		t.Fatal("nil part")
	}
	if !(lo <= p.HeaderOffset && p.HeaderOffset <= p.BodyOffset && p.BodyOffset <= p.BodyEnd && p.BodyEnd <= hi) {
		t.Fatalf("bad offsets %d %d %d in [%d,%d]", p.HeaderOffset, p.BodyOffset, p.BodyEnd, lo, hi)
	}
	prev := p.BodyOffset
	for _, c := range p.Parts {
		checkPart(t, c, prev, p.BodyEnd)
		prev = c.BodyEnd
	}
	if p.Message != nil {
		if p.Message.HeaderOffset != p.BodyOffset || p.Message.BodyEnd != p.BodyEnd {
			t.Fatalf("enclosed message %d..%d, part body %d..%d", p.Message.HeaderOffset, p.Message.BodyEnd, p.BodyOffset, p.BodyEnd)
		}
		checkPart(t, p.Message, p.BodyOffset, p.BodyEnd)
	}
}

// TestOffsets slices the input by the parsed offsets, with CRLF and with
// bare LF line ends.
func TestOffsets(t *testing.T) {
	const msg = `Subject: s
Content-Type: multipart/mixed; boundary=b

pre
--b
Content-Type: text/plain

one
two
--b
Content-Type: message/rfc822

Subject: inner

inner body
--b--
epi
`
	for _, eol := range []string{"\n", "\r\n"} {
		in := strings.ReplaceAll(msg, "\n", eol)
		m := mustParse(t, in)
		slice := func(a, b int64) string { return strings.ReplaceAll(in[a:b], eol, "\n") }
		r := m.Root
		if got := slice(r.HeaderOffset, r.BodyOffset); got != "Subject: s\nContent-Type: multipart/mixed; boundary=b\n\n" {
			t.Errorf("%q: root header %q", eol, got)
		}
		if len(r.Parts) != 2 {
			t.Fatalf("%q: %d parts", eol, len(r.Parts))
		}
		p1, p2 := r.Parts[0], r.Parts[1]
		if got := slice(p1.HeaderOffset, p1.BodyOffset); got != "Content-Type: text/plain\n\n" {
			t.Errorf("%q: part 1 header %q", eol, got)
		}
		if got := slice(p1.BodyOffset, p1.BodyEnd); got != "one\ntwo" {
			t.Errorf("%q: part 1 body %q", eol, got)
		}
		if p1.Lines != 1 {
			t.Errorf("%q: part 1 lines %d", eol, p1.Lines)
		}
		if got := slice(p2.BodyOffset, p2.BodyEnd); got != "Subject: inner\n\ninner body" {
			t.Errorf("%q: part 2 body %q", eol, got)
		}
		in2 := p2.Message
		if got := slice(in2.BodyOffset, in2.BodyEnd); got != "inner body" {
			t.Errorf("%q: inner body %q", eol, got)
		}
		if got := *in2.Envelope.Subject; got != "inner" {
			t.Errorf("%q: inner subject %q", eol, got)
		}
		if got := slice(r.BodyOffset, r.BodyEnd); !strings.HasPrefix(got, "pre\n--b\n") || !strings.HasSuffix(got, "--b--\nepi\n") {
			t.Errorf("%q: root body %q", eol, got)
		}
	}
}

func TestLinesAndDecodedSize(t *testing.T) {
	tests := []struct {
		name, msg      string
		lines, decoded int64
	}{
		{"no final newline", "\r\na\r\nb", 1, 4},
		{"final newline", "\r\na\r\nb\r\n", 2, 6},
		{"bare LF", "\na\nb\n", 2, 4},
		{"empty", "\r\n", 0, 0},
		{"base64", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g\r\nd29y bGQ=\r\n", 2, 11},
		{"base64 garbage", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: BASE64\r\n\r\naGV*sbG8=\r\n", 1, 5},
		{"qp", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db  \r\nc=\r\nd\r\n", 3, 9},
		{"unknown", "MIME-Version: 1.0\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nabc\r\n", 1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.msg)
			if m.Root.Lines != tt.lines || m.Root.DecodedSize != tt.decoded {
				t.Errorf("lines %d decoded %d, want %d %d", m.Root.Lines, m.Root.DecodedSize, tt.lines, tt.decoded)
			}
		})
	}
}

func TestBrokenInput(t *testing.T) {
	tests := []struct{ name, msg string }{
		{"nul", "Subject: a\x00b\r\n\r\nx\x00y\r\n"},
		{"bare cr", "Subject: a\rb\r\r\nx\ry"},
		{"long line", "Subject: " + strings.Repeat("x", 200000) + "\r\n\r\n" + strings.Repeat("y", 300000)},
		{"huge header", strings.Repeat("X-A: "+strings.Repeat("z", 1000)+"\r\n", 400) + "\r\nbody"},
		{"continuation first", " folded\r\nSubject: x\r\n\r\n"},
		{"no colon", "garbage line\r\n\r\nbody"},
		{"empty", ""},
		{"only boundary", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x"},
		{"long boundary line", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x" + strings.Repeat(" ", 100000) + "\r\n\r\nA\r\n--x--"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.msg)
			_ = fetchForm(m)
			roundTrip(t, m)
		})
	}
}

// TestHugeHeaderTruncated: fields past the header limit are dropped but
// the offsets stay exact.
func TestHugeHeaderTruncated(t *testing.T) {
	pad := strings.Repeat("X-Pad: "+strings.Repeat("p", 990)+"\r\n", 300) // ~300 KB
	msg := "Subject: first\r\n" + pad + "Subject: late\r\n\r\nbody"
	m := mustParse(t, msg)
	if got := msg[m.Root.BodyOffset:m.Root.BodyEnd]; got != "body" {
		t.Errorf("body %q", got)
	}
	if s := m.Root.Envelope.Subject; s == nil || *s != "first" {
		t.Errorf("subject %v: a field beyond the limit was used", s)
	}
}

func TestNestingLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 150; i++ {
		b.WriteString("Content-Type: multipart/mixed; boundary=b" + strings.Repeat("x", i) + "\r\n\r\n--b" + strings.Repeat("x", i) + "\r\n")
	}
	b.WriteString("\r\nleaf\r\n")
	m := mustParse(t, b.String())
	depth := 0
	for p := m.Root; p != nil && len(p.Parts) > 0; p = p.Parts[0] {
		depth++
	}
	if depth != maxDepth {
		t.Errorf("depth %d, want %d", depth, maxDepth)
	}
	roundTrip(t, m)
	if bs := AppendBodyStructure(nil, m.Root, true); !bytes.HasSuffix(bs, []byte(` "mixed" ("boundary" "b") NIL NIL NIL)`)) {
		t.Errorf("bodystructure ends %q", bs[len(bs)-60:])
	}
}

func TestPartLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < maxParts+50; i++ {
		b.WriteString("--b\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	m := mustParse(t, b.String())
	if n := len(m.Root.Parts); n != maxParts-1 {
		t.Errorf("%d parts, want %d", n, maxParts-1)
	}
}
