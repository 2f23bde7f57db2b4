package message

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecodeWords: RFC 2047 decoding never panics, takes time linear in
// the input, leaves a value without "=?" as it is, keeps valid UTF-8
// valid, and at most triples the input (charset conversion: a single
// byte, or an invalid byte replaced by U+FFFD, becomes three at most).
func FuzzDecodeWords(f *testing.F) {
	seeds := []string{
		"",
		"plain",
		"=?utf-8?q?caf=C3=A9?=",
		"=?UTF-8?B?Y2Fmw6k=?=",
		"=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=", // §6.2: space between words dropped
		"=?iso-8859-1?q?a?=\r\n =?iso-8859-1?q?b?= c", // folded
		"x=?utf-8?q?a?=y",                                            // not delimited by space: decoded anyway
		"=?utf-8*en?q?a?=",                                           // RFC 2231 §5 language
		"=?utf-8?x?a?=", "=?utf-8?q?a b?=", "=??q?a?=", "=?utf-8?q?", // malformed
		"=?utf-8?b?!!!?=", "=?utf-8?b?YQ?=", "=?utf-8?b?YQ===?=",
		"=?utf-16?b?2D3eAA==?=", "=?shift_jis?b?gqA=?=", "=?iso-2022-jp?b?GyRCJCIbKEI=?=",
		"=?gb18030?b?gTCBMA==?=", "=?x-unknown?q?=FF?=", "=?bogus-charset?q?=FF=FE?=",
		"=?utf-8?q?=FF=C3?=", "=?utf-8?q?=?=", "=?utf-8?q?=4?=", "=?utf-8?q?_?=",
		"=?" + strings.Repeat("x", 100) + "?q?a?=",
		"=?utf-8?q?" + strings.Repeat("a", maxEncodedWord+10) + "?=",
		strings.Repeat("=?", 500),
		strings.Repeat("=?utf-8?q?", 200),
		strings.Repeat("=?utf-8?q?a?= ", 200),
		"\xff\xfe =?utf-8?q?a?= \x00",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		out := DecodeWords(s)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%d bytes took %v", len(s), d)
		}
		if !strings.Contains(s, "=?") && out != s {
			t.Fatalf("DecodeWords(%q) = %q, want it unchanged", s, out)
		}
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("DecodeWords(%q) = %q is not UTF-8", s, out)
		}
		if len(out) > 3*len(s) {
			t.Fatalf("%d bytes out of %d", len(out), len(s))
		}
	})
}

// FuzzParamValue: Content-Type and Content-Disposition parameters with
// RFC 2231 continuations and charsets never panic, take time linear in
// the input, give at most one parameter per ';', keep their names and
// values within the input (plus a "*" for extended names), and decode
// to at most three times the input.
func FuzzParamValue(f *testing.F) {
	seeds := []struct{ value, name string }{
		{"", "charset"},
		{"text/plain; charset=us-ascii", "charset"},
		{"text/plain; charset=\"utf-8\"", "charset"},
		{"application/x; name*=utf-8''caf%C3%A9", "name"},
		{"application/x; name*=iso-8859-1'fr'caf%E9.txt", "name"},
		{"application/x; name*0=a; name*1=b; name*2=c", "name"},
		{"application/x; name*1=b; name*0=a", "name"},                        // out of order
		{"application/x; name*0*=utf-8''%C3; name*1*=%A9; name*2=x", "name"}, // mixed
		{"application/x; name*0=a; name*0=b", "name"},                        // repeated section
		{"application/x; name*999=z; name*1000=y; name*-1=x", "name"},
		{"application/x; name=plain; name*=utf-8''ext", "name"},
		{"application/x; name*=''", "name"},
		{"application/x; name*=%", "name"},
		{"application/x; name*=%zz%4", "name"},
		{"application/x; name*=bogus''%FF%FE", "name"},
		{"application/x; name*=utf-16''%D8%3D%DE%00", "name"},
		{"multipart/mixed; boundary=\"a\\\"b\"; x", "boundary"},
		{"multipart/mixed (comment); (c) boundary (c) = (c) \"x\" (c)", "boundary"},
		{"text/plain; a=\"unterminated", "a"},
		{"text/plain; =x; a=b", "a"},
		{"text/plain;;;; a=b", "a"},
		{"attachment; filename=\"caf\xc3\xa9.txt\"", "filename"},
		{"text/plain; a=\x00\xff", "a"},
		{"a/b" + strings.Repeat("; x*1*=y", 200), "x"},
		{"a/b" + strings.Repeat("; x*=%FF", 200), "x"},
		{"a/b; x=" + strings.Repeat("(", 300), "x"},
	}
	for _, s := range seeds {
		f.Add(s.value, s.name)
	}
	f.Fuzz(func(t *testing.T, value, name string) {
		start := time.Now()
		_, _, params := parseContentType(value)
		_, dparams, _ := parseDisposition(value)
		for _, ps := range [][]Param{params, dparams} {
			semis := strings.Count(value, ";")
			if len(ps) > semis {
				t.Fatalf("%d parameters from %d ';' in %q", len(ps), semis, value)
			}
			size := 0
			for _, p := range ps {
				if p.Name == "" {
					t.Fatalf("parameter without a name in %q: %q", value, ps)
				}
				size += len(p.Name) + len(p.Value)
			}
			if size > len(value)+semis {
				t.Fatalf("parameters of %d bytes from %d bytes: %q", size, len(value), ps)
			}
			v, _ := ParamValue(ps, name)
			if len(v) > 3*len(value) {
				t.Fatalf("value of %d bytes from %d bytes", len(v), len(value))
			}
			_ = appendParams(nil, ps, false)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("%d bytes took %v", len(value), d)
		}
	})
}
