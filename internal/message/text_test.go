package message

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSearchBodyAndPreview(t *testing.T) {
	msg := crlf(`Subject: s
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<html><head><style>p {color: red}</style></head><body><p>Caf=E9   &amp;
  cr=E8me</p><script>var x = "hidden";</script></body></html>
--b
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

w6l0w6kgcGxhaW4=
--b
Content-Type: image/png
Content-Transfer-Encoding: base64

aW1hZ2VkYXRh
--b
Content-Type: message/rfc822

Subject: inner

inner text
--b--
`)
	m := mustParse(t, msg)
	body := m.SearchBody()
	for _, want := range []string{"Café", "&", "crème", "été plain", "inner text", "Subject: inner"} {
		if !strings.Contains(body, want) {
			t.Errorf("search body %q lacks %q", body, want)
		}
	}
	for _, not := range []string{"color", "hidden", "<p>", "imagedata", "Subject: s"} {
		if strings.Contains(body, not) {
			t.Errorf("search body %q has %q", body, not)
		}
	}
	if m.Preview != "Café & crème" {
		t.Errorf("preview %q", m.Preview)
	}
}

func TestPreviewLimits(t *testing.T) {
	m := mustParse(t, "Content-Type: text/plain; charset=utf-8\r\n\r\n"+strings.Repeat("é  \r\n", 300))
	if n := utf8.RuneCountInString(m.Preview); n != maxPreviewRunes {
		t.Errorf("preview has %d characters", n)
	}
	if !strings.HasPrefix(m.Preview, "é é é") {
		t.Errorf("preview %q", m.Preview[:20])
	}
	// No preview from an attachment.
	m = mustParse(t, "MIME-Version: 1.0\r\nContent-Disposition: attachment\r\n\r\nsecret")
	if m.Preview != "" || !strings.Contains(m.SearchBody(), "secret") {
		t.Errorf("attachment: preview %q body %q", m.Preview, m.SearchBody())
	}
}

func TestSearchBodyCap(t *testing.T) {
	m := mustParse(t, "\r\n"+strings.Repeat("0123456789\r\n", maxSearchBytes/8))
	if n := len(m.SearchBody()); n != maxSearchBytes {
		t.Errorf("search body %d bytes", n)
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a<b>b</b>c", "a b c"},
		{"<!-- x -->y", "y"},
		{"&lt;tag&gt; &#233;", "<tag> é"},
		{"<SCRIPT>bad</SCRIPT>ok", "  ok"},
		{"unclosed <tag", "unclosed "},
	}
	for _, tt := range tests {
		if got := stripHTML(tt.in); got != tt.want {
			t.Errorf("stripHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
