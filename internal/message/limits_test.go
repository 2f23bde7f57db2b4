package message

import (
	"strings"
	"testing"
	"time"
)

// TestAdversarialHeadersLinear: inputs built to make naive scanners
// quadratic are processed quickly.
func TestAdversarialHeadersLinear(t *testing.T) {
	inputs := map[string]string{
		"encoded-word starts": "Subject: " + strings.Repeat("=?", 100000) + "\r\n\r\n",
		"encoded-word no end": "Subject: " + strings.Repeat("=?utf-8?q?", 20000) + "\r\n\r\n",
		"comments":            "From: " + strings.Repeat("(", 50000) + strings.Repeat(")", 50000) + "\r\n\r\n",
		"routes":              "From: <" + strings.Repeat("@a,", 50000) + "\r\n\r\n",
		"params":              "Content-Type: a/b" + strings.Repeat("; x*1*=y", 20000) + "\r\n\r\n",
		"html":                "Content-Type: text/html\r\n\r\n" + strings.Repeat("<script>", 50000),
		"quoted":              "To: " + strings.Repeat(`"a" `, 50000) + "\r\n\r\n",
		"ats":                 "To: " + strings.Repeat("@", 100000) + "\r\n\r\n",
	}
	for name, in := range inputs {
		start := time.Now()
		m := mustParse(t, in)
		_ = SearchHeader([]byte(in))
		_ = AppendEnvelope(nil, m.Root.Envelope)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v", name, d)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	msg := crlf("From: a@b\nTo: c@d\nSubject: s\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\n" +
		strings.Repeat("some text line here\n", 500) + "--x\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
		strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5\n", 1000) + "--x--\n")
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Parse(strings.NewReader(msg)); err != nil {
			b.Fatal(err)
		}
	}
}
